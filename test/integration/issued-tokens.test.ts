// A plan whose token lakeprobe obtains from the sandbox issuer (as from IAM) and renews
// itself: runs over several lifetimes of 8-second tokens never fail with auth_expired,
// by client_credentials and by a refresh token from a file.
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openLakeSession } from '../../src/engine/lake-session.js';
import { forgetIssuedTokens, issuedTokenStates, loadBearerToken } from '../../src/lake/credentials/index.js';
import { createStorageDriver } from '../../src/lake/storage/index.js';
import { DEFAULT_SANDBOX_CONFIG } from '../../src/sandbox/sandbox-config.js';
import { loadTestPlan, runTestPlan, startTestLake, STORAGE_KINDS } from './lake-fixture.js';

const LIFETIME_SECONDS = 8;

describe('tokens obtained and renewed by lakeprobe against the sandbox lake', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  beforeAll(async () => {
    env = await startTestLake('builtin', { tokens: { ...DEFAULT_SANDBOX_CONFIG.tokens, lifetime_seconds: LIFETIME_SECONDS } });
  });
  afterEach(() => forgetIssuedTokens());
  afterAll(() => env.stop());

  const plan = (grant: string): string => `
lake: { sandbox: true }
credentials:
  token:
    issuer: ${env.lake.issuer.issuer}
    client_id: ${env.lake.oauthClient.clientId}
    client_secret_file: ${env.lake.oauthClient.secretFile}
    ${grant}
    audience: rucio
    renew_margin_seconds: 3
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: T
    tests:
      - { name: up, scenario: upload, auth: [token], params: { files: 1, size: 1024 } }
`;

  it('runs for three token lifetimes with client_credentials tokens and no auth_expired', async () => {
    const resolved = await loadTestPlan(env.lake, env.dir, plan('grant: client_credentials'));
    const deadline = Date.now() + 3 * LIFETIME_SECONDS * 1000;
    const classes: string[] = [];
    let runs = 0;
    while (Date.now() < deadline && runs < 200) {
      const { results } = await runTestPlan(resolved);
      classes.push(...results.map((r) => `${r.operation}:${r.outcome}:${r.errorClass ?? '-'}`));
      runs++;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(classes.filter((c) => !c.includes(':ok:'))).toEqual([]);
    const state = issuedTokenStates().find((s) => s.issuer === env.lake.issuer.issuer);
    // 24 s of 8 s tokens renewed 3 s before expiry: at least a first token and two renewals.
    expect(state?.renewals).toBeGreaterThanOrEqual(3);
    expect(env.lake.issuer.issued.client_credentials).toBeGreaterThanOrEqual(3);
    expect(state?.lastError).toBeNull();
  }, 180_000);

  it('runs with a refresh token from a file, as oidc-agent hands it out', async () => {
    const resolved = await loadTestPlan(env.lake, env.dir, plan(`grant: refresh_token\n    refresh_token_file: ${env.lake.oauthClient.refreshTokenFile}`));
    const before = env.lake.issuer.issued.refresh_token ?? 0;
    const { results } = await runTestPlan(resolved);
    expect(results.filter((r) => r.outcome !== 'ok').map((r) => r.errorMessage)).toEqual([]);
    expect(env.lake.issuer.issued.refresh_token).toBe(before + 1);
  }, 120_000);

  it("a session's redaction holds the client secret, the refresh token and the access token", async () => {
    const resolved = await loadTestPlan(env.lake, env.dir, plan(`grant: refresh_token\n    refresh_token_file: ${env.lake.oauthClient.refreshTokenFile}`));
    const session = await openLakeSession(resolved, 'token');
    try {
      await session.rucio.whoami();
      const secret = (await readFile(env.lake.oauthClient.secretFile, 'utf8')).trim();
      const refresh = (await readFile(env.lake.oauthClient.refreshTokenFile, 'utf8')).trim();
      expect(session.secrets).toEqual(expect.arrayContaining([secret, refresh]));
      expect(session.secrets.some((s) => s.split('.').length === 3)).toBe(true);
    } finally {
      session.close?.();
    }
  }, 60_000);
});

// WLCG token profile 1.0: a storage may accept only tokens whose `aud` is its own endpoint,
// with the path scope of the operation; lakeprobe asks one per endpoint and operation.
describe.each(STORAGE_KINDS)('per-operation tokens against a storage that accepts only its own audience (%s)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  beforeAll(async () => {
    const rses = DEFAULT_SANDBOX_CONFIG.rses.map((r) => (r.name === 'SANDBOX-FAST' ? { ...r, own_token_audience: true } : r));
    env = await startTestLake(storage, { rses });
  });
  afterEach(() => forgetIssuedTokens());
  afterAll(() => env.stop());

  const plan = (perOperation: boolean): string => `
lake: { sandbox: true }
credentials:
  token:
    issuer: ${env.lake.issuer.issuer}
    client_id: ${env.lake.oauthClient.clientId}
    client_secret_file: ${env.lake.oauthClient.secretFile}
    audience: rucio
    per_operation: ${perOperation}
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: T
    tests:
      - { name: up, scenario: upload, auth: [token], params: { files: 1, size: 1024 } }
`;

  it('the one token (aud rucio) is refused by the storage, naming its audience', async () => {
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(false)));
    const refused = results.find((r) => r.outcome === 'failed');
    expect(refused?.errorClass).toBe('auth_denied');
    // The storage's own words differ (builtin: 'Token audience "rucio" not accepted', XRootD:
    // 'permission denied'); the token's facts follow (the message is cut at 300 characters).
    expect(refused?.errorMessage).toMatch(/^PUT https:\/\/localhost:\d+\/\S+: 403 .*\(token exp=\S+ iss=https:\/\/localhost:\d+ aud=r/);
  }, 120_000);

  it("per-operation tokens carry the endpoint's audience and the least path scope, and are accepted", async () => {
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(true)));
    expect(results.filter((r) => r.outcome !== 'ok').map((r) => r.errorMessage)).toEqual([]);
    const fast = env.lake.rses.find((r) => r.name === 'SANDBOX-FAST');
    const storage = issuedTokenStates().filter((s) => s.audience === new URL(fast?.url ?? '').origin);
    expect(storage.length).toBeGreaterThan(0);
    // Every storage token names one action on one path, never the client's whole scope.
    for (const s of storage) expect(s.scope).toMatch(/^storage\.(read|create|modify):\/\S+$/);
    expect(storage.some((s) => s.scope?.startsWith('storage.create:/'))).toBe(true);
  }, 120_000);

  it("a storage refusal of a per-operation token names that token's audience and scope", async () => {
    const fast = env.lake.rses.find((r) => r.name === 'SANDBOX-FAST');
    const url = `${fast?.url ?? ''}/rucio/probe/refused.bin`;
    const wrong = await loadBearerToken({ value: await env.lake.issuer.mint({ sub: 'member', aud: 'rucio', scope: 'storage.read:/rucio' }), source: 'test' });
    const session = await loadBearerToken({ value: await env.lake.issuer.mint({ sub: 'member', aud: 'other', scope: 'storage.read:/' }), source: 'session' });
    const driver = createStorageDriver('davs', { token: session, ca: [env.lake.pki.caCertPem], tokenFor: () => Promise.resolve(wrong) });
    try {
      const err = await driver.stat(url).then(() => undefined, (e: unknown) => e);
      expect((err as { status?: number }).status).toBe(403);
      expect((err as Error).message).toContain('aud=rucio sub=member nbf=');
      expect((err as Error).message).toContain('scope="storage.read:/rucio"');
      expect((err as Error).message).not.toContain(wrong.token);
    } finally {
      (driver as { close?: () => void }).close?.();
    }
  });
});
