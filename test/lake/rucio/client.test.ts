import { describe, expect, it } from 'vitest';
import { RucioClient } from '../../../src/lake/rucio/index.js';
import { API, replay, replayOffline } from './fixtures.js';

/** The recording's clock: its token is valid until 01:04:23 UTC. */
const RECORDED_NOW = new Date('2026-11-25T00:04:23Z');

function client(): RucioClient {
  return new RucioClient({
    rucioHost: API,
    authHost: 'https://rucio-auth.test',
    account: 'root',
    auth: { method: 'userpass', username: 'ddmlab', password: 'secret' },
    ca: [],
    now: () => RECORDED_NOW,
  });
}

replayOffline();

describe('RucioClient against recorded Rucio 41.0.0 answers', () => {
  it('pings without logging in', async () => {
    const ping = replay('ping');
    await expect(client().ping()).resolves.toEqual({ version: '41.0.0' });
    expect(ping.isDone()).toBe(true);
  });

  it('logs in with userpass and follows the relative whoami redirect to the account', async () => {
    const scopes = [replay('auth-userpass'), replay('whoami-303'), replay('whoami-followed-account')];
    const account = await client().whoami();
    expect(account).toMatchObject({ account: 'root', account_type: 'SERVICE', status: 'ACTIVE', email: null });
    expect(scopes.every((s) => s.isDone())).toBe(true);
  });

  it('reports the token expiry of the login without exposing the token', async () => {
    replay('auth-userpass');
    const result = await client().authenticate();
    expect(result).toEqual({ expiresAt: new Date('2026-11-25T01:04:23Z') });
  });

  it('lists RSE names from both the full-row and the expression answer shapes', async () => {
    replay('auth-userpass');
    replay('rses-all');
    replay('rses-expression');
    const c = client();
    await expect(c.listRses()).resolves.toEqual(['MOCK-A', 'MOCK-B']);
    await expect(c.listRses('QOS=FAST')).resolves.toEqual(['MOCK-A']);
  });

  it('reads RSE settings, protocols and attributes', async () => {
    replay('auth-userpass');
    replay('rse-settings');
    replay('rse-protocols');
    replay('rse-attributes');
    const c = client();
    const rse = await c.getRse('MOCK-A');
    expect(rse).toMatchObject({ rse: 'MOCK-A', deterministic: true, lfn2pfn_algorithm: 'hash', availability_write: true, verify_checksum: true });
    expect(rse.protocols[0]).toMatchObject({ scheme: 'https', hostname: 'localhost', port: 8443, prefix: '/data', impl: 'rucio.rse.protocols.gfal.Default' });
    expect(rse.protocols[0]?.domains.wan.third_party_copy_write).toBe(1);
    const protocols = await c.getProtocols('MOCK-A');
    expect(protocols.map((p) => p.prefix)).toEqual(['/data']);
    await expect(c.listRseAttributes('MOCK-A')).resolves.toEqual({ 'MOCK-A': true, QOS: 'FAST' });
  });

  it('lists scopes and adds a scope through the accounts path', async () => {
    replay('auth-userpass');
    replay('scopes-list');
    const add = replay('scope-add', { path: '/accounts/root/scopes/test' });
    const c = client();
    await expect(c.listScopes()).resolves.toEqual(['test']);
    await c.addScope('root', 'test');
    expect(add.isDone()).toBe(true);
  });

  it('creates datasets, attaches files and reads DIDs, content and metadata', async () => {
    replay('auth-userpass');
    const writes = [replay('did-add-dataset'), replay('did-add-dataset-lifetime'), replay('did-attach')];
    replay('did-get-dataset');
    replay('did-content');
    replay('did-meta-file');
    const c = client();
    await c.addDid('test', 'dataset1', { type: 'DATASET', lifetime: null });
    await c.addDid('test', 'ds-expiring', { type: 'DATASET', lifetime: 1 });
    await c.attachDids('test', 'dataset1', [{ scope: 'test', name: 'file1' }, { scope: 'test', name: 'file2' }]);
    expect(writes.every((s) => s.isDone())).toBe(true);

    await expect(c.getDid('test', 'dataset1')).resolves.toEqual({
      scope: 'test', name: 'dataset1', type: 'DATASET', account: 'root', open: true, monotonic: false, expired_at: null, length: null, bytes: null,
    });
    const content = await c.listContent('test', 'dataset1');
    expect(content).toEqual([
      { scope: 'test', name: 'file1', type: 'FILE', bytes: 1000, adler32: '52590737', md5: 'fd21ce524a9e45060fd3f62c4ef6a386' },
      { scope: 'test', name: 'file2', type: 'FILE', bytes: 2048, adler32: '0cc737eb', md5: null },
    ]);
    const meta = await c.getDidMeta('test', 'file1');
    expect(meta).toMatchObject({ did_type: 'FILE', bytes: 1000, adler32: '52590737', availability: 'AVAILABLE', expired_at: null });
  });

  it('registers replicas (idempotently) and lists them as json-stream records', async () => {
    replay('auth-userpass');
    const adds = [replay('replicas-add'), replay('replicas-add-duplicate')];
    replay('replicas-list');
    replay('replicas-list-empty');
    replay('replicas-list-mock-port0');
    const c = client();
    await c.addReplicas('MOCK-A', [
      { scope: 'test', name: 'file1', bytes: 1000, adler32: '52590737', md5: 'fd21ce524a9e45060fd3f62c4ef6a386' },
      { scope: 'test', name: 'file2', bytes: 2048, adler32: '0cc737eb' },
    ]);
    await c.addReplicas('MOCK-A', [{ scope: 'test', name: 'file1', bytes: 1000, adler32: '52590737' }]);
    expect(adds.every((s) => s.isDone())).toBe(true);

    const replicas = await c.listReplicas({ dids: [{ scope: 'test', name: 'dataset1' }], schemes: ['https'] });
    expect(replicas.map((r) => Object.keys(r.pfns)[0])).toEqual([
      'https://localhost:8443/data/test/80/25/file1',
      'https://localhost:8443/data/test/f3/14/file2',
    ]);
    expect(replicas[0]).toMatchObject({ bytes: 1000, adler32: '52590737', states: { 'MOCK-A': 'AVAILABLE' } });
    expect(Object.values(replicas[0]?.pfns ?? {})[0]).toMatchObject({ rse: 'MOCK-A', domain: 'wan', priority: 1, client_extract: false });

    await expect(c.listReplicas({ dids: [{ scope: 'test', name: 'nope' }] })).resolves.toEqual([]);
    const [f3] = await c.listReplicas({ dids: [{ scope: 'test', name: 'f3' }], allStates: true });
    expect(f3?.rses).toEqual({ 'MOCK-D': ['mock://localhost:0/mock/test/b4/74/f3'] });
    expect(f3?.states).toEqual({ 'MOCK-C': 'AVAILABLE', 'MOCK-D': 'AVAILABLE' });
  });

  it('sets quota, creates a rule and follows it through locks, listings and its transfer request', async () => {
    replay('auth-userpass');
    const limit = replay('account-limit-set');
    replay('rule-add');
    replay('rule-get-ok');
    replay('rule-get-replicating');
    replay('rule-locks');
    replay('did-rules');
    replay('request-queued');
    const c = client();
    await c.setAccountLimit('root', 'MOCK-A', 1_000_000_000_000);
    expect(limit.isDone()).toBe(true);

    const ids = await c.addRule({
      dids: [{ scope: 'test', name: 'dataset1' }], copies: 1, rseExpression: 'QOS=FAST', grouping: 'DATASET', lifetime: null,
    });
    expect(ids).toEqual(['78cb6a82de024a9787b8b56c550a9e58']);
    const rule = await c.getRule('78cb6a82de024a9787b8b56c550a9e58');
    expect(rule).toMatchObject({ state: 'OK', locks_ok_cnt: 2, rse_expression: 'QOS=FAST', grouping: 'DATASET', activity: 'User Subscriptions', expires_at: null });
    const replicating = await c.getRule('8286348399df4fe88239c3fe85d2ad5e');
    expect(replicating).toMatchObject({ state: 'REPLICATING', locks_replicating_cnt: 2, error: null });

    const locks = await c.listRuleLocks('8286348399df4fe88239c3fe85d2ad5e');
    expect(locks.map((l) => [l.name, l.rse, l.state])).toEqual([['file1', 'MOCK-B', 'REPLICATING'], ['file2', 'MOCK-B', 'REPLICATING']]);
    const rules = await c.listDidRules('test', 'dataset1');
    expect(rules.map((r) => [r.id, r.state, r.bytes])).toEqual([
      ['78cb6a82de024a9787b8b56c550a9e58', 'OK', null],
      ['8286348399df4fe88239c3fe85d2ad5e', 'REPLICATING', null],
    ]);
    const request = await c.getRequest('test', 'file1', 'MOCK-B');
    expect(request).toMatchObject({ id: '9070c11c1dcf420c8546e0b98ceb9883', state: 'QUEUED', request_type: 'TRANSFER', dest_rse: 'MOCK-B', rule_id: '8286348399df4fe88239c3fe85d2ad5e' });
  });

  it('shortens a rule lifetime and deletes the rule with the JSON body the server requires', async () => {
    replay('auth-userpass');
    const update = replay('rule-update-lifetime');
    const withoutBody = replay('error-rule-delete-without-body');
    const del = replay('rule-delete');
    const c = client();
    await c.updateRule('e3ac1c9cc27648df84173433d0b2ceed', { lifetime: 1 });
    await c.deleteRule('e3ac1c9cc27648df84173433d0b2ceed');
    expect(update.isDone()).toBe(true);
    expect(del.isDone()).toBe(true);
    expect(withoutBody.isDone()).toBe(false);
  });
});
