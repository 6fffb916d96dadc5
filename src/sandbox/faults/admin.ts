// The fault admin API: a small HTTP server on 127.0.0.1 that switches faults on and
// off in a running sandbox. A random bearer secret, written to a 0600 file in the
// sandbox folder, keeps other local users out.
//   GET /faults          → 200 [{ id, spec }]
//   POST /faults         → 201 { id }       (body: a FaultSpec as JSON)
//   DELETE /faults/<id>  → 200 { removed: 1 }, 404 when unknown
//   DELETE /faults       → 200 { removed: <count> }
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FaultSet } from './fault-set.js';
import { FaultSpecError } from './spec.js';

export interface FaultAdmin {
  /** 'http://127.0.0.1:<port>' */
  url: string;
  /** File holding the bearer secret (mode 0600). */
  secretFile: string;
  close(): Promise<void>;
}

export const SECRET_FILE_NAME = 'fault-admin.secret';
const MAX_BODY_BYTES = 64 * 1024;

class HttpProblem extends Error {
  constructor(readonly status: number, message: string, readonly problems?: string[]) {
    super(message);
  }
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpProblem(400, 'the body is not JSON');
  }
}

/** Waits until the change took effect (e.g. a port closed), so the caller can rely on it on return. */
async function applied(faults: FaultSet, what: string): Promise<void> {
  try {
    await faults.settled();
  } catch (err) {
    throw new HttpProblem(500, `${what}, but applying it failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function route(faults: FaultSet, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname.replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  if (path === '/faults' && method === 'GET') return sendJson(res, 200, faults.list());
  if (path === '/faults' && method === 'POST') {
    const body = await readJson(req);
    let id: string;
    try {
      id = faults.add(body as Parameters<FaultSet['add']>[0]);
    } catch (err) {
      if (err instanceof FaultSpecError) throw new HttpProblem(400, err.message, err.problems);
      throw err;
    }
    await applied(faults, `fault ${id} was added`);
    return sendJson(res, 201, { id });
  }
  if (path === '/faults' && method === 'DELETE') {
    const removed = faults.clear();
    await applied(faults, 'the faults were removed');
    return sendJson(res, 200, { removed });
  }
  const one = /^\/faults\/([^/]+)$/.exec(path);
  if (one?.[1] && method === 'DELETE') {
    const id = decodeURIComponent(one[1]);
    if (!faults.remove(id)) throw new HttpProblem(404, `no fault with id "${id}"`);
    await applied(faults, `fault ${id} was removed`);
    return sendJson(res, 200, { removed: 1 });
  }
  throw new HttpProblem(path === '/faults' || one ? 405 : 404, `no route for ${method} ${path || '/'}`);
}

/** Starts the admin API for `faults`; the secret goes to `<dir>/fault-admin.secret`. */
export async function startFaultAdmin(faults: FaultSet, options: { dir: string }): Promise<FaultAdmin> {
  const secret = randomBytes(32).toString('base64url');
  const secretFile = join(options.dir, SECRET_FILE_NAME);
  // A fresh file ('wx'), so the mode holds and a planted link is not followed.
  await rm(secretFile, { force: true });
  await writeFile(secretFile, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  const expected = digest(secret);
  const authorized = (req: IncomingMessage): boolean => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };

  const server = createServer((req, res) => {
    if (!authorized(req)) {
      req.resume();
      sendJson(res, 401, { error: 'missing or wrong bearer secret' }, { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    route(faults, req, res).catch((err: unknown) => {
      const problem = err instanceof HttpProblem ? err : new HttpProblem(500, err instanceof Error ? err.message : String(err));
      if (res.headersSent) res.destroy();
      else sendJson(res, problem.status, { error: problem.message, ...(problem.problems ? { problems: problem.problems } : {}) });
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (err) {
    await rm(secretFile, { force: true });
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    secretFile,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await rm(secretFile, { force: true });
    },
  };
}
