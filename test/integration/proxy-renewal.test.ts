// A plan names a command that renews its x509 proxy (voms-proxy-init, myproxy-logon; here a
// small script calling the sandbox's proxy maker, in a time-compressed form: proxies of
// 20 s renewed 8 s ahead). Each run renews the proxy first when it is near its expiry; a
// failing command is a warning, redacted, until the proxy really expires: then auth_expired.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { forgetProxyRenewals, proxyRenewalStates } from '../../src/lake/credentials/proxy-renewal.js';
import { loadX509Proxy } from '../../src/lake/credentials/index.js';
import { runPlan } from '../../src/engine/runner.js';
import { ResultsStore } from '../../src/results/store.js';
import { builtinScenarios } from '../../src/scenarios.js';
import type { ResolvedPlan } from '../../src/plan/index.js';
import { loadTestPlan, startTestLake } from './lake-fixture.js';

const JITI = resolve('node_modules/.bin/jiti');
const MAKE_PROXY = resolve('test/fixtures/proxy-renewal/make-proxy.ts');
const PROXY_SECONDS = 20;
const MARGIN_SECONDS = 8;
const SECRET = 'renewal-passphrase-4f1c9a';

describe('x509 proxy renewed by the plan\'s command', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let dir: string;
  beforeAll(async () => {
    env = await startTestLake('builtin');
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-renew-'));
  }, 120_000);
  afterEach(() => forgetProxyRenewals());
  afterAll(async () => {
    await env.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const plan = (proxy: string, command: string[], timeout = 60): Promise<ResolvedPlan> => loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true }
credentials:
  userpass: { username: x, password_env: RENEW_TEST_SECRET }
  x509:
    proxy: ${proxy}
    renew_command: ${JSON.stringify(command)}
    renew_margin_seconds: ${MARGIN_SECONDS}
    renew_timeout_seconds: ${timeout}
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: T
    tests:
      - { name: up, scenario: upload, auth: [x509], params: { files: 1, size: 1024 } }
`, { RENEW_TEST_SECRET: SECRET });
  const member = (): { certPath: string; keyPath: string } => env.lake.pki.users.member;
  const goodCommand = (seconds = PROXY_SECONDS): string[] => [JITI, MAKE_PROXY, member().certPath, member().keyPath, String(seconds)];

  async function run(resolved: ResolvedPlan): Promise<{ classes: string[]; lines: string[] }> {
    const store = new ResultsStore(':memory:');
    const lines: string[] = [];
    const { run: info } = await runPlan({ plan: resolved, registry: builtinScenarios(), sinks: [store], ledger: store, log: (l) => lines.push(l) });
    const classes = store.results(info.runId).map((r) => `${r.operation}:${r.outcome}:${r.errorClass ?? '-'}`);
    store.close();
    return { classes, lines };
  }

  it('makes the missing proxy, then renews it ahead of expiry: runs over two proxy lifetimes never fail', async () => {
    const proxy = join(dir, 'renewed.pem');
    const resolved = await plan(proxy, goodCommand());
    const deadline = Date.now() + 2 * PROXY_SECONDS * 1000;
    const expiries = new Set<number>();
    const classes: string[] = [];
    for (let runs = 0; Date.now() < deadline && runs < 100; runs++) {
      const out = await run(resolved);
      classes.push(...out.classes);
      expiries.add((await loadX509Proxy(proxy)).notAfter.getTime());
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(classes.filter((c) => !c.includes(':ok:'))).toEqual([]);
    // A first proxy and at least two renewals, each one a new proxy.
    const state = proxyRenewalStates().find((s) => s.proxy === proxy);
    expect(state?.renewals).toBeGreaterThanOrEqual(3);
    expect(expiries.size).toBeGreaterThanOrEqual(3);
    expect(state?.lastError).toBeNull();
  }, 180_000);

  it('a failing command is a redacted warning while the proxy holds, then the run fails as auth_expired', async () => {
    const proxy = join(dir, 'failing.pem');
    // A first proxy of 12 s (inside the 8 s margin soon), then a command that fails, printing a secret.
    await run(await plan(proxy, goodCommand(12)));
    forgetProxyRenewals();
    const failing = join(dir, 'fail.sh');
    await writeFile(failing, `#!/bin/sh\necho "contacting myproxy with passphrase ${SECRET}" >&2\nexit 3\n`);
    await chmod(failing, 0o755);
    const resolved = await plan(proxy, [failing]);
    const { notAfter } = await loadX509Proxy(proxy);
    await new Promise((r) => setTimeout(r, Math.max(0, notAfter.getTime() - MARGIN_SECONDS * 1000 - Date.now() + 500)));
    const before = await run(resolved);
    expect(before.classes.filter((c) => !c.includes(':ok:'))).toEqual([]);
    const warning = before.lines.find((l) => l.includes('proxy renewal failed'));
    expect(warning).toMatch(/^warning: x509 proxy renewal failed \(expires \S+\): \S*fail\.sh: exit 3: contacting myproxy with passphrase <redacted>$/);
    expect(before.lines.join('\n')).not.toContain(SECRET);
    await new Promise((r) => setTimeout(r, Math.max(0, notAfter.getTime() - Date.now() + 1000)));
    const after = await run(resolved);
    expect(after.classes).toContain('auth:failed:auth_expired');
    expect(proxyRenewalStates().find((s) => s.proxy === proxy)?.failures).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('kills a command that outlives its timeout, with its children', async () => {
    const proxy = join(dir, 'slow.pem');
    const started = Date.now();
    const { lines } = await run(await plan(proxy, ['sh', '-c', 'sleep 60 & sleep 60'], 1));
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(lines.find((l) => l.includes('proxy renewal failed'))).toMatch(/no readable proxy\): sh: killed after 1 s \(timeout\)/);
  }, 60_000);
});
