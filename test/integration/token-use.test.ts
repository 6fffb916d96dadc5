// Each result records which token audiences and scopes it used (never the token), and the
// command-line drivers (root via xrdcp/xrdfs, gfal) ask a token per operation like davs:
// the endpoint's audience and the least path scope (WLCG token profile 1.0, "Scope-based
// authorization" and the `aud` claim), against an RSE that accepts only its own audience.
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/engine/classify.js';
import { openLakeSession } from '../../src/engine/lake-session.js';
import { forgetIssuedTokens, loadBearerToken } from '../../src/lake/credentials/index.js';
import { createStorageDriver } from '../../src/lake/storage/index.js';
import { DEFAULT_SANDBOX_CONFIG } from '../../src/sandbox/sandbox-config.js';
import { loadTestPlan, runTestPlan, startTestLake, STORAGE_KINDS } from './lake-fixture.js';

describe.each(STORAGE_KINDS)('token audience and scopes per operation (%s storage)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  beforeAll(async () => {
    const rses = DEFAULT_SANDBOX_CONFIG.rses.map((r) => (r.name === 'SANDBOX-FAST' ? { ...r, own_token_audience: true } : r));
    env = await startTestLake(storage, { rses });
  }, 120_000);
  afterEach(() => forgetIssuedTokens());
  afterAll(() => env.stop());

  const fast = (): { url: string; rootUrl?: string } => {
    const rse = env.lake.rses.find((r) => r.name === 'SANDBOX-FAST');
    if (!rse) throw new Error('no SANDBOX-FAST');
    return rse;
  };
  // The XRootD RSE is written over root:// (xrdcp), the builtin one over davs.
  const schemes = storage === 'xrootd' ? '[root]' : '[davs]';
  const plan = (perOperation: boolean, scheme = schemes): string => `
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
      - { name: up, scenario: upload, auth: [token], params: { files: 1, size: 2048, schemes: ${scheme} } }
`;

  it('records in each stored result the audience and least scope of the tokens it presented', async () => {
    const { results, store } = await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(true)));
    store.close();
    expect(results.filter((r) => r.outcome !== 'ok').map((r) => r.errorMessage)).toEqual([]);
    const base = storage === 'xrootd' ? fast().rootUrl ?? '' : fast().url;
    const audience = `${new URL(base).protocol}//${new URL(base).host}`;
    const upload = results.find((r) => r.operation === 'upload');
    expect(upload?.protocol).toBe(storage === 'xrootd' ? 'root' : 'davs');
    const uses = (upload?.tokenUse ?? '').split('; ');
    // Every storage use is the endpoint's own audience and one action on one path.
    const storageUses = uses.filter((u) => !u.startsWith('aud=rucio '));
    expect(storageUses.length).toBeGreaterThan(0);
    // (xrdcp looks the destination up, makes its folders and may replace a file: read + modify on its folder.)
    const scope = 'storage\\.(read|create|modify):/rucio/\\S+';
    for (const u of storageUses) expect(u).toMatch(new RegExp(`^aud=${audience.replace(/[.:/]/g, '\\$&')} scope="${scope}( ${scope})?"$`));
    const write = storage === 'xrootd' ? /scope="storage\.read:\/rucio\/\S+ storage\.modify:\/rucio\// : /scope="storage\.create:\/rucio\//;
    expect(storageUses.some((u) => write.test(u))).toBe(true);
    // Catalogue calls carry the catalogue's audience.
    const register = results.find((r) => r.operation === 'register');
    expect(register?.tokenUse).toMatch(/^aud=rucio scope="/);
    const download = results.find((r) => r.operation === 'download');
    expect(download?.tokenUse).toMatch(/scope="storage\.read:\/rucio\//);
    // Never the token itself.
    for (const r of results) expect(r.tokenUse ?? '').not.toMatch(/eyJ[\w-]+\.[\w-]+/);
  }, 180_000);

  it('gfal asks the endpoint audience and least scope per call, and is accepted', async () => {
    const resolved = await loadTestPlan(env.lake, env.dir, plan(true));
    const session = await openLakeSession(resolved, 'token');
    try {
      const gfal = session.storage('gfal');
      const url = `${fast().url.replace(/^https:/, 'davs:')}/rucio/probe/token-use-gfal.bin`;
      await gfal.put(url, Readable.from([Buffer.from('0123456789')]), 10);
      expect(await gfal.stat(url)).toEqual({ size: 10, isDirectory: false });
      await gfal.delete(url);
      expect(await gfal.stat(url)).toBeNull();
    } finally {
      session.close?.();
    }
  }, 120_000);

  // Over davs on both kinds; root:// on XRootD has its own case below.
  it('with one token for everything, the storage refuses it, naming the audience and scope asked', async () => {
    const { results, store } = await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(false, '[davs]')));
    store.close();
    const refused = results.find((r) => r.outcome === 'failed');
    expect(refused?.operation).toBe('upload');
    expect(refused?.errorClass).toBe('auth_denied');
    // The storage's words first, then the token's facts (the message is cut at 300 characters).
    expect(refused?.errorMessage).toMatch(/: 403 .*\(token exp=\S+ iss=https:\/\/localhost:\d+ aud=r/);
    expect(refused?.tokenUse).toMatch(/^aud=rucio /);
  }, 180_000);

  it.runIf(storage === 'xrootd')('over root:// too, an RSE that accepts only its own audience refuses the member\'s token for another', async () => {
    // The member's own subject: the authdb's x509 users must not grant what the token's audience does not.
    const foreign = await loadBearerToken({ value: await env.lake.issuer.mint({ sub: 'member', aud: 'rucio', scope: 'storage.read:/ storage.create:/ storage.modify:/' }), source: 'test' });
    const driver = createStorageDriver('root', { token: foreign, ca: [env.lake.pki.caCertPem], tokenFor: () => Promise.resolve(foreign) });
    const err = await driver.put(`${fast().rootUrl ?? ''}//rucio/probe/foreign-aud.bin`, Readable.from([Buffer.from('x')]), 1).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(classify(err).errorClass).toBe('auth_denied');
    expect((err as Error).message).toMatch(/: 403 .* \(token exp=\S+ iss=\S+ aud=rucio sub=member /);
  }, 60_000);

  // A subject the authdb does not know, so that the refusal is the token's own.
  it.runIf(storage === 'xrootd')('a root:// refusal of a per-operation token names that token, not the session one', async () => {
    const wrong = await loadBearerToken({ value: await env.lake.issuer.mint({ sub: 'nobody-at-all', aud: 'rucio', scope: 'storage.read:/rucio' }), source: 'test' });
    const session = await loadBearerToken({ value: await env.lake.issuer.mint({ sub: 'nobody-at-all', aud: 'other', scope: 'storage.read:/' }), source: 'session' });
    const driver = createStorageDriver('root', { token: session, ca: [env.lake.pki.caCertPem], tokenFor: () => Promise.resolve(wrong) });
    const err = await driver.put(`${fast().rootUrl ?? ''}//rucio/probe/refused.bin`, Readable.from([Buffer.from('x')]), 1).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toMatch(/ aud=rucio sub=nobody-at-all nbf=\S+ scope="storage\.read:\/rucio"\)$/);
    expect((err as Error).message).not.toContain(wrong.token);
  }, 60_000);
});
