// The Rucio 41 endpoints the sandbox gained (issue 7, A.5), each against the Flask view and core
// function it follows (lib/rucio/web/rest/flaskapi/v1/*.py, lib/rucio/core/*.py).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, TestCatalogue } from './harness.js';
import { call, lines, loginRoot, seedRoot, startTestCatalogue } from './harness.js';

const HTTPS = {
  scheme: 'https', hostname: 'storage.test', port: 8443, prefix: '/lake', impl: 'rucio.rse.protocols.webdav.Default',
  domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 } },
};

describe('the catalogue endpoints added after Rucio 41', () => {
  let t: TestCatalogue;
  let root = '';
  let carol = '';
  const get = (path: string, token = root): Promise<Answer> => call(t, 'GET', path, { token });
  const post = (path: string, body: unknown, token = root): Promise<Answer> => call(t, 'POST', path, { token, body: body as object });
  const file = (name: string, bytes: number): object => ({ scope: 'test', name, bytes, adler32: '0000000f' });

  beforeAll(async () => {
    t = await startTestCatalogue();
    seedRoot(t);
    const admin = t.handle.admin;
    admin.addAccount('carol', 'USER');
    admin.addIdentity({ kind: 'USERPASS', identity: 'carol', account: 'carol', password: 'carol-pw' });
    for (const name of ['SITE-A', 'SITE-B']) {
      admin.addRse(name, { deterministic: true, rseType: 'DISK', volatile: false });
      admin.addProtocol(name, { ...HTTPS, prefix: `/${name.toLowerCase()}` });
    }
    admin.setAccountLimit('root', 'SITE-A', -1);
    admin.setAccountLimit('root', 'SITE-B', 5000);
    admin.setAccountLimit('carol', 'SITE-A', 100);
    admin.addScope('root', 'test');
    admin.addScope('carol', 'user.carol');
    root = await loginRoot(t);
    const a = await call(t, 'GET', '/auth/userpass', { headers: { 'X-Rucio-Username': 'carol', 'X-Rucio-Password': 'carol-pw' } });
    carol = String(a.headers['x-rucio-auth-token']);
    expect((await post('/replicas', { rse: 'SITE-A', files: [file('f1', 100), file('f2', 200), file('f3', 300)] })).status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('POST /dids adds collections in bulk, with content, and refuses files and duplicates', async () => {
    // flaskapi/v1/dids.py BulkDIDS.post (json_list), core/did.py add_dids.
    const a = await post('/dids', [
      { scope: 'test', name: 'ds1', type: 'DATASET', dids: [{ scope: 'test', name: 'f1' }, { scope: 'test', name: 'f2' }] },
      { scope: 'test', name: 'ds2', type: 'DATASET', lifetime: 600 },
      { scope: 'test', name: 'box', type: 'CONTAINER' },
    ]);
    expect([a.status, a.body]).toEqual([201, 'Created']);
    expect(JSON.parse((await get('/dids/test/ds2')).body)).toMatchObject({ type: 'DATASET', open: true, expired_at: 'Wed, 25 Nov 2026 00:14:20 UTC' });
    const dup = await post('/dids', [{ scope: 'test', name: 'ds1', type: 'DATASET' }]);
    expect([dup.status, dup.headers.exceptionclass]).toEqual([409, 'DataIdentifierAlreadyExists']);
    const fileDid = await post('/dids', [{ scope: 'test', name: 'nf', type: 'FILE' }]);
    expect([fileDid.status, fileDid.headers.exceptionmessage]).toEqual([409, 'Only collection (dataset/container) can be registered.']);
    const noScope = await post('/dids', [{ scope: 'nosuch', name: 'x', type: 'DATASET' }]);
    expect([noScope.status, noScope.headers.exceptionclass]).toEqual([500, 'ScopeNotFound']);
    const foreign = await post('/dids', [{ scope: 'test', name: 'c1', type: 'DATASET' }], carol);
    expect([foreign.status, JSON.parse(foreign.body).ExceptionMessage]).toEqual([401, 'Account carol can not bulk add data identifier. ']);
    const notList = await post('/dids', { scope: 'test', name: 'x', type: 'DATASET' });
    expect([notList.status, notList.headers.exceptionmessage]).toEqual([400, 'body must be a json list']);
  });

  it('POST /dids/attachments attaches to several collections, ignoring duplicates when asked', async () => {
    // flaskapi/v1/dids.py Attachments.post, core/did.py attach_dids_to_dids, schema ATTACHMENTS.
    const a = await post('/dids/attachments', { attachments: [
      { scope: 'test', name: 'ds2', dids: [{ scope: 'test', name: 'f3' }] },
      { scope: 'test', name: 'box', dids: [{ scope: 'test', name: 'ds1' }, { scope: 'test', name: 'ds2' }] },
    ] });
    expect([a.status, a.body]).toEqual([201, 'Created']);
    const again = await post('/dids/attachments', [{ scope: 'test', name: 'ds2', dids: [{ scope: 'test', name: 'f3' }] }]);
    expect([again.status, again.headers.exceptionclass]).toEqual([409, 'FileAlreadyExists']);
    const ignored = await post('/dids/attachments', { ignore_duplicate: true, attachments: [{ scope: 'test', name: 'ds2', dids: [{ scope: 'test', name: 'f3' }] }] });
    expect(ignored.status).toBe(201);
    const missing = await post('/dids/attachments', [{ scope: 'test', name: 'nope', dids: [{ scope: 'test', name: 'f3' }] }]);
    expect([missing.status, missing.headers.exceptionmessage]).toEqual([404, "Data identifier 'test:nope' not found"]);
    const invalid = await post('/dids/attachments', [{ scope: 'test', name: 'ds2' }]);
    expect([invalid.status, invalid.headers.exceptionclass]).toEqual([500, 'InvalidObject']);
  });

  it('GET /dids/{scope}/{name}/files lists the files below a DID; an unknown DID is DataIdentifierNotFound', async () => {
    // flaskapi/v1/dids.py Files.get (json.dumps lines), core/did.py list_files.
    const box = lines((await get('/dids/test/box/files')).body);
    expect(box.map((f) => f.name).sort()).toEqual(['f1', 'f2', 'f3']);
    expect(box[0]).toEqual(expect.objectContaining({ scope: 'test', bytes: expect.any(Number), adler32: '0000000f', guid: null, events: null }));
    expect(Object.keys(box[0] as object)).toEqual(['scope', 'name', 'bytes', 'adler32', 'guid', 'events']);
    expect(lines((await get('/dids/test/f1/files?long=1')).body)).toEqual([
      { scope: 'test', name: 'f1', bytes: 100, adler32: '0000000f', guid: null, events: null, lumiblocknr: null }]);
    const unknown = await get('/dids/test/nope/files');
    expect([unknown.status, unknown.headers.exceptionmessage]).toEqual([404, "Data identifier 'test:nope' not found"]);
  });

  it('GET /dids/{scope}/{name}/parents lists the collections holding a DID', async () => {
    // flaskapi/v1/dids.py Parents.get, core/did.py list_parent_dids.
    expect(lines((await get('/dids/test/ds2/parents')).body)).toEqual([{ scope: 'test', name: 'box', type: 'CONTAINER' }]);
    expect(lines((await get('/dids/test/f1/parents')).body)).toEqual([{ scope: 'test', name: 'ds1', type: 'DATASET' }]);
    expect((await get('/dids/test/nope/parents')).body).toBe('');
  });

  it('GET /dids/{scope}/dids/search finds DIDs by type and name wildcard, names or long records', async () => {
    // flaskapi/v1/dids.py Search.get, core/did_meta_plugins/did_column_meta.py list_dids.
    expect(lines((await get('/dids/test/dids/search?name=ds*')).body.replace(/^"(.*)"$/gm, '{"n": "$1"}')).map((x) => x.n)).toEqual(['ds1', 'ds2']);
    expect((await get('/dids/test/dids/search?type=file&name=f*')).body).toBe('"f1"\n"f2"\n"f3"\n');
    expect(lines((await get('/dids/test/dids/search?type=container&long=true')).body)).toEqual([
      { scope: 'test', name: 'box', did_type: 'CONTAINER', bytes: null, length: null }]);
    expect((await get('/dids/test/dids/search?type=all&name=f2')).body).toBe('"f2"\n');
    expect((await get('/dids/test/dids/search?type=file&bytes.gt=150')).body).toBe('"f2"\n"f3"\n');
    const bad = await get('/dids/test/dids/search?type=nonsense');
    expect([bad.status, bad.headers.exceptionclass]).toEqual([409, 'UnsupportedOperation']);
  });

  it('GET /accounts/{account}/limits[/global] answer render_json objects, unlimited as Infinity', async () => {
    // flaskapi/v1/accounts.py LocalAccountLimits/GlobalAccountLimits, core/account_limit.py.
    const local = await get('/accounts/root/limits');
    expect([local.headers['content-type'], local.body]).toEqual(['application/json', '{"SITE-A": Infinity, "SITE-B": 5000}']);
    expect((await get('/accounts/root/limits/local/SITE-B')).body).toBe('{"SITE-B": 5000}');
    expect((await get('/accounts/carol/limits/SITE-B')).body).toBe('{"SITE-B": null}');
    expect((await get('/accounts/root/limits/global')).body).toBe('{}');
    const nobody = await get('/accounts/nobody/limits/global');
    expect([nobody.status, nobody.headers.exceptionclass, nobody.headers.exceptionmessage]).toEqual([500, 'AccountNotFound', 'Account nobody does not exist']);
  });

  it('GET /accounts/{account}/usage/local[/{rse}] counts what the account\'s locks hold against its limits', async () => {
    // flaskapi/v1/accounts.py LocalUsage.get, core/account_limit.py get_local_account_usage.
    const rule = await post('/rules/', { dids: [{ scope: 'test', name: 'ds1' }], copies: 1, rse_expression: 'SITE-A', account: 'root' });
    expect(rule.status, rule.body).toBe(201);
    // The locks are counted by abacus-account (core/account_counter.py): nothing shows before it runs.
    expect((await get('/accounts/root/usage/local/SITE-A')).body).toMatch(/"bytes": 0, "files": 0, "bytes_limit": Infinity, "bytes_remaining": Infinity\}\n$/);
    expect(t.handle.admin.runAbacus()).toBe(1);
    const usage = (await get('/accounts/root/usage/local')).body.split('\n');
    expect(usage[0]).toMatch(/^\{"rse_id": "[0-9a-f]{32}", "rse": "SITE-A", "bytes": 300, "files": 2, "bytes_limit": Infinity, "bytes_remaining": Infinity\}$/);
    expect(JSON.parse(usage[1] as string)).toEqual({ rse_id: expect.any(String), rse: 'SITE-B', bytes: 0, files: 0, bytes_limit: 5000, bytes_remaining: 5000 });
    expect((await get('/accounts/root/usage/local/SITE-A')).body).toContain('"bytes_limit": Infinity, "bytes_remaining": Infinity');
    expect((await get('/accounts/root/usage/SITE-B')).body).toBe((await get('/accounts/root/usage/local/SITE-B')).body);
    // GlobalUsage: one line per global limit, and root has none.
    expect([(await get('/accounts/root/usage/global')).status, (await get('/accounts/root/usage/global')).body]).toEqual([200, '']);
    expect((await get('/accounts/nobody/usage/global')).status).toBe(404);
    const others = await get('/accounts/root/usage/local', carol);
    expect([others.status, others.headers.exceptionclass]).toEqual([401, 'AccessDenied']);
    expect(lines((await get('/accounts/carol/usage/local', carol)).body)).toEqual([
      { rse_id: expect.any(String), rse: 'SITE-A', bytes: 0, files: 0, bytes_limit: 100, bytes_remaining: 100 }]);
  });

  it('GET /dids/{scope}/{name}/associated_rules, /status and /follow answer their own views', async () => {
    // flaskapi/v1/dids.py AssociatedRules (core/rule.py list_associated_rules_for_file) and the blueprint's GET on /status.
    const [assoc] = lines((await get('/dids/test/f1/associated_rules')).body);
    expect(assoc).toMatchObject({ scope: 'test', name: 'ds1', rse_expression: 'SITE-A', bytes: null });
    expect(JSON.parse((await get('/dids/test/ds1/status')).body)).toMatchObject({ scope: 'test', name: 'ds1', type: 'DATASET' });
    // Follow.get (core/did.py get_users_following_did): no followers, sent as application/json.
    const follow = await get('/dids/test/ds1/follow');
    expect([follow.status, follow.headers['content-type'], follow.body]).toEqual([200, 'application/json', '']);
    expect((await get('/dids/test/nope/associated_rules')).status).toBe(404);
  });

  it('GET /accounts/{account}/rules lists that account\'s rules, with the request filters', async () => {
    // flaskapi/v1/accounts.py Rules.get, core/rule.py list_rules.
    const rules = lines((await get('/accounts/root/rules')).body);
    expect(rules.map((r) => [r.account, r.name])).toEqual([['root', 'ds1']]);
    expect((await get('/accounts/root/rules?name=nothing')).body).toBe('');
    expect((await get('/accounts/carol/rules')).body).toBe('');
  });

  it('GET /rses/{rse}/usage and /rses/{rse}/accounts/usage report what the RSE and each account hold', async () => {
    // flaskapi/v1/rses.py Usage.get/RSEAccountUsageLimit.get, core/rse.py get_rse_usage, core/account_limit.py get_rse_account_usage.
    const [usage] = lines((await get('/rses/SITE-A/usage?per_account=true')).body);
    expect(usage).toEqual({ rse_id: expect.any(String), source: 'rucio', used: 600, free: null, total: 600, files: 3,
      updated_at: expect.stringMatching(/ UTC$/), account_usages: [{ used: 300, account: 'root', percentage: 50 }], rse: 'SITE-A' });
    expect((await get('/rses/SITE-A/usage?source=storage')).body).toBe('');
    const accounts = await get('/rses/SITE-B/accounts/usage');
    expect(accounts.headers['content-type']).toBe('application/json');
    expect(lines(accounts.body).map((a) => [a.account, a.used_bytes, a.quota_bytes])).toEqual([['carol', 0, null], ['root', 0, 5000]]);
    const unknown = await get('/rses/NOWHERE/usage');
    expect([unknown.status, unknown.headers.exceptionclass]).toEqual([404, 'RSENotFound']);
  });

  it('POST and GET /rses/{src}/distances/{dst}', async () => {
    // flaskapi/v1/rses.py Distance, core/distance.py add_distance/get_distances.
    const added = await post('/rses/SITE-A/distances/SITE-B', { distance: 3 });
    expect([added.status, added.body]).toEqual([201, 'Created']);
    expect(JSON.parse((await get('/rses/SITE-A/distances/SITE-B')).body)).toEqual([expect.objectContaining({
      distance: 3, ranking: 3, src_rse: 'SITE-A', dest_rse: 'SITE-B' })]);
    expect((await get('/rses/SITE-B/distances/SITE-A')).body).toBe('[]');
    const dup = await post('/rses/SITE-A/distances/SITE-B', { distance: 1 });
    expect([dup.status, dup.headers.exceptionclass, dup.headers.exceptionmessage]).toEqual([409, 'Duplicate', 'None']);
    const denied = await post('/rses/SITE-B/distances/SITE-A', { distance: 1 }, carol);
    expect([denied.status, denied.headers.exceptionclass]).toEqual([401, 'AccessDenied']);
  });

  it('GET /replicas/{scope}/{name}/datasets lists where a dataset\'s files are', async () => {
    // flaskapi/v1/replicas.py DatasetReplicas.get, core/replica.py list_dataset_replicas.
    expect(lines((await get('/replicas/test/ds1/datasets')).body)).toEqual([expect.objectContaining({
      scope: 'test', name: 'ds1', rse: 'SITE-A', bytes: 300, length: 2, available_bytes: 300, available_length: 2, state: 'AVAILABLE' })]);
    expect((await get('/replicas/test/nope/datasets')).body).toBe('');
  });

  it('POST /replicas/bad declares replicas BAD (root only) and GET /replicas/bad/states lists them', async () => {
    // flaskapi/v1/replicas.py BadReplicas.post/BadReplicasStates.get, gateway/replica.py declare_bad_file_replicas.
    const denied = await post('/replicas/bad', { replicas: [{ scope: 'test', name: 'f1', rse: 'SITE-A' }] }, carol);
    expect([denied.status, denied.headers.exceptionclass]).toEqual([401, 'AccessDenied']);
    const a = await post('/replicas/bad', { replicas: [{ scope: 'test', name: 'f1', rse: 'SITE-A' }, { scope: 'test', name: 'zz', rse: 'SITE-A' }], reason: 'corrupt' });
    expect([a.status, a.headers['content-type'], a.body]).toEqual([201, 'application/json', '{"SITE-A":["(test, \'zz\') Unknown replica"]}\n']);
    expect(t.handle.admin.getReplicaState('test', 'f1', 'SITE-A')).toBe('BAD');
    // Declaring BAD leaves the locks (and so the rule) alone: the necromancer acts later.
    const [rule] = lines((await get('/accounts/root/rules')).body);
    expect(rule).toMatchObject({ state: 'OK', locks_ok_cnt: 2 });
    expect(lines((await get('/replicas/bad/states?state=B')).body)).toEqual([{
      scope: 'test', name: 'f1', rse: 'SITE-A', rse_id: expect.any(String), state: 'BAD', created_at: expect.any(String), updated_at: expect.any(String) }]);
    const again = await post('/replicas/bad', { replicas: [{ scope: 'test', name: 'f1', rse: 'SITE-A' }] });
    expect(again.body).toBe('{"SITE-A":["test:f1 Already declared"]}\n');
    // As PFNs (replica.get_pfn_to_rse): a known one is declared, an unknown one fails the whole call.
    const [listed] = lines((await post('/replicas/list', { dids: [{ scope: 'test', name: 'f2' }] })).body);
    const pfn = Object.keys(listed?.pfns as object)[0] as string;
    expect([(await post('/replicas/bad', { pfns: [pfn] })).status, t.handle.admin.getReplicaState('test', 'f2', 'SITE-A')]).toEqual([201, 'BAD']);
    const unknown = await post('/replicas/bad', { pfns: ['https://storage.test:8443/site-a/nothing'] });
    expect([unknown.status, unknown.headers.exceptionmessage]).toEqual([404, 'Not all replicas found']);
  });

  it('GET /requests/list and /requests/history/list give the transfers between two RSEs with their times', async () => {
    // flaskapi/v1/requests.py RequestList/RequestHistoryList, core/request.py list_requests, archive_request.
    const rule = await post('/rules/', { dids: [{ scope: 'test', name: 'f3' }], copies: 1, rse_expression: 'SITE-B', account: 'root' });
    expect(rule.status, rule.body).toBe(201);
    const missing = await get('/requests/list?src_rse=SITE-A&dst_rse=SITE-B');
    expect([missing.status, missing.headers.exceptionmessage]).toEqual([400, 'Request state is missing']);
    expect((await get('/requests/list?src_rse=SITE-A&request_states=Q')).headers.exceptionmessage).toBe('Destination RSE is missing');
    expect((await get('/requests/list?src_rse=SITE-A&dst_rse=SITE-B&request_states=QUEUED')).headers.exceptionmessage).toBe('Request state value is invalid');
    const [queued] = t.handle.admin.listRequests('QUEUED');
    t.handle.admin.markRequestSubmitted(queued?.id as string, { sourceRse: 'SITE-A', transfertool: 'sandbox' });
    const active = lines((await get('/requests/list?src_rse=SITE-A&dst_rse=SITE-B&request_states=Q,S')).body);
    expect(active).toEqual([expect.objectContaining({ name: 'f3', state: 'SUBMITTED', source_rse: 'SITE-A', dest_rse: 'SITE-B', bytes: 300,
      submitted_at: 'Wed, 25 Nov 2026 00:04:20 UTC', transferred_at: null })]);
    const denied = await get('/requests/list?src_rse=SITE-A&dst_rse=SITE-B&request_states=S', carol);
    expect([denied.status, denied.headers.exceptionclass]).toEqual([500, 'AccessDenied']);
    t.handle.admin.completeRequest(queued?.id as string, { ok: true, sourceRse: 'SITE-A' }, {
      startedAt: new Date('2026-11-25T00:04:21Z'), transferredAt: new Date('2026-11-25T00:04:25Z'), bytes: 300 });
    expect((await get('/requests/list?src_rse=SITE-A&dst_rse=SITE-B&request_states=S,D')).body).toBe('');
    const [done] = lines((await get('/requests/history/list?src_rse=SITE-A&dst_rse=SITE-B&request_states=D')).body);
    expect(done).toMatchObject({ state: 'DONE', started_at: 'Wed, 25 Nov 2026 00:04:21 UTC', transferred_at: 'Wed, 25 Nov 2026 00:04:25 UTC' });
    expect(done).not.toHaveProperty('last_processed_at');
    expect(JSON.parse((await get('/requests/history/test/f3/SITE-B')).body)).toMatchObject({ id: queued?.id, state: 'DONE' });
    const gone = await get('/requests/test/f3/SITE-B');
    // flaskapi/v1/requests.py RequestGet.get answers RequestNotFound with the RSE as the URL named it.
    expect([gone.status, gone.headers.exceptionmessage]).toEqual([404, 'No request found for DID test:f3 at RSE SITE-B']);
  });
});
