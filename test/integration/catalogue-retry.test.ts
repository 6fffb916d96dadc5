// A transient 502 from the catalogue (a real local front answering the first login with
// 502, then passing everything on to the sandbox catalogue) no longer fails the auth
// method: the login is sent again, the result notes it, and the test runs.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrustAnchors } from '../../src/lake/credentials/index.js';
import { loadTestPlan, runTestPlan, startTestLake } from './lake-fixture.js';

describe('transient catalogue failures during a run', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let front: http.Server;
  let frontUrl: string;
  const seen: string[] = [];
  let badGateways = 0;

  beforeAll(async () => {
    env = await startTestLake('builtin');
    const ca = await loadTrustAnchors(env.lake.pki.certDir);
    const upstream = new URL(env.lake.rucioUrl);
    front = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url?.startsWith('/auth/') && badGateways < 1) {
        badGateways++;
        res.writeHead(502, { 'Content-Type': 'text/html' });
        return void res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      }
      const out = https.request({
        host: upstream.hostname, port: upstream.port, path: req.url, method: req.method,
        headers: { ...req.headers, host: upstream.host }, ca,
      }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      req.pipe(out);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    front.closeAllConnections();
    await new Promise((r) => front.close(r));
    await env.stop();
  });

  it('retries the login after one 502, records the attempts on the auth result, and runs the test', async () => {
    const plan = await loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true, rucio_host: "${frontUrl}", auth_host: "${frontUrl}" }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: R
    tests:
      - { name: up, scenario: upload, auth: [userpass], params: { files: 1, size: 1024 } }
`);
    const { results } = await runTestPlan(plan);
    expect(seen.slice(0, 2)).toEqual(['GET /auth/userpass', 'GET /auth/userpass']);
    expect(results[0]).toMatchObject({
      operation: 'auth', outcome: 'ok', severity: 'warning',
      errorMessage: 'succeeded after retries: GET /auth/userpass: 2 attempts (502, 200): 200',
    });
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
    expect(results.map((r) => r.operation)).toContain('verify');
  });
});
