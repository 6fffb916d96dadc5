// Transient catalogue failures against a real local HTTP server (no recorded exchange
// answers 502 then 200): retry-safe calls are sent again with bounded backoff and the
// attempts are noted; others are sent once.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { recordOp } from '../../../src/engine/run-context.js';
import type { OpResult } from '../../../src/engine/op-result.js';
import { HttpTransport } from '../../../src/lake/rucio/http.js';
import { RucioClient } from '../../../src/lake/rucio/index.js';
import { collectRetryNotes, retryDelayMs, retrySafe, DEFAULT_RETRY } from '../../../src/lake/rucio/retry.js';

type Step = number | 'drop';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** Answers each request with the next step (a status, or a dropped connection); the last step repeats. */
async function flakyServer(steps: Step[], ok: (res: http.ServerResponse) => void = (res) => res.end('{}')) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const step = steps[Math.min(seen.length, steps.length - 1)] as Step;
    seen.push(`${req.method} ${req.url}`);
    if (step === 'drop') return void req.socket.destroy();
    if (step >= 200 && step < 300) {
      res.statusCode = step;
      return ok(res);
    }
    res.writeHead(step, { 'Content-Type': 'text/html' });
    res.end(`<html><body><h1>${step} Bad Gateway</h1></body></html>`);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const fast = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

const login = (res: http.ServerResponse): void => {
  res.setHeader('X-Rucio-Auth-Token', 'root-ddmlab-unknown-0123');
  res.setHeader('X-Rucio-Auth-Token-Expires', 'Wed, 25 Nov 2099 01:04:23 UTC');
  res.end();
};

describe('retries of catalogue calls', () => {
  it('logs in after one 502 and the auth result notes the attempts', async () => {
    const server = await flakyServer([502, 200], login);
    const c = new RucioClient({ rucioHost: server.url, authHost: server.url, account: 'root', ca: [], auth: { method: 'userpass', username: 'u', password: 'pw-secret' } });
    const results: OpResult[] = [];
    const identity = { runId: 'r', experiment: 'e', test: 't', scenario: 's', authMethod: 'userpass' as const, identityRole: 'default', account: 'root' };
    const outcome = await recordOp({ identity, emit: async (r) => { results.push(r); }, secrets: ['pw-secret'] }, { operation: 'auth' }, () => c.authenticate());
    c.close();

    expect(outcome.ok).toBe(true);
    expect(server.seen).toEqual(['GET /auth/userpass', 'GET /auth/userpass']);
    expect(results[0]).toMatchObject({
      outcome: 'ok', severity: 'warning',
      errorMessage: 'succeeded after retries: GET /auth/userpass: 2 attempts (502, 200): 200',
    });
  });

  it('gives up after the bounded attempts and says how many in the error', async () => {
    const server = await flakyServer([502]);
    const t = new HttpTransport({ ca: [], timeoutMs: 5_000, retry: fast });
    const notes: string[] = [];
    const res = await collectRetryNotes((n) => notes.push(n), () => t.send({ method: 'GET', url: new URL('/rses/', server.url), headers: {} }));
    t.close();
    expect(server.seen).toHaveLength(3);
    expect(res).toMatchObject({ status: 502, attempts: 3 });
    expect(notes).toEqual(['GET /rses/: 3 attempts (502, 502, 502): gave up']);

    const c = new RucioClient({ rucioHost: server.url, authHost: server.url, account: 'root', ca: [], auth: { method: 'userpass', username: 'u', password: 'pw-secret' } });
    const error: unknown = await c.authenticate().catch((e: unknown) => e);
    c.close();
    expect((error as Error).message).toBe('GET /auth/userpass: 502 HTTP error: <html><body><h1>502 Bad Gateway</h1></body></html> (after 3 attempts)');
  });

  it('sends a rule, a DID or a deletion once, whatever the answer', async () => {
    const server = await flakyServer([502, 200]);
    const t = new HttpTransport({ ca: [], timeoutMs: 5_000, retry: fast });
    for (const [method, path] of [['POST', '/rules/'], ['POST', '/dids/user.root/ds'], ['DELETE', '/rules/abc'], ['PUT', '/rules/abc']] as const) {
      server.seen.length = 0;
      const res = await t.send({ method, url: new URL(path, server.url), headers: {}, body: '{}' });
      expect([method, path, res.status, server.seen.length]).toEqual([method, path, 502, 1]);
    }
    t.close();
  });

  it('sends a replica registration again (Rucio answers 201 to a re-added replica), and a list', async () => {
    const server = await flakyServer([503, 201]);
    const t = new HttpTransport({ ca: [], timeoutMs: 5_000, retry: fast });
    const res = await t.send({ method: 'POST', url: new URL('/replicas', server.url), headers: {}, body: '{}' });
    expect(res.status).toBe(201);
    expect(server.seen).toEqual(['POST /replicas', 'POST /replicas']);
    t.close();
    expect(retrySafe('POST', '/replicas/list')).toBe(true);
    expect(retrySafe('POST', '/prefix/replicas/')).toBe(true);
    expect(retrySafe('POST', '/replicas/bad')).toBe(false);
  });

  it('sends a GET again after the connection dropped, and names the attempts when it keeps dropping', async () => {
    const once = await flakyServer(['drop', 200]);
    const t = new HttpTransport({ ca: [], timeoutMs: 5_000, retry: fast });
    await expect(t.send({ method: 'GET', url: new URL('/ping', once.url), headers: {} })).resolves.toMatchObject({ status: 200 });
    expect(once.seen).toHaveLength(2);

    const always = await flakyServer(['drop']);
    const error: unknown = await t.send({ method: 'GET', url: new URL('/ping', always.url), headers: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONNRESET' });
    expect((error as Error).message).toMatch(/\(after 3 attempts: ECONNRESET, ECONNRESET, ECONNRESET\)$/);
    t.close();
  });

  it('backs off exponentially within its bound and honours Retry-After within it', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(DEFAULT_RETRY, n))).toEqual([250, 500, 1000, 2000, 2000]);
    expect(retryDelayMs(DEFAULT_RETRY, 1, '1')).toBe(1000);
    expect(retryDelayMs(DEFAULT_RETRY, 1, '3600')).toBe(2000);
    expect(retryDelayMs(DEFAULT_RETRY, 1, 'soon')).toBe(250);
  });
});
