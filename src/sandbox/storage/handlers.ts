import { randomUUID } from 'node:crypto';
import type { Stats } from 'node:fs';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { chooseDigest, fileDigest } from './digest.js';
import { hrefFor, PARTIAL_PREFIX } from './paths.js';
import { listChildren, multistatus } from './propfind.js';

/** One request after authorization: its path, where that lives on disk, what is there. */
export interface Target {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  file: string;
  stats: Stats | undefined;
}

/** Sends a short plain-text answer; returns the body bytes sent (0: errors are not data). */
export function sendText(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): number {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${message}\n`);
  return 0;
}

const fsCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

async function digestHeaders(t: Target): Promise<Record<string, string>> {
  const want = header(t.req, 'want-digest');
  if (!want || !t.stats?.isFile()) return {};
  return { Digest: await fileDigest(t.file, chooseDigest(want)) };
}

type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/** A single `bytes=` range; several ranges are answered with the whole file (RFC 9110 allows it). */
function parseRange(header: string | undefined, size: number): ByteRange {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1] ?? '', match[2] ?? ''];
  const start = first === '' ? Math.max(0, size - Number(last)) : Number(first);
  const end = first === '' || last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return start > end || start >= size ? 'unsatisfiable' : { start, end };
}

async function sendListing(t: Target): Promise<number> {
  const items = (await listChildren(t.file)).map((name) => {
    const href = hrefFor(posix.join(t.path, name), false);
    return `<li><a href="${href}">${name.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)}</a></li>`;
  });
  const body = `<!DOCTYPE html><html><body><ul>${items.join('')}</ul></body></html>\n`;
  t.res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  t.res.end(body);
  return Buffer.byteLength(body);
}

export async function handleGet(t: Target, headOnly: boolean): Promise<number> {
  const stats = t.stats;
  if (!stats) return sendText(t.res, 404, `No such file or directory: ${t.path}`);
  if (stats.isDirectory()) {
    if (!headOnly) return sendListing(t);
    t.res.writeHead(200, { 'Content-Length': '0' });
    t.res.end();
    return 0;
  }
  const headers = { 'Accept-Ranges': 'bytes', 'Last-Modified': stats.mtime.toUTCString(), ...(await digestHeaders(t)) };
  const range = headOnly ? undefined : parseRange(t.req.headers.range, stats.size);
  if (range === 'unsatisfiable') {
    return sendText(t.res, 416, 'Requested range not satisfiable', { 'Content-Range': `bytes */${stats.size}` });
  }
  const { start, end } = range ?? { start: 0, end: stats.size - 1 };
  const length = Math.max(0, end - start + 1);
  t.res.writeHead(range ? 206 : 200, {
    ...headers,
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(headOnly ? stats.size : length),
    ...(range ? { 'Content-Range': `bytes ${start}-${end}/${stats.size}` } : {}),
  });
  if (headOnly || length === 0) {
    t.res.end();
    return 0;
  }
  await pipeline(createReadStream(t.file, { start, end }), t.res);
  return length;
}

/** Streams the body to a hidden file next to the target, then renames it into place. */
export async function handlePut(t: Target): Promise<number> {
  if (t.stats?.isDirectory()) return sendText(t.res, 409, `Is a directory: ${t.path}`);
  const parent = dirname(t.file);
  try {
    await mkdir(parent, { recursive: true });
  } catch (err) {
    if (fsCode(err) === 'EEXIST' || fsCode(err) === 'ENOTDIR') {
      return sendText(t.res, 409, `Parent of ${t.path} is not a directory`);
    }
    throw err;
  }
  const partial = join(parent, `${PARTIAL_PREFIX}${randomUUID()}`);
  let bytes = 0;
  t.req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  try {
    await pipeline(t.req, createWriteStream(partial, { flags: 'wx' }));
    await rename(partial, t.file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  sendText(t.res, 201, 'Created');
  return bytes;
}

export async function handleDelete(t: Target): Promise<number> {
  if (!t.stats) return sendText(t.res, 404, `No such file or directory: ${t.path}`);
  if (t.path === '/') return sendText(t.res, 403, 'The root cannot be deleted');
  try {
    // Like XRootD: a directory is removed only when empty.
    await (t.stats.isDirectory() ? rmdir(t.file) : rm(t.file));
  } catch (err) {
    if (fsCode(err) === 'ENOTEMPTY' || fsCode(err) === 'EEXIST') {
      return sendText(t.res, 409, `Directory not empty: ${t.path}`);
    }
    throw err;
  }
  t.res.writeHead(204);
  t.res.end();
  return 0;
}

/** Creates the collection and any missing parents (XrdHttp uses mkpath). */
export async function handleMkcol(t: Target): Promise<number> {
  if (t.stats) return sendText(t.res, 405, `Already exists: ${t.path}`);
  try {
    await mkdir(t.file, { recursive: true });
  } catch (err) {
    if (fsCode(err) === 'EEXIST' || fsCode(err) === 'ENOTDIR') {
      return sendText(t.res, 409, `Parent of ${t.path} is not a directory`);
    }
    throw err;
  }
  return sendText(t.res, 201, 'Created');
}

export async function handlePropfind(t: Target): Promise<number> {
  t.req.resume();
  if (!t.stats) return sendText(t.res, 404, `No such file or directory: ${t.path}`);
  const depth = header(t.req, 'depth')?.trim() === '0' ? 0 : 1;
  const body = await multistatus(t.path, t.file, t.stats, depth);
  t.res.writeHead(207, { 'Content-Type': 'application/xml; charset=utf-8' });
  t.res.end(body);
  return Buffer.byteLength(body);
}
