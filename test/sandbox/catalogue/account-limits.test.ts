// Global account limits and account usage as Rucio 41 keeps them: flaskapi/v1/accounts.py
// GlobalAccountLimits/GlobalUsage/LocalUsage, gateway/account_limit.py, core/account_limit.py,
// core/permission/generic.py perm_{set,delete}_global_account_limit, core/rse_selector.py RSESelector
// (local and global quota), core/account_counter.py and daemons/abacus/account.py (usage counted later).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCatalogue } from '../../../src/sandbox/catalogue/server.js';
import type { Answer, TestCatalogue } from './harness.js';
import { call, lines, loginRoot, makeTlsMaterial, seedRoot, startTestCatalogue } from './harness.js';

const START = new Date('2026-11-25T00:04:20Z');

async function seed(t: TestCatalogue): Promise<{ root: string; carol: string }> {
  seedRoot(t);
  const admin = t.handle.admin;
  admin.addAccount('carol', 'USER');
  admin.addIdentity({ kind: 'USERPASS', identity: 'carol', account: 'carol', password: 'carol-pw' });
  for (const name of ['SITE-A', 'SITE-B', 'SITE-C']) admin.addRse(name, { deterministic: true, rseType: 'DISK', volatile: false });
  admin.setRseAttribute('SITE-A', 'tier', 1);
  admin.setRseAttribute('SITE-B', 'tier', 1);
  for (const name of ['SITE-A', 'SITE-B', 'SITE-C']) admin.setAccountLimit('carol', name, 10_000);
  admin.addScope('root', 'test');
  const root = await loginRoot(t);
  const a = await call(t, 'GET', '/auth/userpass', { headers: { 'X-Rucio-Username': 'carol', 'X-Rucio-Password': 'carol-pw' } });
  const files = [['a100', 100], ['b200', 200], ['c300', 300], ['d100', 100], ['e50', 50], ['f50', 50]]
    .map(([name, bytes]) => ({ scope: 'test', name, bytes, adler32: '0000000f' }));
  const added = await call(t, 'POST', '/replicas', { token: root, body: { rse: 'SITE-C', files } });
  expect(added.status, added.body).toBe(201);
  return { root, carol: String(a.headers['x-rucio-auth-token']) };
}

describe('global account limits', () => {
  let t: TestCatalogue;
  let root = '';
  let carol = '';
  const req = (method: string, path: string, body?: unknown, token = root): Promise<Answer> =>
    call(t, method, path, { token, ...(body === undefined ? {} : { body: body as object }) });
  const rule = (name: string, rse: string): Promise<Answer> =>
    req('POST', '/rules/', { dids: [{ scope: 'test', name }], copies: 1, rse_expression: rse, account: 'carol' }, carol);
  const tier1 = encodeURIComponent('tier=1');

  beforeAll(async () => {
    t = await startTestCatalogue();
    ({ root, carol } = await seed(t));
  });
  afterAll(async () => {
    await t.close();
  });

  it('are set by an admin (201 Created) and listed with the RSEs their expression resolves to', async () => {
    const set = await req('POST', `/accounts/carol/limits/global/${tier1}`, { bytes: 250 });
    expect([set.status, set.headers['content-type'], set.body]).toEqual([201, 'text/html; charset=utf-8', 'Created']);
    expect((await req('POST', '/accounts/carol/limits/global/SITE-C', { bytes: -1 })).status).toBe(201);
    const all = await req('GET', '/accounts/carol/limits/global');
    expect(all.headers['content-type']).toBe('application/json');
    const ids = JSON.parse(all.body.replace('Infinity', '"inf"'))['tier=1'].resolved_rse_ids as string[];
    expect(ids).toHaveLength(2);
    expect(all.body).toBe(`{"tier=1": {"resolved_rses": ["SITE-A", "SITE-B"], "resolved_rse_ids": ["${ids[0]}", "${ids[1]}"], "limit": 250}, ` +
      `"SITE-C": {"resolved_rses": ["SITE-C"], "resolved_rse_ids": ["${JSON.parse(all.body.replace('Infinity', '0'))['SITE-C'].resolved_rse_ids[0]}"], "limit": Infinity}}`);
    expect((await req('GET', `/accounts/carol/limits/global/${tier1}`)).body).toBe('{"tier=1": 250}');
    expect((await req('GET', '/accounts/carol/limits/global/SITE-A')).body).toBe('{"SITE-A": null}');
    // Setting again replaces the limit.
    expect((await req('POST', `/accounts/carol/limits/global/${tier1}`, { bytes: 250 })).status).toBe(201);
  });

  it('refuse what Rucio refuses: missing bytes, unknown accounts, non-admin callers', async () => {
    const noBytes = await req('POST', `/accounts/carol/limits/global/${tier1}`, {});
    expect([noBytes.status, noBytes.headers.exceptionclass, noBytes.headers.exceptionmessage]).toEqual([400, 'KeyError', "'bytes' not defined"]);
    const nobody = await req('POST', `/accounts/nobody/limits/global/${tier1}`, { bytes: 1 });
    expect([nobody.status, nobody.headers.exceptionclass, nobody.headers.exceptionmessage]).toEqual([404, 'AccountNotFound', 'Account nobody does not exist']);
    // perm_set_global_account_limit resolves the expression for a country-admin check and reads rse['rse_id']: a KeyError.
    const byCarol = await req('POST', `/accounts/carol/limits/global/${tier1}`, { bytes: 1_000_000 }, carol);
    expect([byCarol.status, byCarol.body]).toEqual([500, "'rse_id'"]);
    const badExpr = await req('POST', '/accounts/carol/limits/global/NOWHERE', { bytes: 1 }, carol);
    expect([badExpr.status, badExpr.headers.exceptionclass]).toEqual([500, 'InvalidRSEExpression']);
    const delByCarol = await req('DELETE', `/accounts/carol/limits/global/${tier1}`, undefined, carol);
    expect([delByCarol.status, delByCarol.headers.exceptionclass, JSON.parse(delByCarol.body).ExceptionMessage])
      .toEqual([401, 'AccessDenied', 'Account carol can not delete global account limits. ']);
    expect((await req('GET', `/accounts/carol/limits/global/${tier1}`)).body).toBe('{"tier=1": 250}');
    const unknown = await req('GET', '/accounts/nobody/limits/global');
    expect([unknown.status, unknown.headers.exceptionclass]).toEqual([500, 'AccountNotFound']);
  });

  it('make the rule engine refuse a rule that exceeds the limit on any RSE the expression covers', async () => {
    // RSESelector.select_rse: global quota left (250) must reach the size; local quota (10000) would allow it.
    const big = await rule('c300', 'SITE-A');
    expect([big.status, big.headers.exceptionclass, big.headers.exceptionmessage]).toEqual([409, 'InsufficientAccountLimit',
      "There is insufficient quota on any of the target RSE's to fulfill the operation."]);
    expect((await rule('c300', 'SITE-C')).status).toBe(201);
    expect((await rule('b200', 'SITE-A')).status).toBe(201);
    t.handle.admin.runAbacus();
    // SITE-A's 200 bytes count against tier=1 on SITE-B too: 50 left.
    const over = await rule('a100', 'SITE-B');
    expect([over.status, over.headers.exceptionclass]).toEqual([409, 'InsufficientAccountLimit']);
    expect((await rule('e50', 'SITE-B')).status).toBe(201);
    t.handle.admin.runAbacus();
    // Nothing left: RSESelector.__init__ drops both tier=1 RSEs; SITE-C (unlimited global) still takes rules.
    const none = await rule('f50', 'tier=1');
    expect([none.status, none.headers.exceptionclass]).toEqual([409, 'InsufficientAccountLimit']);
    expect((await rule('d100', 'SITE-C')).status).toBe(201);
  });

  it('show in GET /accounts/{account}/usage/global, summed over the resolved RSEs', async () => {
    t.handle.admin.runAbacus();
    const usage = await req('GET', '/accounts/carol/usage/global', undefined, carol);
    expect(usage.headers['content-type']).toBe('application/x-json-stream');
    expect(usage.body).toBe('{"rse_expression": "tier=1", "bytes": 250, "files": 2, "bytes_limit": 250, "bytes_remaining": 0}\n' +
      '{"rse_expression": "SITE-C", "bytes": 400, "files": 2, "bytes_limit": Infinity, "bytes_remaining": Infinity}\n');
    expect(lines((await req('GET', '/accounts/carol/usage/global/SITE-A')).body)).toEqual([
      { rse_expression: 'SITE-A', bytes: 200, files: 1, bytes_limit: 0, bytes_remaining: -200 }]);
  });

  it('are deleted by an admin (200, even when absent); an expression resolving to nothing breaks listing and rules', async () => {
    const del = await req('DELETE', `/accounts/carol/limits/global/${tier1}`);
    expect([del.status, del.body]).toEqual([200, '']);
    expect((await req('DELETE', `/accounts/carol/limits/global/${tier1}`)).status).toBe(200);
    expect((await rule('f50', 'SITE-B')).status).toBe(201);
    // No check when set; parse_expression fails whenever the limits are resolved.
    expect((await req('POST', '/accounts/carol/limits/global/tier=9', { bytes: 1 })).status).toBe(201);
    const listing = await req('GET', '/accounts/carol/limits/global');
    expect([listing.status, listing.headers.exceptionclass, listing.headers.exceptionmessage])
      .toEqual([500, 'InvalidRSEExpression', 'RSE Expression resulted in an empty set.']);
    const refused = await rule('a100', 'SITE-A');
    expect([refused.status, refused.headers.exceptionclass]).toEqual([409, 'InvalidRSEExpression']);
  });
});

describe('account usage counted by abacus-account', () => {
  let t: TestCatalogue;
  let root = '';
  let carol = '';
  const rule = (name: string, rse: string, extra: object = {}): Promise<Answer> =>
    call(t, 'POST', '/rules/', { token: carol, body: { dids: [{ scope: 'test', name }], copies: 1, rse_expression: rse, account: 'carol', ...extra } });
  const usageOn = async (rse: string): Promise<unknown> =>
    lines((await call(t, 'GET', `/accounts/carol/usage/local/${rse}`, { token: carol })).body.replace(/Infinity/g, '-1'))[0];
  const advance = (ms: number): void => {
    t.clock.now = new Date(t.clock.now.getTime() + ms);
  };

  beforeAll(async () => {
    t = await startTestCatalogue(makeTlsMaterial(), START, { abacusIntervalSeconds: 10 });
    ({ root, carol } = await seed(t));
    t.handle.admin.setAccountLimit('carol', 'SITE-A', 250);
  });
  afterAll(async () => {
    await t.close();
  });

  it('lags until the next run, so a second rule passes a limit check a live count would refuse', async () => {
    expect((await rule('b200', 'SITE-A')).status).toBe(201);
    // The locks exist, the counter does not know them yet (core/rule.py -> account_counter.increase only queues).
    expect(await usageOn('SITE-A')).toMatchObject({ bytes: 0, files: 0, bytes_limit: 250, bytes_remaining: 250 });
    // 250 - 0 > 100: accepted, though the account already holds 200 of its 250 bytes.
    expect((await rule('a100', 'SITE-A')).status).toBe(201);
    advance(9_000);
    expect(await usageOn('SITE-A')).toMatchObject({ bytes: 0, files: 0 });
    advance(1_000);
    // The run at start + 10 s folded both rules in: 300 of 250 bytes.
    expect(await usageOn('SITE-A')).toMatchObject({ bytes: 300, files: 2, bytes_remaining: -50 });
    const refused = await rule('e50', 'SITE-A');
    expect([refused.status, refused.headers.exceptionclass]).toEqual([409, 'InsufficientAccountLimit']);
    expect(lines((await call(t, 'GET', '/rses/SITE-A/usage?per_account=true', { token: root })).body)[0]).toMatchObject({
      account_usages: [{ used: 300, account: 'carol', percentage: 100 }] });
  });

  it('counts each lock, and a released lock comes off at the run after the judge-cleaner', async () => {
    expect((await rule('d100', 'SITE-B', { lifetime: 5 })).status).toBe(201);
    advance(10_000);
    expect(await usageOn('SITE-B')).toMatchObject({ bytes: 100, files: 1 });
    expect(t.handle.admin.expire(t.clock.now).rules).toHaveLength(1);
    expect(await usageOn('SITE-B')).toMatchObject({ bytes: 100, files: 1 });
    advance(10_000);
    expect(await usageOn('SITE-B')).toMatchObject({ bytes: 0, files: 0 });
  });

  it('runs before every request with an interval of 0, and refuses an interval outside 0..3600 s', async () => {
    const live = await startTestCatalogue(makeTlsMaterial(), START, { abacusIntervalSeconds: 0 });
    try {
      const tokens = await seed(live);
      const r = await call(live, 'POST', '/rules/', { token: tokens.carol, body: { dids: [{ scope: 'test', name: 'b200' }], copies: 1, rse_expression: 'SITE-A', account: 'carol' } });
      expect(r.status).toBe(201);
      expect(lines((await call(live, 'GET', '/accounts/carol/usage/local/SITE-A', { token: tokens.carol })).body)[0]).toMatchObject({ bytes: 200, files: 1 });
    } finally {
      await live.close();
    }
    const tls = makeTlsMaterial();
    await expect(startCatalogue({
      dbPath: ':memory:', tls: { certPem: tls.server.certPem, keyPem: tls.server.keyPem, caPems: [] }, abacusIntervalSeconds: 7200,
      verifyClientChain: () => ({ ok: false, reason: 'unused' }), verifyJwt: async () => null,
    })).rejects.toThrow('abacus interval 7200 s is outside 0..3600 s');
  });
});
