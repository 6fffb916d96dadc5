// Half a challenge hour in one minute: the daemon runs scheduled tests while its credentials
// expire and are renewed under it. The daemon's scheduler runs on the wall clock and the
// sandbox's issuer and PKI stamp real expiry times, so everything is scaled down 30×
// together: tokens of 10 s (5 min), proxies of 30 s (15 min), 60 s of scheduled runs
// (30 min: six token and two proxy lifetimes), a run every 5 s (2.5 min). Token renewal 4 s ahead, proxy renewal 12 s ahead.
// The storage RSE accepts only its own audience (WLCG token profile 1.0), so its uploads
// pass only with per-audience tokens. No run may fail, least of all as auth_expired.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/jobs/daemon.js';
import { forgetIssuedTokens, issuedTokenStates } from '../../src/lake/credentials/index.js';
import { forgetProxyRenewals, proxyRenewalStates } from '../../src/lake/credentials/proxy-renewal.js';
import { ResultsStore } from '../../src/results/store.js';
import { DEFAULT_SANDBOX_CONFIG } from '../../src/sandbox/sandbox-config.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { startTestLake } from '../integration/lake-fixture.js';

const SCALE = 30;
const TOKEN_SECONDS = (5 * 60) / SCALE;
const PROXY_SECONDS = (15 * 60) / SCALE;
const RUN_SECONDS = (30 * 60) / SCALE;
const JITI = resolve('node_modules/.bin/jiti');
const MAKE_PROXY = resolve('test/fixtures/proxy-renewal/make-proxy.ts');

describe('the daemon through many credential lifetimes (30 min of schedule, scaled 30× down)', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let dir: string;
  beforeAll(async () => {
    const rses = DEFAULT_SANDBOX_CONFIG.rses.map((r) => (r.name === 'SANDBOX-FAST' ? { ...r, own_token_audience: true } : r));
    env = await startTestLake('builtin', { rses, tokens: { ...DEFAULT_SANDBOX_CONFIG.tokens, lifetime_seconds: TOKEN_SECONDS } });
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-renewal-daemon-'));
  }, 120_000);
  afterAll(async () => {
    forgetIssuedTokens();
    forgetProxyRenewals();
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs with no auth_expired, renewing tokens per audience and the proxy by its command', async () => {
    const proxy = join(dir, 'x509up');
    const member = env.lake.pki.users.member;
    const planFile = join(dir, 'plan.yaml');
    await writeFile(planFile, `name: renewal
lake: { sandbox: true }
credentials:
  x509:
    proxy: ${proxy}
    renew_command: ${JSON.stringify([JITI, MAKE_PROXY, member.certPath, member.keyPath, String(PROXY_SECONDS)])}
    renew_margin_seconds: 12
    renew_timeout_seconds: 60
  token:
    issuer: ${env.lake.issuer.issuer}
    client_id: ${env.lake.oauthClient.clientId}
    client_secret_file: ${env.lake.oauthClient.secretFile}
    audience: rucio
    per_operation: true
    renew_margin_seconds: 4
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: LONG
    tests:
      - { name: tokens, scenario: upload, auth: [token], params: { files: 1, size: 2048 }, schedule: { cron: "*/5 * * * * *" } }
      - { name: proxy, scenario: upload, auth: [x509], params: { files: 1, size: 2048 }, schedule: { cron: "*/5 * * * * *", offset_seconds: 2 } }
`);
    const lines: string[] = [];
    const dbPath = join(dir, 'r.db');
    const daemon = await startDaemon({
      planFile, env: env.lake.env, uid: 4_000_020, registry: builtinScenarios(), dbPath, port: 0,
      log: (l) => lines.push(l), credentialRefreshMs: 2000, stopGraceMs: 30_000, watch: false,
    });
    // The renewal timeline, sampled each second: a token's or the proxy's new expiry, when it appears.
    const timeline: string[] = [];
    const seen = new Set<string>();
    const started = Date.now();
    let renewalOk = '';
    let page = '';
    try {
      while (Date.now() - started < RUN_SECONDS * 1000) {
        const t = ((Date.now() - started) / 1000).toFixed(0).padStart(3);
        for (const s of issuedTokenStates()) {
          const key = `token ${s.audience ?? '-'} ${s.lastRenewal?.toISOString() ?? ''}`;
          if (s.lastRenewal && !seen.has(key) && (s.audience === 'rucio' || s.scope?.startsWith('storage.create:'))) {
            seen.add(key);
            timeline.push(`+${t} s token aud=${s.audience} scope=${s.scope} renewed ${s.lastRenewal.toISOString()} → exp ${s.expiresAt?.toISOString()}`);
          }
        }
        for (const p of proxyRenewalStates()) {
          const key = `proxy ${p.lastSuccess?.toISOString() ?? ''} ${p.lastError ?? ''}`;
          if ((p.lastSuccess || p.lastError) && !seen.has(key)) {
            seen.add(key);
            timeline.push(`+${t} s proxy ${p.lastError ? `renewal FAILED: ${p.lastError}` : `renewed ${p.lastSuccess?.toISOString()} (renewal ${p.renewals})`}`);
          }
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
      renewalOk = await (await fetch(`${daemon.url}/metrics`)).text();
      page = await (await fetch(`${daemon.url}/`)).text();
    } finally {
      await daemon.stop();
    }
    console.log(`renewal timeline (${RUN_SECONDS} s = ${(RUN_SECONDS * SCALE) / 60} min at ${SCALE}×):\n${timeline.join('\n')}`);

    const store = new ResultsStore(dbPath);
    try {
      const runs = store.runs();
      const results = runs.flatMap((r) => store.results(r.runId));
      const byTest = (test: string): number => runs.filter((r) => results.some((x) => x.runId === r.runId && x.test === test)).length;
      console.log(`runs: ${runs.length} (tokens ${byTest('tokens')}, proxy ${byTest('proxy')}), operations: ${results.length}`);
      // Every run of each test, every 5 s for RUN_SECONDS (the first runs wait for the first proxy and tokens).
      expect(byTest('tokens')).toBeGreaterThanOrEqual(RUN_SECONDS / 5 / 2);
      expect(byTest('proxy')).toBeGreaterThanOrEqual(RUN_SECONDS / 5 / 2);
      expect(results.filter((r) => r.errorClass === 'auth_expired')).toEqual([]);
      expect(results.filter((r) => r.outcome === 'failed').map((r) => `${r.test} ${r.operation}: ${r.errorMessage}`)).toEqual([]);
      // Uploads to the own-audience RSE went with its own audience.
      const audience = new URL(env.lake.rses.find((r) => r.name === 'SANDBOX-FAST')?.url ?? '').origin;
      const uploads = results.filter((r) => r.test === 'tokens' && r.operation === 'upload');
      expect(uploads.length).toBeGreaterThan(0);
      for (const u of uploads) expect(u.tokenUse).toContain(`aud=${audience} scope="storage.create:/rucio/`);
    } finally {
      store.close();
    }
    // RUN_SECONDS of 10 s catalogue tokens renewed 4 s ahead: one every ~6 s; 30 s proxies renewed 12 s ahead: one every ~18 s.
    const catalogueRenewals = issuedTokenStates().find((s) => s.audience === 'rucio')?.renewals ?? 0;
    const proxyRenewals = proxyRenewalStates().find((p) => p.proxy === proxy)?.renewals ?? 0;
    console.log(`renewals: catalogue token ${catalogueRenewals}, proxy ${proxyRenewals}`);
    expect(catalogueRenewals).toBeGreaterThanOrEqual(RUN_SECONDS / TOKEN_SECONDS);
    expect(proxyRenewals).toBeGreaterThanOrEqual(RUN_SECONDS / PROXY_SECONDS + 1);
    expect(renewalOk).toMatch(/^lakeprobe_credential_renewal_ok\{auth_method="x509"\} 1$/m);
    expect(renewalOk).toMatch(/^lakeprobe_credential_renewal_ok\{auth_method="token"\} 1$/m);
    expect(lines.filter((l) => /proxy renewal failed/.test(l))).toEqual([]);
    // The status page's credential row of the proxy shows its last renewal.
    expect(page).toMatch(new RegExp(`<tr><td>x509</td><td>${proxy}</td><td>-</td><td>-</td><td>[^<]+</td><td>[^<]+</td><td>\\d{4}-\\d\\d-\\d\\dT[^<]+</td></tr>`));
  }, 300_000);
});
