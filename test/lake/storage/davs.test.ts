import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adler32Hex, checksumStream } from '../../../src/lake/data/checksum.js';
import { syntheticChecksums, syntheticStream } from '../../../src/lake/data/synthetic.js';
import type { X509Credential } from '../../../src/lake/credentials/types.js';
import { StorageError } from '../../../src/lake/errors.js';
import { DavsDriver, type DavsDriverOptions } from '../../../src/lake/storage/davs.js';
import type { StorageProtocol, StorageAuth } from '../../../src/lake/storage/driver.js';
import { createStorageDriver } from '../../../src/lake/storage/index.js';
import { withTemporaryPki, type Certificate } from '../../helpers/openssl-pki.js';

// ---- A WebDAV-ish server that records what it is sent -------------------------------
// Path prefixes choose behaviours: /redirect/X → 307 to /X, /redirect-host/X → 307 to
// https://localhost/X, /forbidden/ → 403 (body echoes Authorization), /slow/ → no answer,
// /late/ → sends 100 Continue before checking the parent, /no-continue/ → never sends 100,
// /drop-reused/ → drops a kept-alive connection, paths containing 'md5hex', 'nodigest',
// 'adleronly' shape the Digest header.

interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  clientCn: string | undefined;
  bodyBytes: number;
}

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.secret-token-value.sig';
let pki: { ca: Certificate; otherCa: Certificate; server: Certificate; client: Certificate };
let server: Server;
let base: string;
let requests: Recorded[] = [];
const files = new Map<string, Buffer>();
const dirs = new Set<string>();
const requestsPerSocket = new WeakMap<Socket, number>();

const parentDir = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';

function readBody(req: IncomingMessage, record: Recorded): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => { parts.push(c); record.bodyBytes += c.length; });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function digestHeader(path: string, want: string, data: Buffer): string | undefined {
  if (path.includes('nodigest')) return undefined;
  // Like xrootd: an algorithm it was not configured for is answered with adler32.
  const alg = path.includes('adleronly') ? 'adler32' : want.toLowerCase();
  if (alg === 'adler32') return `adler32=${adler32Hex(data).replace(/^0+/, '')}`;
  const md5 = createHash('md5').update(data);
  if (alg === 'md5') return `md5=${path.includes('md5hex') ? md5.digest('hex').toUpperCase() : md5.digest('base64')}`;
  return undefined;
}

function record(req: IncomingMessage): Recorded {
  const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN;
  const entry: Recorded = {
    method: req.method ?? '', path: decodeURIComponent(new URL(req.url ?? '/', 'https://x').pathname),
    headers: req.headers, clientCn: Array.isArray(cn) ? cn[0] : cn, bodyBytes: 0,
  };
  requests.push(entry);
  return entry;
}

/** Answers that come before any body is read (also used for `Expect: 100-continue`). */
function answerEarly(req: IncomingMessage, res: ServerResponse, rec: Recorded): boolean {
  const { path, method } = rec;
  if (path.startsWith('/redirect/')) {
    res.writeHead(307, { Location: path.slice('/redirect'.length) }).end();
  } else if (path.startsWith('/redirect-host/')) {
    const { port } = server.address() as AddressInfo;
    res.writeHead(307, { Location: `https://localhost:${port}${path.slice('/redirect-host'.length)}` }).end();
  } else if (path.startsWith('/forbidden/')) {
    res.writeHead(403, { 'Content-Type': 'text/plain' })
      .end(`Access denied for ${req.headers.authorization ?? 'anonymous'} on ${path}.\n${'x'.repeat(400)}`);
  } else if (path.startsWith('/slow/')) {
    // never answers
  } else if (method === 'PUT' && !path.startsWith('/late/') && !dirs.has(parentDir(path))) {
    res.writeHead(409).end('parent collection missing');
  } else {
    return false;
  }
  return true;
}

async function handle(req: IncomingMessage, res: ServerResponse, rec: Recorded): Promise<void> {
  const { path, method } = rec;
  const file = files.get(path);
  const isDir = dirs.has(path.replace(/\/$/, '') || '/');
  if (method === 'PUT') {
    const body = await readBody(req, rec);
    if (!dirs.has(parentDir(path))) return void res.writeHead(409).end('parent collection missing');
    files.set(path, body);
    return void res.writeHead(201).end();
  }
  if (method === 'GET' || method === 'HEAD') {
    if (file) {
      const digest = req.headers['want-digest'] ? digestHeader(path, String(req.headers['want-digest']), file) : undefined;
      res.writeHead(200, { 'Content-Length': file.length, 'Content-Type': 'application/octet-stream', ...(digest ? { Digest: digest } : {}) });
      return void res.end(method === 'GET' ? file : undefined);
    }
    if (isDir) return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(method === 'GET' ? '<html>listing</html>' : undefined);
    return void res.writeHead(404).end('not found');
  }
  if (method === 'PROPFIND') {
    await readBody(req, rec);
    if (!file && !isDir) return void res.writeHead(404).end();
    const props = file ? `<lp1:getcontentlength>${file.length}</lp1:getcontentlength><lp1:resourcetype/>`
      : '<lp1:resourcetype><D:collection/></lp1:resourcetype>';
    return void res.writeHead(207, { 'Content-Type': 'text/xml' }).end(
      `<?xml version="1.0"?><D:multistatus xmlns:D="DAV:" xmlns:lp1="DAV:"><D:response><D:href>${path}</D:href>` +
      `<D:propstat><D:prop>${props}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>`);
  }
  if (method === 'MKCOL') {
    if (isDir || file) return void res.writeHead(405).end('already exists');
    if (!dirs.has(parentDir(path))) return void res.writeHead(409).end('parent missing');
    dirs.add(path);
    return void res.writeHead(201).end();
  }
  if (method === 'DELETE') {
    if (!file) return void res.writeHead(404).end('no such file');
    files.delete(path);
    return void res.writeHead(204).end();
  }
  res.writeHead(405).end();
}

function onRequest(req: IncomingMessage, res: ServerResponse, sendContinue: boolean): void {
  const count = (requestsPerSocket.get(req.socket) ?? 0) + 1;
  requestsPerSocket.set(req.socket, count);
  const rec = record(req);
  if (rec.path.startsWith('/drop-reused/') && count > 1) return void req.socket.destroy();
  if (answerEarly(req, res, rec)) return;
  if (sendContinue && !rec.path.startsWith('/no-continue/')) res.writeContinue();
  handle(req, res, rec).catch((e: Error) => res.writeHead(500).end(e.message));
}

function resetStore(): void {
  files.clear();
  dirs.clear();
  for (const d of ['/', '/data', '/data/dir', '/late', '/no-continue', '/drop-reused']) dirs.add(d);
  files.set('/data/hello.txt', Buffer.from('hello world'));
  files.set('/data/a.md5hex', Buffer.from('a'));
  files.set('/data/file.nodigest', Buffer.from('abc'));
  files.set('/data/file.adleronly', Buffer.from('abc'));
  files.set('/drop-reused/x', Buffer.from('x'));
  requests = [];
}

// ---- Drivers ---------------------------------------------------------------------------

const drivers: DavsDriver[] = [];
function driver(auth: Partial<StorageAuth> = {}, options: DavsDriverOptions = {}): DavsDriver {
  const d = new DavsDriver({ ca: [pki.ca.certPem], ...auth }, options);
  drivers.push(d);
  return d;
}

function x509(): X509Credential {
  return {
    certPem: pki.client.certPem, keyPem: pki.client.keyPem, subject: 'CN=alice,O=lakeprobe-test',
    subjectSlash: '/O=lakeprobe-test/CN=alice', notBefore: new Date(), notAfter: new Date(Date.now() + 86_400_000),
    isProxy: false, source: 'test',
  };
}

const bearer = { token: TOKEN, claims: null, expiresAt: null, source: 'test' };

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  pki = withTemporaryPki((certs) => {
    const ca = certs.ca('ca', '/O=lakeprobe-test/CN=Test CA');
    return {
      ca,
      otherCa: certs.ca('other', '/O=lakeprobe-test/CN=Other CA'),
      server: certs.server('server', ca, '/O=lakeprobe-test/CN=localhost'),
      client: certs.client('client', ca, '/O=lakeprobe-test/CN=alice'),
    };
  });
  server = createServer({ key: pki.server.keyPem, cert: pki.server.certPem, ca: [pki.ca.certPem], requestCert: true, rejectUnauthorized: false },
    (req, res) => onRequest(req, res, false));
  server.on('checkContinue', (req, res) => onRequest(req, res, true));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `davs://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const d of drivers) d.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(resetStore);

// ---- Tests -----------------------------------------------------------------------------

describe('DavsDriver uploads', () => {
  it('streams a 10 MiB PUT with Content-Length and reads it back intact', async () => {
    const size = 10 * 1024 * 1024;
    const d = driver();
    await d.put(`${base}/data/big.bin`, syntheticStream({ seed: 'big', size }), size);
    const put = requests.find((r) => r.method === 'PUT');
    expect(put?.headers['content-length']).toBe(String(size));
    expect(put?.headers['transfer-encoding']).toBeUndefined();
    expect(put?.headers.expect).toBe('100-continue');
    expect(put?.bodyBytes).toBe(size);
    const expected = await syntheticChecksums('big', size);
    expect(await checksumStream(await d.get(`${base}/data/big.bin`))).toEqual(expected);
    expect(await d.checksum(`${base}/data/big.bin`, 'adler32')).toBe(expected.adler32);
  });

  it('accepts https:// PFNs as well as davs://', async () => {
    await driver().put(`${base.replace('davs:', 'https:')}/data/h.txt`, Readable.from([Buffer.from('hi')]), 2);
    expect(files.get('/data/h.txt')?.toString()).toBe('hi');
  });

  it('creates the missing parent collections and sends the untouched body once', async () => {
    await driver().put(`${base}/data/a/b/c/file`, Readable.from([Buffer.from('payload')]), 7);
    expect(requests.map((r) => `${r.method} ${r.path} ${r.bodyBytes}`)).toEqual([
      'PUT /data/a/b/c/file 0', 'MKCOL /data/a/b/c 0', 'MKCOL /data/a/b 0', 'MKCOL /data/a 0',
      'MKCOL /data/a/b 0', 'MKCOL /data/a/b/c 0', 'PUT /data/a/b/c/file 7',
    ]);
    expect(files.get('/data/a/b/c/file')?.toString()).toBe('payload');
  });

  it('re-opens a body factory when the server refused after reading the body', async () => {
    let opened = 0;
    const factory = () => { opened++; return Readable.from([Buffer.from('again')]); };
    await driver().put(`${base}/late/new/file`, factory, 5);
    expect(opened).toBe(2);
    expect(files.get('/late/new/file')?.toString()).toBe('again');
  });

  it('fails with the 409 when a consumed stream cannot be sent again', async () => {
    const error = await rejection(driver().put(`${base}/late/new/file`, Readable.from([Buffer.from('once')]), 4));
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).status).toBe(409);
    expect((error as StorageError).detail).toContain('parent collection missing');
  });

  it('sends the body anyway when the server never answers 100 Continue', async () => {
    await driver({}, { continueTimeoutMs: 100 }).put(`${base}/no-continue/f`, Readable.from([Buffer.from('quiet')]), 5);
    expect(files.get('/no-continue/f')?.toString()).toBe('quiet');
  });

  it('follows a redirect before the body is sent', async () => {
    await driver().put(`${base}/redirect/data/moved`, Readable.from([Buffer.from('moved')]), 5);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /redirect/data/moved', 'PUT /data/moved']);
    expect(files.get('/data/moved')?.toString()).toBe('moved');
  });

  it('fails when the body is shorter or longer than the declared size', async () => {
    const short = await rejection(driver().put(`${base}/data/short`, Readable.from([Buffer.from('12345')]), 10));
    expect(short).toBeInstanceOf(StorageError);
    expect(short.message).toContain('body ended after 5 of the declared 10 bytes');
    const long = await rejection(driver().put(`${base}/data/long`, Readable.from([Buffer.from('12345')]), 3));
    expect(long.message).toContain('longer than the declared 3 bytes');
    expect(files.has('/data/short') || files.has('/data/long')).toBe(false);
  });

  it('uploads an empty file', async () => {
    await driver().put(`${base}/data/empty`, Readable.from([]), 0);
    expect(files.get('/data/empty')?.length).toBe(0);
  });
});

describe('DavsDriver reads and namespace operations', () => {
  it('returns the object as a stream', async () => {
    const stream = await driver().get(`${base}/data/hello.txt`);
    expect((await checksumStream(stream)).adler32).toBe('1a0b045d');
  });

  it('turns a 403 into a StorageError with status and the head of the body, without the token', async () => {
    const error = await rejection(driver({ token: bearer }).get(`${base}/forbidden/file?authz=${TOKEN}`));
    expect(error).toBeInstanceOf(StorageError);
    const e = error as StorageError;
    expect(e.status).toBe(403);
    expect(e.detail).toMatch(/^Access denied for Bearer \*\*\* on \/forbidden\/file/);
    expect(e.detail.length).toBeLessThanOrEqual(200);
    expect(`${e.message} ${e.url} ${e.detail}`).not.toContain(TOKEN);
  });

  it('stats files, directories (with and without trailing slash) and missing paths', async () => {
    const d = driver();
    expect(await d.stat(`${base}/data/hello.txt`)).toEqual({ size: 11, isDirectory: false });
    expect(await d.stat(`${base}/data/dir/`)).toEqual({ size: 0, isDirectory: true });
    expect(await d.stat(`${base}/data/dir`)).toEqual({ size: 0, isDirectory: true });
    expect(await d.stat(`${base}/data/missing`)).toBeNull();
    expect(await d.stat(`${base}/data/missing/`)).toBeNull();
    expect(requests.filter((r) => r.method === 'PROPFIND').every((r) => r.headers.depth === '0')).toBe(true);
  });

  it('deletes a file and reports 404 for a missing one', async () => {
    const d = driver();
    await d.delete(`${base}/data/hello.txt`);
    expect(files.has('/data/hello.txt')).toBe(false);
    const error = await rejection(d.delete(`${base}/data/hello.txt`));
    expect((error as StorageError).status).toBe(404);
  });

  it('makes a collection, accepts an existing one, and fails when the parent is missing', async () => {
    const d = driver();
    await d.mkdir(`${base}/data/newdir`);
    expect(dirs.has('/data/newdir')).toBe(true);
    await d.mkdir(`${base}/data/newdir`);
    expect((await rejection(d.mkdir(`${base}/data/x/y`)) as StorageError).status).toBe(409);
  });

  it('follows a GET redirect', async () => {
    expect((await checksumStream(await driver().get(`${base}/redirect/data/hello.txt`))).bytes).toBe(11);
  });

  it('retries once on a new connection when a kept-alive one was dropped', async () => {
    const d = driver();
    expect((await checksumStream(await d.get(`${base}/drop-reused/x`))).bytes).toBe(1);
    expect((await checksumStream(await d.get(`${base}/drop-reused/x`))).bytes).toBe(1);
    expect(requests.filter((r) => r.path === '/drop-reused/x')).toHaveLength(3);
  });

  it('refuses PFNs of other schemes', async () => {
    const error = await rejection(driver().stat('root://127.0.0.1:1094//data/x'));
    expect(error).toBeInstanceOf(StorageError);
    expect(error.message).toContain("unsupported URL scheme 'root'");
  });
});

describe('DavsDriver checksums (Want-Digest)', () => {
  it('reads adler32 as 8 lowercase hex digits and asks for it by name', async () => {
    expect(await driver().checksum(`${base}/data/a.md5hex`, 'adler32')).toBe('00620062');
    expect(requests.at(-1)?.method).toBe('HEAD');
    expect(requests.at(-1)?.headers['want-digest']).toBe('adler32');
  });

  it('turns a base64 md5 into hex, and accepts a hex md5', async () => {
    expect(await driver().checksum(`${base}/data/hello.txt`, 'md5')).toBe('5eb63bbbe01eeed093cb22bb8f5acdc3');
    expect(await driver().checksum(`${base}/data/a.md5hex`, 'md5')).toBe('0cc175b9c0f1b6a831c399e269772661');
  });

  it('fails when the server answers another algorithm or no Digest at all', async () => {
    const other = await rejection(driver().checksum(`${base}/data/file.adleronly`, 'md5'));
    expect(other).toBeInstanceOf(StorageError);
    expect(other.message).toBe(`HEAD ${base.replace('davs:', 'https:')}/data/file.adleronly: 200 no md5 checksum in Digest header`);
    const none = await rejection(driver().checksum(`${base}/data/file.nodigest`, 'adler32'));
    expect((none as StorageError).detail).toBe('no adler32 checksum in Digest header');
  });

  it('reports a missing file as 404', async () => {
    expect((await rejection(driver().checksum(`${base}/data/missing`, 'adler32')) as StorageError).status).toBe(404);
  });
});

describe('DavsDriver authentication and TLS', () => {
  it('presents the client certificate when x509 is set', async () => {
    await driver({ x509: x509() }).stat(`${base}/data/hello.txt`);
    expect(requests.at(-1)?.clientCn).toBe('alice');
    expect(requests.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('sends the bearer token, and only the token when both are set', async () => {
    await driver({ token: bearer, x509: x509() }).stat(`${base}/data/hello.txt`);
    expect(requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(requests.at(-1)?.clientCn).toBeUndefined();
  });

  it('sends neither without credentials', async () => {
    await driver().stat(`${base}/data/hello.txt`);
    expect(requests.at(-1)?.headers.authorization).toBeUndefined();
    expect(requests.at(-1)?.clientCn).toBeUndefined();
  });

  it('keeps the token on same-host redirects and drops it for another host', async () => {
    const d = driver({ token: bearer });
    await d.stat(`${base}/redirect/data/hello.txt`);
    expect(requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    requests = [];
    await d.stat(`${base}/redirect-host/data/hello.txt`);
    expect(requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, undefined]);
  });

  it('rejects a server certificate from an untrusted CA with the TLS error code', async () => {
    const untrusted = await rejection(driver({ ca: [pki.otherCa.certPem] }).stat(`${base}/data/hello.txt`));
    expect(untrusted).not.toBeInstanceOf(StorageError);
    expect(untrusted.code).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    const defaults = await rejection(driver({ ca: [] }).stat(`${base}/data/hello.txt`));
    expect(defaults.code).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    expect(requests).toHaveLength(0);
  });

  it('connects to an untrusted server only when insecure is set', async () => {
    expect(await driver({ ca: [], insecure: true }).stat(`${base}/data/hello.txt`)).toEqual({ size: 11, isDirectory: false });
  });

  it('times out a silent server with ESOCKETTIMEDOUT', async () => {
    const error = await rejection(driver({}, { timeoutMs: 200 }).get(`${base}/slow/file`));
    expect(error.code).toBe('ESOCKETTIMEDOUT');
  });

  it('times out a handshake that never completes with ETIMEDOUT', async () => {
    const held: Socket[] = [];
    const blackhole = createTcpServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blackhole.address() as AddressInfo;
      const error = await rejection(driver({}, { timeoutMs: 200 }).stat(`davs://127.0.0.1:${port}/x`));
      expect(error.code).toBe('ETIMEDOUT');
    } finally {
      for (const s of held) s.destroy();
      await new Promise((resolve) => blackhole.close(resolve));
    }
  });

  it('propagates a refused connection as ECONNREFUSED', async () => {
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    expect((await rejection(driver().stat(`davs://127.0.0.1:${port}/x`))).code).toBe('ECONNREFUSED');
  });
});

describe('createStorageDriver', () => {
  it('builds a davs driver', () => {
    const d = createStorageDriver('davs', { ca: [] });
    expect(d.protocol).toBe('davs');
    (d as DavsDriver).close();
  });

  it('builds a driver for each protocol and refuses unknown ones with a StorageError', () => {
    expect(['davs', 'root', 'gfal'].map((p) => createStorageDriver(p as StorageProtocol, { ca: [] }).protocol)).toEqual(['davs', 'root', 'gfal']);
    expect(() => createStorageDriver('srm' as StorageProtocol, { ca: [] })).toThrow(StorageError);
    expect(() => createStorageDriver('srm' as StorageProtocol, { ca: [] })).toThrow(/no srm storage driver/);
  });
});
