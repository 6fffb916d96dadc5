// HTTP third-party copy in pull mode, answered the way XRootD's XrdHttpTPC does:
// 201 at once, then a text body of Perf Marker blocks ending in `success: Created`
// or `failure: <reason>`. A failed pull leaves a 0-byte file behind.
import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname } from 'node:path';
import { authorize } from './authorize.js';
import { sendText } from './handlers.js';
import { diskPath } from './paths.js';
import type { Identity, StorageEndpointOptions } from './types.js';

/** XRootD sends a marker about every 5 s while bytes flow. */
const PERF_MARKER_INTERVAL_MS = 5000;
/** Headers named `TransferHeader<Name>` are forwarded to the source as `<Name>`. */
const TRANSFER_HEADER_PREFIX = 'transferheader';
const ERROR_TEXT_LIMIT = 200;

export interface CopyRequest {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  identity: Identity;
  opts: Pick<StorageEndpointOptions, 'root' | 'caPems' | 'embargo'>;
}

class CopyFailure extends Error {}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** One marker block as XrdHttpTPC 5.5 writes it (RemoteConnections names the link to the source). */
export function perfMarker(bytes: number, remote: string | undefined, now = new Date()): string {
  return [
    'Perf Marker',
    `Timestamp: ${Math.floor(now.getTime() / 1000)}`,
    'Stripe Index: 0',
    `Stripe Bytes Transferred: ${bytes}`,
    'Total Stripe Count: 1',
    ...(remote ? [`RemoteConnections: ${remote}`] : []),
    'End',
    '',
  ].join('\n');
}

/** The source as an http(s) URL (davs:// is WebDAV over TLS), or undefined when unusable. */
function sourceUrl(raw: string): URL | undefined {
  try {
    const url = new URL(raw.trim().replace(/^davs:\/\//i, 'https://').replace(/^dav:\/\//i, 'http://'));
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(TRANSFER_HEADER_PREFIX) && name.length > TRANSFER_HEADER_PREFIX.length && value !== undefined) {
      out[name.slice(TRANSFER_HEADER_PREFIX.length)] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return out;
}

function getSource(url: URL, headers: Record<string, string>, ca: string[], signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'GET', headers, ca, agent: false, signal }, resolve);
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(new CopyFailure(`Could not connect to source: ${err.code ?? err.message}`));
    });
    req.end();
  });
}

/** XRootD appends the source's own words: `; error message: <first line of its answer>`. */
async function errorMessage(remote: IncomingMessage): Promise<string> {
  let text = '';
  try {
    for await (const chunk of remote) if (text.length < ERROR_TEXT_LIMIT) text += (chunk as Buffer).toString('utf8');
  } catch {
    // The status alone still tells what happened.
  }
  const line = text.split('\n', 1)[0]?.trim().slice(0, ERROR_TEXT_LIMIT) ?? '';
  return line ? `; error message: "${line}"` : '';
}

interface Progress {
  bytes: number;
  /** `tcp:<address>:<port>` of the connection to the source, once there is one. */
  remote?: string;
}

/** Pulls the source into the open destination, counting bytes in `progress`. */
async function pull(url: URL, c: CopyRequest, fh: FileHandle, progress: Progress, signal: AbortSignal): Promise<void> {
  const remote = await getSource(url, forwardedHeaders(c.req), c.opts.caPems, signal);
  progress.remote = `tcp:${remote.socket.remoteAddress ?? '?'}:${remote.socket.remotePort ?? 0}`;
  if (remote.statusCode !== 200) {
    throw new CopyFailure(`Remote side failed with status code ${remote.statusCode ?? 0}${await errorMessage(remote)}`);
  }
  try {
    for await (const chunk of remote) {
      await fh.write(chunk as Buffer);
      progress.bytes += (chunk as Buffer).length;
    }
  } catch (err) {
    throw new CopyFailure(`Transfer from source interrupted: ${(err as NodeJS.ErrnoException).code ?? 'connection lost'}`);
  }
  if (!remote.complete) throw new CopyFailure('Transfer from source interrupted: connection lost');
}

/** COPY with a `Source:` header: the destination write is authorized like a PUT by the caller's identity. */
export async function handleCopy(c: CopyRequest): Promise<number> {
  const { req, res, path } = c;
  const rawSource = header(req, 'source');
  if (rawSource === undefined) {
    if (header(req, 'destination') !== undefined) {
      return sendText(res, 501, 'Push-mode third-party copy (Destination header) is not supported; use pull mode (Source header)');
    }
    return sendText(res, 400, 'COPY needs a Source header');
  }
  const url = sourceUrl(rawSource);
  if (!url) return sendText(res, 400, 'Source is not an https URL');
  const file = diskPath(c.opts.root, path);
  const stats = await stat(file).catch(() => undefined);
  if (stats?.isDirectory()) return sendText(res, 409, `Is a directory: ${path}`);
  // XrdHttpTPC's answers: a refused write is 401, a missing parent 400 (it does not create directories).
  if (authorize(c.identity, 'COPY', stats ? 'modify' : 'create', path, c.opts.embargo)) {
    return sendText(res, 401, `Unable to create ${path}; permission denied`);
  }
  const parent = await stat(dirname(file)).catch(() => undefined);
  if (!parent?.isDirectory()) return sendText(res, 400, `Unable to create ${path}; no such file or directory`);

  const fh = await open(file, 'w');
  const progress: Progress = { bytes: 0 };
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  res.writeHead(201, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.flushHeaders();
  const timer = setInterval(() => res.write(perfMarker(progress.bytes, progress.remote)), PERF_MARKER_INTERVAL_MS);
  let verdict = 'success: Created';
  try {
    await pull(url, c, fh, progress, abort.signal);
  } catch (err) {
    await fh.truncate(0);
    progress.bytes = 0;
    verdict = `failure: ${err instanceof CopyFailure ? err.message : 'Internal error during the transfer'}`;
  } finally {
    clearInterval(timer);
    await fh.close();
  }
  res.end(`${perfMarker(progress.bytes, progress.remote)}${verdict}`);
  return progress.bytes;
}
