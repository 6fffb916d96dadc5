// The plan's lake.timeouts bound catalogue calls as they bound storage requests. A catalogue
// that accepts the connection and then never answers (no TLS handshake; no answer to the
// request; headers and then nothing; a body cut short that never goes on; a body that
// trickles) fails the login within the limit that fired, with its class and the catalogue's
// host:port in the message. And a token login the catalogue leaves hanging (GET /auth/validate,
// Rucio 41 lib/rucio/web/rest/flaskapi/v1/auth.py Validate) does not hold back the x509 operations
// of the same test.
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { loadTestPlan, runTestPlan, startTestLake, STORAGE_KINDS, type TestLake } from './lake-fixture.js';

/** Seconds, as the plan gives them. */
const LIMITS = { connect: 2, first_byte: 3, stall: 2, total: 8 };
/** Room for a busy machine on top of a limit (the old fixed limit was 60 s per call). */
const SLACK_MS = 10_000;

type Behaviour = (socket: net.Socket) => void;

/** A loopback TCP server that accepts every connection and treats it as `behaviour` says. */
async function silentCatalogue(behaviour: Behaviour): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    behaviour(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Answers the request's headers with `head`, then `after` on the socket. */
const onRequest = (head: string, after?: (socket: net.Socket) => void): Behaviour => (socket) => {
  let seen = '';
  const onData = (chunk: Buffer): void => {
    seen += chunk.toString('latin1');
    if (!seen.includes('\r\n\r\n')) return;
    socket.off('data', onData);
    socket.write(head);
    after?.(socket);
  };
  socket.on('data', onData);
};

describe('catalogue calls under the plan\'s lake.timeouts', () => {
  let env: TestLake;
  beforeAll(async () => {
    env = await startTestLake('builtin');
  }, 60_000);
  afterAll(() => env?.stop());

  async function loginAgainst(url: string, auth: 'userpass' | 'x509'): Promise<{ results: OpResult[]; wallMs: number }> {
    const plan = await loadTestPlan(env.lake, env.dir, `
lake:
  sandbox: true
  rucio_host: "${url}"
  auth_host: "${url}"
  timeouts: { connect: ${LIMITS.connect}, first_byte: ${LIMITS.first_byte}, stall: ${LIMITS.stall}, total: ${LIMITS.total} }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: T
    tests:
      - { name: up, scenario: upload, auth: [${auth}], params: { files: 1, size: 1024 } }
`);
    const started = Date.now();
    const { results } = await runTestPlan(plan);
    return { results, wallMs: Date.now() - started };
  }

  const cases: { name: string; scheme: 'http' | 'https'; auth: 'userpass' | 'x509'; behaviour: Behaviour; limit: keyof typeof LIMITS; errorClass: string; path: string }[] = [
    {
      name: 'accepts the connection and never starts the TLS handshake',
      scheme: 'https', auth: 'x509', behaviour: () => {}, limit: 'connect', errorClass: 'connect_timeout', path: '/auth/x509',
    },
    {
      name: 'reads the request and never answers',
      scheme: 'http', auth: 'userpass', behaviour: () => {}, limit: 'first_byte', errorClass: 'timeout', path: '/auth/userpass',
    },
    {
      name: 'sends the headers and then stalls',
      scheme: 'http', auth: 'userpass', path: '/auth/userpass', limit: 'stall', errorClass: 'timeout',
      behaviour: onRequest('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 4096\r\n\r\n'),
    },
    {
      name: 'cuts its answer short and never goes on (a truncated stream)',
      scheme: 'http', auth: 'userpass', path: '/auth/userpass', limit: 'stall', errorClass: 'timeout',
      behaviour: onRequest('HTTP/1.1 200 OK\r\nContent-Type: application/x-json-stream\r\nContent-Length: 4096\r\n\r\n{"rse": "SANDBOX-FAST"}\n{"rse": "SAN'),
    },
    {
      name: 'trickles its answer one byte at a time',
      scheme: 'http', auth: 'userpass', path: '/auth/userpass', limit: 'total', errorClass: 'timeout',
      behaviour: onRequest('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n', (socket) => {
        const t = setInterval(() => (socket.destroyed ? clearInterval(t) : socket.write(' ')), 500);
        socket.on('close', () => clearInterval(t));
      }),
    },
  ];

  for (const c of cases) {
    it(`a catalogue that ${c.name}: ${c.errorClass} after lake.timeouts.${c.limit}, naming the host`, async () => {
      const catalogue = await silentCatalogue(c.behaviour);
      try {
        const { results, wallMs } = await loginAgainst(`${c.scheme}://127.0.0.1:${catalogue.port}`, c.auth);
        // The login fails and nothing else runs.
        expect(results.map((r) => `${r.operation} ${r.outcome}`)).toEqual(['auth failed']);
        const login = results[0] as OpResult;
        expect(login.errorClass).toBe(c.errorClass);
        expect(login.errorMessage).toContain(`catalogue 127.0.0.1:${catalogue.port}: GET ${c.path}: `);
        expect(login.errorMessage).toContain(`(lake.timeouts.${c.limit})`);
        expect(login.errorMessage).toContain(`${LIMITS[c.limit] * 1000} ms`);
        // Ends at its limit: not before it, and well before the old fixed 60 s.
        expect(login.durationMs).toBeGreaterThanOrEqual(LIMITS[c.limit] * 1000 - 50);
        expect(login.durationMs).toBeLessThan(LIMITS[c.limit] * 1000 + SLACK_MS);
        expect(wallMs).toBeLessThan(LIMITS[c.limit] * 1000 + 2 * SLACK_MS);
      } finally {
        await catalogue.close();
      }
    }, 60_000);
  }

});

describe.each(STORAGE_KINDS)('auth methods of a test do not wait on each other (%s storage)', (storage) => {
  let env: TestLake;
  beforeAll(async () => {
    env = await startTestLake(storage);
  }, 60_000);
  afterAll(() => env?.stop());

  it('runs the x509 operations of an auth-matrix test while its token login hangs', async () => {
    const { lake } = env;
    const firstByte = 30;
    const plan = await loadTestPlan(lake, env.dir, `
lake: { sandbox: true, timeouts: { first_byte: ${firstByte} } }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: T
    tests:
      - { name: both, scenario: auth-matrix, auth: [token, x509], params: { size: 1024, schemes: [davs], third_party_copy: false } }
`);
    // Only the token's login hangs (far beyond any limit); the x509 login and every other call are answered.
    const id = lake.faults.add({ kind: 'auth_slow', login: 'token', delayMs: 600_000 });
    try {
      const { results } = await runTestPlan(plan);
      const token = results.filter((r) => r.authMethod === 'token');
      const x509 = results.filter((r) => r.authMethod === 'x509');
      expect(token.map((r) => `${r.operation} ${r.outcome}`)).toEqual(['auth failed']);
      const login = token[0] as OpResult;
      const catalogue = new URL(lake.rucioUrl);
      expect(login.errorClass).toBe('timeout');
      expect(login.errorMessage).toContain(`catalogue ${catalogue.hostname}:${catalogue.port}: GET /auth/validate: `);
      expect(login.errorMessage).toContain('(lake.timeouts.first_byte)');
      expect(login.durationMs).toBeGreaterThanOrEqual(firstByte * 1000 - 50);
      expect(login.durationMs).toBeLessThan(firstByte * 1000 + SLACK_MS);

      // The x509 run is complete and clean, and every one of its operations ended while the token login still hung.
      expect(x509.map((r) => r.operation)).toEqual(expect.arrayContaining(['auth', 'list', 'upload', 'register', 'download', 'delete']));
      expect(x509.filter((r) => r.outcome !== 'ok')).toEqual([]);
      const end = (r: OpResult): number => Date.parse(r.start) + r.durationMs;
      const hungUntil = end(login);
      const late = x509.filter((r) => end(r) >= hungUntil).map((r) => `${r.operation} ended ${end(r) - hungUntil} ms after the token login`);
      expect(late).toEqual([]);
    } finally {
      lake.faults.remove(id);
    }
  }, 120_000);
});
