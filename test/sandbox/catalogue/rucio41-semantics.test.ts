// Behaviour a real Rucio 41.0.0 shows and the sandbox used to hide: tombstones, permissions of a
// plain account, soft rule deletion, routing before authentication, Accept, malformed ids,
// open datasets' sizes and asynchronous rules. Each case names the Rucio source it follows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, TestCatalogue } from './harness.js';
import { call, lines, loginRoot, seedRoot, startTestCatalogue } from './harness.js';

const HTTPS = {
  scheme: 'https', hostname: 'storage.test', port: 8443, prefix: '/lake', impl: 'rucio.rse.protocols.webdav.Default',
  domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 } },
};
const HOUR_MS = 3600 * 1000;

describe('the catalogue behaving as Rucio 41 where the sandbox used to differ', () => {
  let t: TestCatalogue;
  let root = '';
  let bob = '';
  const get = (path: string, token = root, headers: Record<string, string> = {}): Promise<Answer> => call(t, 'GET', path, { token, headers });
  const post = (path: string, body: unknown, token = root): Promise<Answer> => call(t, 'POST', path, { token, body: body as object });
  const addRule = async (body: object, token = root): Promise<string> => {
    const a = await post('/rules/', body, token);
    expect(a.status, a.body).toBe(201);
    return (JSON.parse(a.body) as string[])[0] as string;
  };
  const replica = (name: string, rse: string): { tombstone: Date | null; state: string } | undefined =>
    t.handle.admin.listReplicas('test', name).find((r) => r.rse === rse);

  // expire() at a later time also drops the tokens that ran out by then.
  const login = async (): Promise<void> => {
    root = await loginRoot(t);
    const a = await call(t, 'GET', '/auth/userpass', { headers: { 'X-Rucio-Username': 'bob', 'X-Rucio-Password': 'bob-pw' } });
    bob = String(a.headers['x-rucio-auth-token']);
  };

  beforeAll(async () => {
    t = await startTestCatalogue();
    seedRoot(t);
    const admin = t.handle.admin;
    admin.addAccount('bob', 'USER');
    admin.addIdentity({ kind: 'USERPASS', identity: 'bob', account: 'bob', password: 'bob-pw' });
    for (const name of ['SITE-DISK', 'SITE-TMP', 'SITE_SCRATCHDISK']) {
      admin.addRse(name, { deterministic: true, rseType: 'DISK', volatile: false });
      admin.addProtocol(name, { ...HTTPS, prefix: `/${name.toLowerCase()}` });
      admin.setAccountLimit('root', name, -1);
      admin.setAccountLimit('bob', name, 1_000_000);
    }
    admin.setRseAttribute('SITE-TMP', 'tombstone_delay', 600);
    admin.addScope('root', 'test');
    admin.addScope('bob', 'user.bob');
    await login();
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers a replica without a tombstone unless the RSE has tombstone_delay, so the reaper leaves it', async () => {
    // lib/rucio/core/replica.py __bulk_add_replicas and tombstone_from_delay.
    const file = (name: string): object => ({ scope: 'test', name, bytes: 10, adler32: '0000000a' });
    expect((await post('/replicas', { rse: 'SITE-DISK', files: [file('orphan')] })).status).toBe(201);
    expect(replica('orphan', 'SITE-DISK')).toMatchObject({ tombstone: null, state: 'AVAILABLE' });
    expect((await post('/replicas', { rse: 'SITE-TMP', files: [file('temp')] })).status).toBe(201);
    expect(replica('temp', 'SITE-TMP')?.tombstone?.getTime()).toBe(t.clock.now.getTime() + 600_000);
    const start = t.clock.now;
    t.clock.now = new Date(start.getTime() + 2 * HOUR_MS);
    expect(t.handle.admin.replicasToReap().map((r) => r.name)).toEqual(['temp']);
    t.clock.now = start;
  });

  it('offers the reaper only what Rucio\'s reaper takes: passed tombstone, no lock, A/U/BAD, deletion allowed', async () => {
    // core/replica.py list_and_mark_unlocked_replicas; daemons/reaper/reaper.py skips RSEs without availability_delete.
    await post('/replicas', { rse: 'SITE-TMP', files: [{ scope: 'test', name: 'copying', bytes: 1, adler32: '00000001', state: 'C' }] });
    const start = t.clock.now;
    t.clock.now = new Date(start.getTime() + 2 * HOUR_MS);
    expect(t.handle.admin.replicasToReap('SITE-TMP').map((r) => r.name)).toEqual(['temp']);
    t.handle.admin.setRseAvailability('SITE-TMP', { delete: false });
    expect(t.handle.admin.replicasToReap('SITE-TMP')).toEqual([]);
    t.handle.admin.setRseAvailability('SITE-TMP', { delete: true });
    t.clock.now = start;
  });

  it('refuses a per-file tombstone on registration: the dids schema has no such property', async () => {
    // lib/rucio/common/schema/generic.py DID (additionalProperties: false), gateway/replica.py add_replicas.
    const a = await post('/replicas', { rse: 'SITE-DISK', files: [{ scope: 'test', name: 'tomb', bytes: 1, adler32: '00000001', tombstone: '1970-01-01' }] });
    expect([a.status, a.headers.exceptionclass]).toEqual([500, 'InvalidObject']);
    expect(JSON.parse(a.body).ExceptionMessage).toMatch(/^Problem validating dids: Additional properties are not allowed \('tombstone' was unexpected\)/);
  });

  it('lets a plain account register replicas only on *SCRATCHDISK-like RSEs, and set no tombstone', async () => {
    // lib/rucio/core/permission/generic.py perm_add_replicas, perm_default (set_tombstone).
    const file = { scope: 'user.bob', name: 'b1', bytes: 4, adler32: '00000004' };
    const refused = await post('/replicas', { rse: 'SITE-DISK', files: [file] }, bob);
    expect([refused.status, refused.headers.exceptionclass, JSON.parse(refused.body).ExceptionMessage])
      .toEqual([401, 'AccessDenied', 'Account bob can not add file replicas on SITE-DISK. ']);
    expect((await post('/replicas', { rse: 'SITE_SCRATCHDISK', files: [file] }, bob)).status).toBe(201);
    const tomb = await post('/replicas/tombstone', { replicas: [{ rse: 'SITE_SCRATCHDISK', scope: 'user.bob', name: 'b1' }] }, bob);
    expect([tomb.status, tomb.headers.exceptionclass]).toEqual([500, 'AccessDenied']);
    const byRoot = await post('/replicas/tombstone', { replicas: [{ rse: 'SITE_SCRATCHDISK', scope: 'user.bob', name: 'b1' }] });
    expect(byRoot.status, byRoot.body).toBe(201);
    expect(t.handle.admin.listReplicas('user.bob', 'b1')[0]?.tombstone?.getTime()).toBe(0);
  });

  it('lets a plain account register replicas anywhere through an attachment with an RSE', async () => {
    // core/did.py __add_files_to_dataset calls core add_replicas directly: only perm_attach_dids was checked.
    expect((await post('/dids/user.bob/bobs-ds', { type: 'DATASET' }, bob)).status).toBe(201);
    const a = await post('/dids/user.bob/bobs-ds/dids', { rse: 'SITE-DISK', dids: [{ scope: 'user.bob', name: 'b-att', bytes: 1, adler32: '00000001' }] }, bob);
    expect(a.status, a.body).toBe(201);
    expect(t.handle.admin.listReplicas('user.bob', 'b-att')).toEqual([expect.objectContaining({ rse: 'SITE-DISK', tombstone: null })]);
  });

  it('refuses a tombstone on a locked replica (423) and on an unknown one (404)', async () => {
    // lib/rucio/core/replica.py set_tombstone; flaskapi/v1/replicas.py Tombstone.post.
    await addRule({ dids: [{ scope: 'test', name: 'orphan' }], copies: 1, rse_expression: 'SITE-DISK', account: 'root' });
    const locked = await post('/replicas/tombstone', { replicas: [{ rse: 'SITE-DISK', scope: 'test', name: 'orphan' }] });
    expect([locked.status, locked.headers.exceptionclass]).toEqual([423, 'ReplicaIsLocked']);
    const unknown = await post('/replicas/tombstone', { replicas: [{ rse: 'SITE-DISK', scope: 'test', name: 'nothing' }] });
    expect([unknown.status, unknown.headers.exceptionclass]).toEqual([404, 'ReplicaNotFound']);
  });

  it('deletes a rule softly: it expires within the hour; the judge-cleaner then tombstones with the creation time', async () => {
    // flaskapi/v1/rules.py Rule.delete (json_parameters: a body is required), core/rule.py delete_rule(soft=True)
    // and __delete_lock_and_update_replica.
    await post('/replicas', { rse: 'SITE-DISK', files: [{ scope: 'test', name: 'soft', bytes: 3, adler32: '00000003' }] });
    const id = await addRule({ dids: [{ scope: 'test', name: 'soft' }], copies: 1, rse_expression: 'SITE-DISK', account: 'root' });
    const noBody = await call(t, 'DELETE', `/rules/${id}`, { token: root });
    expect([noBody.status, noBody.headers.exceptionmessage]).toEqual([400, 'cannot decode json parameter dictionary']);
    expect((await call(t, 'DELETE', `/rules/${id}`, { token: root, body: {} })).status).toBe(200);
    const after = JSON.parse((await get(`/rules/${id}`)).body);
    expect(after).toMatchObject({ state: 'OK', expires_at: new Date(t.clock.now.getTime() + HOUR_MS).toUTCString().replace('GMT', 'UTC') });
    expect(replica('soft', 'SITE-DISK')?.tombstone).toBeNull();
    const created = t.clock.now.getTime();
    expect(t.handle.admin.expire(new Date(created + 2 * HOUR_MS)).rules).toContain(id);
    expect(replica('soft', 'SITE-DISK')?.tombstone?.getTime()).toBe(created);
    await login();
  });

  it('keeps an expired file in the catalogue, with its rules gone and its replicas\' tombstones as the rule left them', async () => {
    // lib/rucio/core/did.py delete_dids (undertaker): rules on the DID are deleted, a FILE gets
    // expired_at = None and stays (with its dataset membership); only collections leave the DID table.
    await post('/dids/test/holder', { type: 'DATASET' });
    await post('/replicas', { rse: 'SITE-DISK', files: [{ scope: 'test', name: 'shortlived', bytes: 5, adler32: '00000005' }] });
    expect((await post('/dids/test/holder/dids', { dids: [{ scope: 'test', name: 'shortlived' }] })).status).toBe(201);
    expect((await post('/dids/test/shortlived/meta/lifetime', { value: 60 })).status).toBe(201);
    const id = await addRule({ dids: [{ scope: 'test', name: 'shortlived' }], copies: 1, rse_expression: 'SITE-DISK', account: 'root' });
    const created = t.clock.now.getTime();
    const result = t.handle.admin.expire(new Date(created + 2 * HOUR_MS));
    await login();
    expect(result.dids).not.toContain('test:shortlived');
    expect((await get(`/rules/${id}`)).status).toBe(404);
    const did = JSON.parse((await get('/dids/test/shortlived/meta')).body);
    expect(did).toMatchObject({ name: 'shortlived', did_type: 'FILE', expired_at: null });
    expect(lines((await get('/dids/test/holder/dids')).body).map((d) => d.name)).toEqual(['shortlived']);
    // The tombstone is the one the lock removal set, in the past: the reaper may take it now.
    expect(replica('shortlived', 'SITE-DISK')?.tombstone?.getTime()).toBe(created);
  });

  it('lets only root or an admin delete or update a rule, even the owner\'s own', async () => {
    // lib/rucio/core/permission/generic.py perm_del_rule, perm_update_rule.
    await post('/replicas', { rse: 'SITE_SCRATCHDISK', files: [{ scope: 'user.bob', name: 'b2', bytes: 4, adler32: '00000004' }] }, bob);
    const id = await addRule({ dids: [{ scope: 'user.bob', name: 'b2' }], copies: 1, rse_expression: 'SITE_SCRATCHDISK', account: 'bob' }, bob);
    const del = await call(t, 'DELETE', `/rules/${id}`, { token: bob, body: {} });
    expect([del.status, JSON.parse(del.body).ExceptionMessage]).toEqual([401, 'Account bob can not remove this replication rule. ']);
    const upd = await call(t, 'PUT', `/rules/${id}`, { token: bob, body: { options: { lifetime: 10 } } });
    expect([upd.status, upd.headers.exceptionclass]).toEqual([401, 'AccessDenied']);
  });

  it('ignores ignore_account_limit in a rule body and answers an unknown RSE in PUT /replicas with 500', async () => {
    // flaskapi/v1/rules.py AllRule.post passes no ignore_account_limit; Replicas.put catches only AccessDenied.
    t.handle.admin.setAccountLimit('bob', 'SITE-TMP', 1);
    await post('/replicas', { rse: 'SITE_SCRATCHDISK', files: [{ scope: 'user.bob', name: 'big', bytes: 50, adler32: '00000032' }] }, bob);
    const over = await post('/rules/', { dids: [{ scope: 'user.bob', name: 'big' }], copies: 1, rse_expression: 'SITE-TMP', account: 'bob', ignore_account_limit: true }, bob);
    expect([over.status, over.headers.exceptionclass]).toEqual([409, 'InsufficientAccountLimit']);
    const unknown = await call(t, 'PUT', '/replicas', { token: root, body: { rse: 'NOWHERE', files: [{ scope: 'test', name: 'orphan', state: 'A' }] } });
    expect([unknown.status, unknown.headers.exceptionclass]).toEqual([500, 'RSENotFound']);
  });

  it('answers a rule id that is not a UUID with 500 RucioException, and accepts a dashed one', async () => {
    // lib/rucio/db/sqla/types.py GUID.process_bind_param (uuid.UUID), core/rule.py get_rule.
    const bad = await get('/rules/not-a-rule');
    expect([bad.status, bad.headers.exceptionclass, bad.headers.exceptionmessage]).toEqual([500, 'RucioException', 'Badly formatted rule id (not-a-rule)']);
    const id = await addRule({ dids: [{ scope: 'test', name: 'temp' }], copies: 1, rse_expression: 'SITE-TMP', account: 'root' });
    const dashed = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`.toUpperCase();
    expect(JSON.parse((await get(`/rules/${dashed}`)).body).id).toBe(id);
    const unknown = await get('/rules/00000000000000000000000000000000');
    expect([unknown.status, unknown.headers.exceptionclass]).toEqual([404, 'RuleNotFound']);
  });

  it('routes before authenticating: an unknown URL is Werkzeug\'s 404 page even without a token', async () => {
    // flaskapi/v1/main.py registers no error handler; common.py request_auth_env runs only for a matched view.
    // Any deeper path is still a DID name for /dids/<path:scope_name>: that view wants a token first.
    const deep = await call(t, 'GET', '/dids/test/orphan/bogus/x/y/nope', {});
    expect([deep.status, deep.headers.exceptionmessage]).toEqual([400, 'Token must be set.']);
    const page = await call(t, 'GET', '/nowhere/at/all', {});
    expect([page.status, page.headers['content-type']]).toEqual([404, 'text/html; charset=utf-8']);
    expect((await call(t, 'PATCH', '/rules/', {})).status).toBe(405);
    const preflight = await call(t, 'OPTIONS', '/rules/', { headers: { Origin: 'https://web.test' } });
    expect([preflight.status, preflight.body, preflight.headers['access-control-allow-origin']]).toEqual([200, '', 'https://web.test']);
    const garbage = await call(t, 'GET', '/accounts/whoami', { token: 'a.b.c' });
    expect([garbage.status, garbage.headers.exceptionclass]).toEqual([401, 'CannotAuthenticate']);
  });

  it('answers a DID sub-path of an existing DID by its own view, not DataIdentifierNotFound', async () => {
    // flaskapi/v1/dids.py blueprint: /<path:scope_name>/files, /parents, … win over /<path:scope_name>.
    expect((await get('/dids/test/orphan/files')).status).toBe(200);
    expect((await get('/accounts/root/limits/global')).status).toBe(200);
  });

  it('refuses an Accept header none of the view\'s types satisfies with 406 UnsupportedRequestedContentType', async () => {
    // flaskapi/v1/common.py check_accept_header_wrapper_flask.
    const a = await get('/dids/test/orphan', root, { Accept: 'application/x-json-stream' });
    expect([a.status, a.headers.exceptionclass, JSON.parse(a.body).ExceptionMessage]).toEqual([406, 'UnsupportedRequestedContentType',
      "The requested content type application/x-json-stream is not supported. Use ['application/json']."]);
    expect((await get('/dids/test/orphan', root, { Accept: '*/*' })).status).toBe(200);
    expect((await get('/dids/test/orphan', root, { Accept: 'application/*;q=0.5' })).status).toBe(200);
    expect((await get('/rules/?account=root', root, { Accept: 'application/json' })).status).toBe(406);
    const list = await call(t, 'POST', '/replicas/list', { token: root, body: { dids: [] }, headers: { Accept: 'text/plain' } });
    expect(list.headers.exceptionmessage).toBe("The requested content type text/plain is not supported. Use ['application/x-json-stream', 'application/metalink4+xml'].");
  });

  it('gives an open dataset no bytes/length until it is closed (or sizes are asked dynamically)', async () => {
    // core/did.py get_did, set_status (close stores __resolve_bytes_length_events_did), detach_dids.
    expect((await post('/dids/test/open-ds', { type: 'DATASET' })).status).toBe(201);
    expect((await post('/dids/test/open-ds/dids', { dids: [{ scope: 'test', name: 'orphan' }, { scope: 'test', name: 'soft' }] })).status).toBe(201);
    expect(JSON.parse((await get('/dids/test/open-ds')).body)).toMatchObject({ open: true, bytes: null, length: null });
    expect(JSON.parse((await get('/dids/test/open-ds?dynamic')).body)).toMatchObject({ bytes: 13, length: 2 });
    expect(JSON.parse((await get('/dids/test/open-ds/meta')).body)).toMatchObject({ bytes: null, length: null });
    expect((await call(t, 'PUT', '/dids/test/open-ds/status', { token: root, body: { open: false } })).status).toBe(200);
    expect(JSON.parse((await get('/dids/test/open-ds')).body)).toMatchObject({ open: false, bytes: 13, length: 2 });
  });

  it('leaves an asynchronous rule in INJECT with no locks until the judge-injector runs', async () => {
    // core/rule.py add_rule (asynchronous -> RuleState.INJECT), inject_rule.
    await post('/replicas', { rse: 'SITE-DISK', files: [{ scope: 'test', name: 'async1', bytes: 2, adler32: '00000002' }] });
    const id = await addRule({ dids: [{ scope: 'test', name: 'async1' }], copies: 1, rse_expression: 'SITE-TMP', account: 'root', asynchronous: true });
    expect(JSON.parse((await get(`/rules/${id}`)).body)).toMatchObject({ state: 'INJECT', locks_ok_cnt: 0, locks_replicating_cnt: 0 });
    expect(lines((await get(`/rules/${id}/locks`)).body)).toEqual([]);
    expect(t.handle.admin.listRequests().filter((q) => q.ruleId === id)).toEqual([]);
    expect(t.handle.admin.expire().injected).toEqual([id]);
    expect(JSON.parse((await get(`/rules/${id}`)).body)).toMatchObject({ state: 'REPLICATING', locks_replicating_cnt: 1 });
    expect(lines((await get('/rules/?state=I')).body)).toEqual([]);
    // core/rule.py list_rules adds the DID's bytes: a file's size here.
    expect(lines((await get('/dids/test/async1/rules')).body)[0]).toMatchObject({ id, bytes: 2 });
  });
});
