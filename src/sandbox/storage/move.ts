// WebDAV MOVE (RFC 4918 §9.9), as gfal2/davix send it to rename an upload into place
// (`rucio upload` writes `<pfn>.rucio.upload`, then moves it onto the PFN).
import type { Stats } from 'node:fs';
import { rename, rm, rmdir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { pathWithin } from '../tokens/scopes.js';
import { authorize } from './authorize.js';
import { sendText } from './handlers.js';
import { diskPath, requestPath } from './paths.js';
import type { Identity, Refusal, StorageEndpointOptions } from './types.js';

export interface MoveRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** The source, already a valid request path. */
  path: string;
  identity: Identity;
  opts: Pick<StorageEndpointOptions, 'root' | 'embargo'>;
}

const fsCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The Destination's path on this server, or the refusal: 400 when it is missing or names no file,
 * 502 when it names another server (RFC 4918 §9.9.4).
 */
function destinationPath(req: IncomingMessage): string | Refusal {
  const raw = header(req, 'destination')?.trim();
  if (!raw) return { status: 400, message: 'MOVE needs a Destination header' };
  let url: URL;
  try {
    url = new URL(raw, 'https://destination.invalid');
  } catch {
    return { status: 400, message: 'Destination is not a URI' };
  }
  const absolute = url.host !== 'destination.invalid';
  if (absolute && url.host.toLowerCase() !== (header(req, 'host') ?? '').toLowerCase()) {
    return { status: 502, message: `Destination ${url.host} is another server` };
  }
  const path = requestPath(url.pathname);
  return path === undefined ? { status: 400, message: 'Destination names no file' } : path;
}

/** Overwrite: T (the default) or F; anything else is a bad request. */
function overwriteAllowed(req: IncomingMessage): boolean | undefined {
  const value = header(req, 'overwrite')?.trim().toUpperCase() ?? 'T';
  return value === 'T' ? true : value === 'F' ? false : undefined;
}

/**
 * Renames the source onto the Destination. Authorized as a write of the destination (create, or modify
 * when it is replaced) plus a read and a delete of the source. 201 when the destination is new, 204 when
 * it was replaced; 404 no source, 403 same resource or the root, 409 missing parent, a destination below
 * the source or a non-empty collection in the way, 412 an existing destination with `Overwrite: F`.
 */
export async function handleMove(m: MoveRequest): Promise<number> {
  const { req, res, path, identity, opts } = m;
  req.resume();
  const dest = destinationPath(req);
  if (typeof dest !== 'string') return sendText(res, dest.status, dest.message);
  const overwrite = overwriteAllowed(req);
  if (overwrite === undefined) return sendText(res, 400, 'Overwrite must be T or F');
  const source = diskPath(opts.root, path);
  const target = diskPath(opts.root, dest);
  const [srcStats, destStats] = await Promise.all([stat(source).catch(() => undefined), stat(target).catch(() => undefined)]);
  const refusal = authorize(identity, 'MOVE', 'read', path, opts.embargo)
    ?? authorize(identity, 'MOVE', 'modify', path, opts.embargo)
    ?? authorize(identity, 'MOVE', destStats ? 'modify' : 'create', dest, opts.embargo);
  if (refusal) return sendText(res, refusal.status, refusal.message);
  if (!srcStats) return sendText(res, 404, `No such file or directory: ${path}`);
  if (path === '/' || dest === '/') return sendText(res, 403, 'The root cannot be moved or replaced');
  if (dest === path) return sendText(res, 403, 'Source and destination are the same resource');
  if (srcStats.isDirectory() && pathWithin(dest, path)) return sendText(res, 409, `Cannot move ${path} below itself`);
  const depth = header(req, 'depth')?.trim().toLowerCase();
  if (srcStats.isDirectory() && depth !== undefined && depth !== 'infinity') return sendText(res, 400, 'A collection moves with Depth: infinity');
  if (destStats && !overwrite) return sendText(res, 412, `Destination exists: ${dest}`);
  const parent = await stat(dirname(target)).catch(() => undefined);
  if (!parent?.isDirectory()) return sendText(res, 409, `Parent of ${dest} is not a collection`);
  if (destStats) {
    const cleared = await clear(target, destStats);
    if (cleared) return sendText(res, cleared.status, `${cleared.message}: ${dest}`);
  }
  await rename(source, target);
  if (destStats) {
    res.writeHead(204);
    res.end();
    return 0;
  }
  return sendText(res, 201, 'Created');
}

/** Overwrite: T deletes the destination first; like DELETE here, a collection only when empty. */
async function clear(target: string, stats: Stats): Promise<Refusal | undefined> {
  try {
    await (stats.isDirectory() ? rmdir(target) : rm(target));
    return undefined;
  } catch (err) {
    if (fsCode(err) === 'ENOTEMPTY' || fsCode(err) === 'EEXIST') return { status: 409, message: 'Directory not empty' };
    throw err;
  }
}
