// Behaviour beyond the transcript: the upload flow, failed transfers, rules on
// collections that grow, non-deterministic RSEs, permissions and routing. The RSEs end in SCRATCHDISK
// because perm_add_replicas (lib/rucio/core/permission/generic.py) lets a plain account register there only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, TestCatalogue } from './harness.js';
import { call, lines, loginRoot, seedRoot, startTestCatalogue } from './harness.js';

const HTTPS = {
  scheme: 'https', hostname: 'storage.test', port: 8443, prefix: '/lake', impl: 'rucio.rse.protocols.webdav.Default',
  domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 } },
};

describe('catalogue rules, replicas and collections', () => {
  let t: TestCatalogue;
  let root = '';
  let alice = '';
  const get = (path: string, token = root): Promise<Answer> => call(t, 'GET', path, { token });
  const post = (path: string, body: object, token = root): Promise<Answer> => call(t, 'POST', path, { token, body });
  const put = (path: string, body: object, token = root): Promise<Answer> => call(t, 'PUT', path, { token, body });
  const rule = async (id: string): Promise<Record<string, unknown>> => JSON.parse((await get(`/rules/${id}`)).body);
  const addRule = async (body: object, token = root): Promise<string> => {
    const a = await post('/rules/', body, token);
    expect(a.status, a.body).toBe(201);
    return (JSON.parse(a.body) as string[])[0] as string;
  };

  beforeAll(async () => {
    t = await startTestCatalogue();
    seedRoot(t);
    const admin = t.handle.admin;
    admin.addAccount('alice', 'USER');
    admin.addIdentity({ kind: 'USERPASS', identity: 'alice', account: 'alice', password: 'alice-pw' });
    for (const name of ['SITE1_SCRATCHDISK', 'SITE2_SCRATCHDISK']) {
      admin.addRse(name, { deterministic: true, rseType: 'DISK', volatile: false });
      admin.addProtocol(name, { ...HTTPS, prefix: `/${name.toLowerCase()}` });
      admin.setAccountLimit('alice', name, 1_000_000);
      admin.setAccountLimit('root', name, -1);
    }
    admin.addRse('TAPE-ND', { deterministic: false, rseType: 'TAPE', volatile: false });
    admin.addProtocol('TAPE-ND', { ...HTTPS, hostname: 'tape.test', prefix: '/archive' });
    admin.addScope('alice', 'user.alice');
    admin.addScope('root', 'test');
    root = await loginRoot(t);
    const a = await call(t, 'GET', '/auth/userpass', { headers: { 'X-Rucio-Username': 'alice', 'X-Rucio-Password': 'alice-pw' } });
    alice = String(a.headers['x-rucio-auth-token']);
  });
  afterAll(async () => {
    await t.close();
  });

  it('follows the upload flow: COPYING replica, rule REPLICATING without transfer, PUT A makes it OK', async () => {
    const file = { scope: 'user.alice', name: 'up1', bytes: 100, adler32: '0a0b0c0d', meta: { guid: 'a1b2c3d4-0000-1111-2222-333344445555' }, state: 'C' };
    expect((await post('/replicas', { rse: 'SITE1_SCRATCHDISK', files: [file] }, alice)).status).toBe(201);
    const id = await addRule({ dids: [{ scope: 'user.alice', name: 'up1' }], copies: 1, rse_expression: 'SITE1_SCRATCHDISK', account: 'alice', lifetime: 600 }, alice);
    expect(await rule(id)).toMatchObject({ state: 'REPLICATING', locks_replicating_cnt: 1, expires_at: 'Wed, 25 Nov 2026 00:14:20 UTC' });
    expect(t.handle.admin.listRequests().filter((q) => q.ruleId === id)).toEqual([]);

    // perm_update_replicas_states (lib/rucio/core/permission/generic.py): only root/admin may flip the state.
    const refused = await put('/replicas', { rse: 'SITE1_SCRATCHDISK', files: [{ scope: 'user.alice', name: 'up1', state: 'A' }] }, alice);
    expect([refused.status, refused.headers.exceptionclass]).toEqual([401, 'AccessDenied']);
    const done = await put('/replicas', { rse: 'SITE1_SCRATCHDISK', files: [{ scope: 'user.alice', name: 'up1', state: 'A' }] });
    expect([done.status, done.body]).toEqual([200, '']);
    expect(await rule(id)).toMatchObject({ state: 'OK', locks_ok_cnt: 1 });
    expect(JSON.parse((await get('/dids/user.alice/up1/meta')).body).guid).toBe('a1b2c3d4000011112222333344445555');
  });

  it('marks the rule STUCK with the transfer error when a copy fails', async () => {
    await post('/replicas', { rse: 'SITE1_SCRATCHDISK', files: [{ scope: 'test', name: 'src1', bytes: 10, adler32: '00000001' }] });
    const id = await addRule({ dids: [{ scope: 'test', name: 'src1' }], copies: 1, rse_expression: 'SITE2_SCRATCHDISK', account: 'root' });
    const [request] = t.handle.admin.listRequests('QUEUED').filter((q) => q.ruleId === id);
    expect(request?.sources.map((s) => s.rse)).toEqual(['SITE1_SCRATCHDISK']);
    t.handle.admin.markRequestSubmitted(request?.id as string, { sourceRse: 'SITE1_SCRATCHDISK', transfertool: 'sandbox' });
    t.handle.admin.completeRequest(request?.id as string, { ok: false, error: 'RequestErrMsg.TRANSFER_FAILED:checksum mismatch' });
    expect(await rule(id)).toMatchObject({ state: 'STUCK', locks_stuck_cnt: 1, error: 'RequestErrMsg.TRANSFER_FAILED:checksum mismatch' });
    // The finisher archives a finished request (core/request.py archive_request): only the history has it.
    expect((await get('/requests/test/src1/SITE2_SCRATCHDISK')).status).toBe(404);
    const shown = JSON.parse((await get('/requests/history/test/src1/SITE2_SCRATCHDISK')).body);
    expect(shown).toMatchObject({ state: 'FAILED', source_rse: 'SITE1_SCRATCHDISK', err_msg: 'RequestErrMsg.TRANSFER_FAILED:checksum mismatch' });
    expect(t.handle.admin.getReplicaState('test', 'src1', 'SITE2_SCRATCHDISK')).toBe('UNAVAILABLE');
  });

  it('extends a rule created with its dataset to files attached later, and to containers', async () => {
    const created = await post('/dids/test/grow', {
      type: 'DATASET', rules: [{ account: 'root', copies: 1, rse_expression: 'SITE1_SCRATCHDISK', grouping: 'DATASET' }],
    });
    expect(created.status, created.body).toBe(201);
    const [first] = lines((await get('/dids/test/grow/rules')).body);
    expect(first).toMatchObject({ state: 'OK', locks_ok_cnt: 0, bytes: null });
    await post('/replicas', { rse: 'SITE1_SCRATCHDISK', files: [{ scope: 'test', name: 'g1', bytes: 5, adler32: '00000002' }] });
    expect((await post('/dids/test/grow/dids', { dids: [{ scope: 'test', name: 'g1' }] })).status).toBe(201);
    // The judge-evaluator takes the attach up a second later (judge-evaluator.test.ts shows the window).
    expect(t.handle.admin.runJudgeEvaluator()).toBe(1);
    expect(await rule(first?.id as string)).toMatchObject({ state: 'OK', locks_ok_cnt: 1 });

    expect((await post('/dids/test/box', { type: 'CONTAINER' })).status).toBe(201);
    expect((await post('/dids/test/box/dids', { dids: [{ scope: 'test', name: 'grow' }] })).status).toBe(201);
    const boxRule = await addRule({ dids: [{ scope: 'test', name: 'box' }], copies: 1, rse_expression: 'SITE2_SCRATCHDISK', account: 'root' });
    expect(await rule(boxRule)).toMatchObject({ did_type: 'CONTAINER', state: 'REPLICATING', locks_replicating_cnt: 1 });
    const listed = lines((await post('/replicas/list', { dids: [{ scope: 'test', name: 'box' }] })).body);
    expect(listed.map((r) => r.name)).toEqual(['g1']);
    // core/did.py get_did: an open dataset has no stored length/bytes; dynamic_depth resolves them, closing stores them.
    expect(JSON.parse((await get('/dids/test/grow')).body)).toMatchObject({ open: true, length: null, bytes: null });
    expect(JSON.parse((await get('/dids/test/grow?dynamic_depth=FILE')).body)).toMatchObject({ length: 1, bytes: 5 });
    expect((await put('/dids/test/grow/status', { open: false })).status).toBe(200);
    expect(JSON.parse((await get('/dids/test/grow')).body)).toMatchObject({ open: false, length: 1, bytes: 5 });
  });

  it('needs a PFN on a non-deterministic RSE and lists it back as registered', async () => {
    const file = { scope: 'test', name: 'nd1', bytes: 1, adler32: '00000003' };
    const missing = await post('/replicas', { rse: 'TAPE-ND', files: [file] });
    expect([missing.status, missing.headers.exceptionclass]).toEqual([500, 'UnsupportedOperation']);
    const pfn = 'https://tape.test:8443/archive/2026/run7/nd1';
    expect((await post('/replicas', { rse: 'TAPE-ND', files: [{ ...file, pfn }] })).status).toBe(201);
    const [record] = lines((await post('/replicas/list', { dids: [{ scope: 'test', name: 'nd1' }] })).body);
    expect(record?.rses).toEqual({ 'TAPE-ND': [pfn] });
  });

  it('checks a PFN given for a deterministic RSE against the computed one', async () => {
    const file = { scope: 'test', name: 'file1', bytes: 1, adler32: '00000004' };
    const wrong = await post('/replicas', { rse: 'SITE2_SCRATCHDISK', files: [{ ...file, pfn: 'https://storage.test:8443/site2_scratchdisk/elsewhere/file1' }] });
    expect([wrong.status, wrong.headers.exceptionclass]).toEqual([400, 'InvalidPath']);
    const computed = JSON.parse((await get('/rses/SITE2_SCRATCHDISK/lfns2pfns?lfn=test:file1&scheme=https')).body) as Record<string, string>;
    expect(computed).toEqual({ 'test:file1': 'https://storage.test:8443/site2_scratchdisk/test/80/25/file1' });
    expect((await post('/replicas', { rse: 'SITE2_SCRATCHDISK', files: [{ ...file, pfn: computed['test:file1'] }] })).status).toBe(201);
  });

  it('refuses foreign scopes, rules for other accounts and rules beyond the quota', async () => {
    const foreign = await post('/replicas', { rse: 'SITE1_SCRATCHDISK', files: [{ scope: 'test', name: 'x1', bytes: 1, adler32: '00000005' }] }, alice);
    expect([foreign.status, foreign.headers.exceptionclass]).toEqual([401, 'AccessDenied']);
    const other = await post('/rules/', { dids: [{ scope: 'user.alice', name: 'up1' }], copies: 1, rse_expression: 'SITE2_SCRATCHDISK', account: 'root' }, alice);
    expect([other.status, other.headers.exceptionclass]).toEqual([500, 'AccessDenied']);
    t.handle.admin.setAccountLimit('alice', 'SITE2_SCRATCHDISK', 50);
    const over = await post('/rules/', { dids: [{ scope: 'user.alice', name: 'up1' }], copies: 1, rse_expression: 'SITE2_SCRATCHDISK', account: 'alice' }, alice);
    expect([over.status, over.headers.exceptionclass]).toEqual([409, 'InsufficientAccountLimit']);
    const copies = await post('/rules/', { dids: [{ scope: 'test', name: 'file1' }], copies: 3, rse_expression: 'SITE1_SCRATCHDISK|SITE2_SCRATCHDISK', account: 'root' });
    expect([copies.status, copies.headers.exceptionclass]).toEqual([409, 'InsufficientTargetRSEs']);
  });

  it('refuses to delete a locked rule', async () => {
    const id = await addRule({ dids: [{ scope: 'test', name: 'file1' }], copies: 1, rse_expression: 'SITE1_SCRATCHDISK', account: 'root', locked: true });
    const a = await call(t, 'DELETE', `/rules/${id}`, { token: root, body: {} });
    expect([a.status, a.headers.exceptionclass]).toEqual([401, 'UnsupportedOperation']);
  });

  it('sets a DID lifetime through metadata', async () => {
    expect((await post('/dids/test/short/meta/lifetime', { value: 60 })).status).toBe(404);
    await post('/dids/test/short', { type: 'DATASET' });
    expect((await post('/dids/test/short/meta/lifetime', { value: 60 })).status).toBe(201);
    expect(JSON.parse((await get('/dids/test/short')).body).expired_at).toBe('Wed, 25 Nov 2026 00:05:20 UTC');
  });

  it('routes like Flask: 404 page, 405 page, 308 to the slash-terminated URL', async () => {
    const missing = await get('/nothing/here');
    expect([missing.status, missing.headers['content-type']]).toEqual([404, 'text/html; charset=utf-8']);
    expect(missing.body).toContain('<title>404 Not Found</title>');
    expect((await call(t, 'DELETE', '/scopes/', { token: root })).status).toBe(405);
    const slash = await get('/rses?expression=SITE1_SCRATCHDISK');
    expect([slash.status, slash.headers.location]).toEqual([308, '/rses/?expression=SITE1_SCRATCHDISK']);
  });
});
