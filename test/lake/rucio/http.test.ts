import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RucioApiError } from '../../../src/lake/errors.js';
import { HttpTransport, parseJsonStream, type HttpResponse } from '../../../src/lake/rucio/http.js';
import { RucioClient } from '../../../src/lake/rucio/index.js';
import { withTemporaryPki, type Certificate } from '../../helpers/openssl-pki.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const servers: (http.Server | https.Server | net.Server)[] = [];
const sockets: net.Socket[] = [];

async function listen(server: http.Server | https.Server | net.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `${server instanceof http.Server ? 'http' : 'https'}://127.0.0.1:${port}`;
}

const httpServer = (handler: Handler): Promise<string> => listen(http.createServer(handler));

function transport(options: Partial<ConstructorParameters<typeof HttpTransport>[0]> = {}): HttpTransport {
  return new HttpTransport({ ca: [], timeoutMs: 5_000, ...options });
}

async function failure(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  const error: unknown = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as NodeJS.ErrnoException;
}

let pki: { ca: Certificate; server: Certificate; selfSigned: Certificate };

beforeAll(() => {
  pki = withTemporaryPki((certs) => {
    const ca = certs.ca('ca', '/CN=lakeprobe test CA');
    return { ca, server: certs.server('server', ca), selfSigned: certs.server('self', null) };
  });
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) {
    if ('closeAllConnections' in server) server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('network failures keep their Node error code', () => {
  it('ECONNREFUSED when nothing listens', async () => {
    const base = await httpServer((_req, res) => res.end());
    const closing = servers.pop() as http.Server;
    await new Promise((resolve) => closing.close(resolve));
    const error = await failure(transport().send({ method: 'GET', url: new URL('/ping', base), headers: {} }));
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('ESOCKETTIMEDOUT when a connected server never answers', async () => {
    const base = await httpServer(() => undefined);
    const started = Date.now();
    const error = await failure(transport({ timeoutMs: 300 }).send({ method: 'GET', url: new URL('/rses/', base), headers: {} }));
    expect(error.code).toBe('ESOCKETTIMEDOUT');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('ETIMEDOUT when the TLS handshake never completes', async () => {
    const base = await listen(net.createServer((socket) => { sockets.push(socket); }));
    const error = await failure(transport({ timeoutMs: 300 }).send({ method: 'GET', url: new URL('/ping', base), headers: {} }));
    expect(error.code).toBe('ETIMEDOUT');
  });

  it('ECONNRESET when the connection drops in the middle of a streamed answer', async () => {
    const base = await httpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/x-json-stream' });
      res.write('{"rse": "MOCK-A"}\n{"rse": "MO');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const error = await failure(transport().send({ method: 'GET', url: new URL('/rses/', base), headers: {} }));
    expect(error.code).toBe('ECONNRESET');
  });
});

describe('TLS', () => {
  it('rejects a server no trust anchor vouches for, with the TLS error code', async () => {
    const base = await listen(https.createServer({ cert: pki.selfSigned.certPem, key: pki.selfSigned.keyPem }, (_req, res) => res.end('{}')));
    const error = await failure(transport({ ca: [pki.ca.certPem] }).send({ method: 'GET', url: new URL('/ping', base), headers: {} }));
    expect(error.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
  });

  it('trusts a server signed by the given CA, and any server when insecure', async () => {
    const trusted = await listen(https.createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (_req, res) => res.end('{"version":"41.0.0"}')));
    const selfSigned = await listen(https.createServer({ cert: pki.selfSigned.certPem, key: pki.selfSigned.keyPem }, (_req, res) => res.end('ok')));
    const ok = await transport({ ca: [pki.ca.certPem] }).send({ method: 'GET', url: new URL('/ping', trusted), headers: {} });
    expect(ok).toMatchObject({ status: 200, body: '{"version":"41.0.0"}' });
    const insecure = await transport({ insecure: true }).send({ method: 'GET', url: new URL('/ping', selfSigned), headers: {} });
    expect(insecure.body).toBe('ok');
  });
});

describe('redirects', () => {
  it('does not carry the token to another origin', async () => {
    let foreignHits = 0;
    const foreign = await httpServer((_req, res) => { foreignHits++; res.end('{}'); });
    const api = await httpServer((req, res) => {
      // The token is validated at the lake's own origin first.
      if (req.url === '/auth/validate') return void res.end("{'account': 'root'}");
      res.writeHead(303, { Location: `${foreign}/accounts/root` });
      res.end();
    });
    const c = new RucioClient({
      rucioHost: api, authHost: api, account: 'root', ca: [],
      auth: { method: 'token', token: { token: 'opaque-token', claims: null, expiresAt: null, source: 'test' } },
    });
    const error: unknown = await c.whoami().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RucioApiError);
    expect(error).toMatchObject({ status: 303, path: '/accounts/whoami' });
    expect(foreignHits).toBe(0);
    c.close();
  });
});

describe('x-json-stream parsing', () => {
  const answer = (body: string, contentType = 'application/x-json-stream'): HttpResponse =>
    ({ status: 200, statusMessage: 'OK', headers: { 'content-type': contentType }, body });

  it('reads one value per line and an empty body as an empty list', () => {
    expect(parseJsonStream(answer('{"rse": "MOCK-A"}\n{"rse": "MOCK-B"}\n'), 'GET', '/rses/')).toEqual([{ rse: 'MOCK-A' }, { rse: 'MOCK-B' }]);
    expect(parseJsonStream(answer(''), 'POST', '/replicas/list')).toEqual([]);
  });

  it('accepts a JSON array sent as application/json', () => {
    expect(parseJsonStream(answer('[{"a": 1}, {"a": 2}]', 'application/json'), 'GET', '/x')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('fails on a truncated last line', () => {
    expect(() => parseJsonStream(answer('{"rse": "MOCK-A"}\n{"rse": "MO'), 'GET', '/rses/')).toThrow(RucioApiError);
    expect(() => parseJsonStream(answer('{"rse": "MOCK-A"}\n{"rse": "MO'), 'GET', '/rses/')).toThrow(/line 2/);
  });
});
