// The DID views of lib/rucio/web/rest/flaskapi/v1/dids.py that list history, follow DIDs, delete and bulk
// read/set metadata, look up GUIDs, list new DIDs, list files in bulk, resurrect and sample. Each expected
// value comes from Rucio 41.0.0's view, gateway/did.py, core/did.py or core/permission/generic.py (cited).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, TestCatalogue } from './harness.js';
import { call, lines, loginRoot, seedRoot, startTestCatalogue } from './harness.js';
import { DEFAULT_SANDBOX_CONFIG, parseSandboxConfig } from '../../../src/sandbox/sandbox-config.js';

const START = new Date('2026-11-25T00:04:20Z');
const GUID = '6A3BDA6C-1D2B-4C1E-9F5E-2B7C3A1D0E4F';

async function setUp(t: TestCatalogue): Promise<{ root: string; carol: string }> {
  seedRoot(t);
  const admin = t.handle.admin;
  admin.addAccount('carol', 'USER');
  admin.addIdentity({ kind: 'USERPASS', identity: 'carol', account: 'carol', password: 'carol-pw' });
  admin.addRse('SITE-A', { deterministic: true, rseType: 'DISK', volatile: false });
  admin.addScope('root', 'test');
  admin.addScope('carol', 'user.carol');
  const root = await loginRoot(t);
  const a = await call(t, 'GET', '/auth/userpass', { headers: { 'X-Rucio-Username': 'carol', 'X-Rucio-Password': 'carol-pw' } });
  return { root, carol: String(a.headers['x-rucio-auth-token']) };
}

describe('the Rucio 41 DID views the sandbox used to answer with 501', () => {
  let t: TestCatalogue;
  let root = '';
  let carol = '';
  const req = (method: string, path: string, body?: unknown, token = root, headers: Record<string, string> = {}): Promise<Answer> =>
    call(t, method, path, { token, headers, body: body as object | undefined });
  const expectError = (a: Answer, status: number, cls: string, message?: string): void => {
    expect([a.status, a.headers.exceptionclass]).toEqual([status, cls]);
    if (message !== undefined) expect(JSON.parse(a.body).ExceptionMessage).toBe(message);
  };
  /** ErrorHandlingMethodView: an exception that is no RucioException answers str(error), 500, as text/html. */
  const expectPython500 = (a: Answer, text: string): void => {
    expect([a.status, a.headers['content-type'], a.body]).toEqual([500, 'text/html; charset=utf-8', text]);
  };

  beforeAll(async () => {
    t = await startTestCatalogue(undefined, START);
    ({ root, carol } = await setUp(t));
    const files = [
      { scope: 'test', name: 'f1', bytes: 100, adler32: '0000000a', meta: { guid: GUID } },
      { scope: 'test', name: 'f2', bytes: 200, adler32: '0000000b' },
      { scope: 'test', name: 'f3', bytes: 300, adler32: '0000000c' },
    ];
    expect((await req('POST', '/replicas', { rse: 'SITE-A', files })).status).toBe(201);
    expect((await req('POST', '/dids/test/ds1', { type: 'DATASET', dids: files.map(({ scope, name }) => ({ scope, name })) })).status).toBe(201);
    expect((await req('POST', '/dids/test/box', { type: 'CONTAINER', dids: [{ scope: 'test', name: 'ds1' }] })).status).toBe(201);
    expect((await req('POST', '/dids/test/ds1/meta', { meta: { foo: 'x', bar: 2, project: 'lake' } })).status).toBe(201);
    expect((await req('POST', '/dids/test/box/meta', { meta: { campaign: 'mc26', foo: 'from-box' } })).status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET /dids/{did}/dids/history lists what was detached, and nothing for an unknown DID', async () => {
    // core/did.py detach_dids archives each removed content row with deleted_at = now; list_content_history
    // renders {scope, name, type, bytes, adler32, md5, deleted_at, created_at, updated_at} of the child.
    expect((await req('POST', '/dids/test/scratch', { type: 'DATASET', dids: [{ scope: 'test', name: 'f3' }] })).status).toBe(201);
    expect((await req('DELETE', '/dids/test/scratch/dids', { dids: [{ scope: 'test', name: 'f3' }] })).status).toBe(200);
    const a = await req('GET', '/dids/test/scratch/dids/history');
    expect([a.status, a.headers['content-type']]).toEqual([200, 'application/x-json-stream']);
    expect(lines(a.body)).toEqual([{
      scope: 'test', name: 'f3', type: 'FILE', bytes: 300, adler32: '0000000c', md5: null,
      deleted_at: 'Wed, 25 Nov 2026 00:04:20 UTC', created_at: 'Wed, 25 Nov 2026 00:04:20 UTC', updated_at: 'Wed, 25 Nov 2026 00:04:20 UTC',
    }]);
    // list_content_history never looks the DID up: its NoResultFound branch cannot fire.
    const unknown = await req('GET', '/dids/test/nope/dids/history');
    expect([unknown.status, unknown.body]).toEqual([200, '']);
    // check_accept_header_wrapper_flask(['application/x-json-stream']).
    expectError(await req('GET', '/dids/test/scratch/dids/history', undefined, root, { Accept: 'application/json' }), 406, 'UnsupportedRequestedContentType');
  });

  it('/dids/{did}/follow: followers as JSON lines, a follow that Rucio answers with a 500, unfollow for admins only', async () => {
    // get_users_following_did: {"user": account} per line, try_stream(content_type='application/json').
    const none = await req('GET', '/dids/test/ds1/follow');
    expect([none.status, none.headers['content-type'], none.body]).toEqual([200, 'application/json', '']);
    // Follow.post returns None after add_did_to_followed committed: Flask's 500 page, yet the DID is followed.
    const followed = await req('POST', '/dids/test/ds1/follow', { account: 'carol' }, carol);
    expect([followed.status, followed.headers['content-type']]).toEqual([500, 'text/html; charset=utf-8']);
    expect(followed.body).toContain('<title>500 Internal Server Error</title>');
    const list = await req('GET', '/dids/test/ds1/follow');
    expect([list.status, list.body]).toEqual([200, '{"user": "carol"}\n']);
    // core/did.py add_dids_to_followed: IntegrityError -> RucioException(error.args), not caught by the view.
    expectError(await req('POST', '/dids/test/ds1/follow', { account: 'carol' }, carol), 500, 'RucioException');
    // An unknown DID: scalar_one() raises SQLAlchemy's NoResultFound.
    expectPython500(await req('POST', '/dids/test/nope/follow', { account: 'carol' }), 'No row was found when one was required');
    // param_get(parameters, 'account') without default.
    expectError(await req('POST', '/dids/test/ds1/follow', {}), 400, 'KeyError', "'account' not defined");
    // perm_remove_did_from_followed reads kwargs['account'], which gateway remove_did_from_followed never passes.
    expectPython500(await req('DELETE', '/dids/test/ds1/follow', { account: 'carol' }, carol), "'account'");
    const removed = await req('DELETE', '/dids/test/ds1/follow', { account: 'carol' });
    expect([removed.status, removed.body]).toEqual([200, '']);
    expect((await req('GET', '/dids/test/ds1/follow')).body).toBe('');
  });

  it('DELETE /dids/{did}/meta?key= removes a JSON key; column keys, missing keys and unknown DIDs are errors', async () => {
    expect((await req('POST', '/dids/test/scratch/meta', { meta: { gone: 1, kept: 2 } })).status).toBe(201);
    // gateway/did.py delete_metadata has no permission check: carol may delete root's key.
    const a = await req('DELETE', '/dids/test/scratch/meta?key=gone', undefined, carol);
    expect([a.status, a.body]).toEqual([200, '']);
    expect(JSON.parse((await req('GET', '/dids/test/scratch/meta?plugin=JSON')).body)).toEqual({ kept: 2 });
    // json_meta.py delete_metadata: KeyNotFound(key), whose message is the key.
    expectError(await req('DELETE', '/dids/test/scratch/meta?key=gone'), 404, 'KeyNotFound', 'gone');
    // Meta.delete: no ?key= at all.
    expectError(await req('DELETE', '/dids/test/scratch/meta'), 404, 'KeyNotFound', 'No key provided to remove');
    // did_column_meta.py delete_metadata raises NotImplementedError; the view answers 409 with its own text.
    expectError(await req('DELETE', '/dids/test/scratch/meta?key=project'), 409, 'NotImplementedError', 'Feature not in current database');
    // json_meta.py: no did_meta row (here: no DID) -> DataIdentifierNotFound.
    expectError(await req('DELETE', '/dids/test/nope/meta?key=gone'), 404, 'DataIdentifierNotFound', "Key not found for data identifier 'test:nope'");
  });

  it('GET /dids/{guid}/guid lists the collections holding the file with that GUID', async () => {
    // core/did.py get_dataset_by_guid: {scope, name} of each parent; the GUID column type takes any uuid form.
    const a = await req('GET', `/dids/${GUID.toLowerCase()}/guid`);
    expect([a.status, a.headers['content-type']]).toEqual([200, 'application/x-json-stream']);
    expect(lines(a.body)).toEqual([{ scope: 'test', name: 'ds1' }]);
    expect(lines((await req('GET', `/dids/${GUID.replace(/-/g, '')}/guid`)).body)).toEqual([{ scope: 'test', name: 'ds1' }]);
    const other = '00000000-0000-0000-0000-000000000001';
    expectError(await req('GET', `/dids/${other}/guid`), 404, 'DataIdentifierNotFound', `No file associated to GUID : ${other}`);
    // uuid.UUID('not-a-guid') in GUID.process_bind_param: a ValueError, not caught by the view.
    expectPython500(await req('GET', '/dids/not-a-guid/guid'), 'badly formed hexadecimal UUID string');
  });

  it('GET /dids/new answers an empty stream, and a 500 for an unknown type', async () => {
    // gateway/did.py list_new_dids exhausts the core generator before `yield from dids`.
    const a = await req('GET', '/dids/new');
    expect([a.status, a.headers['content-type'], a.body]).toEqual([200, 'application/x-json-stream', '']);
    expect((await req('GET', '/dids/new?type=dataset')).body).toBe('');
    // DIDType[did_type.upper()]: KeyError('BOGUS').
    expectPython500(await req('GET', '/dids/new?type=bogus'), "'BOGUS'");
  });

  it('POST /dids/bulkfiles lists the files of each DID with its parent, skipping unknown DIDs', async () => {
    // core/did.py bulk_list_files: list_files(...) + parent_scope/parent_name; DataIdentifierNotFound passes.
    const a = await req('POST', '/dids/bulkfiles', { dids: [{ scope: 'test', name: 'nope' }, { scope: 'test', name: 'box' }] });
    expect([a.status, a.headers['content-type']]).toEqual([200, 'application/x-json-stream']);
    // The GUID as list_files gives it (32 hex digits, no dashes).
    expect(lines(a.body).map((f) => [f.name, f.bytes, f.guid, f.parent_scope, f.parent_name])).toEqual([
      ['f1', 100, GUID.replace(/-/g, ''), 'test', 'box'], ['f2', 200, null, 'test', 'box'], ['f3', 300, null, 'test', 'box']]);
    expect(Object.keys(lines(a.body)[0] ?? {})).toEqual(['scope', 'name', 'bytes', 'adler32', 'guid', 'events', 'parent_scope', 'parent_name']);
    // param_get(parameters, 'dids', default=[]).
    expect((await req('POST', '/dids/bulkfiles', {})).body).toBe('');
    // json_parameters: the body must be a dictionary.
    expectError(await req('POST', '/dids/bulkfiles', [{ scope: 'test', name: 'box' }]), 400, 'TypeError', 'body must be a json dictionary');
    // gateway/did.py bulk_list_files reads did_['scope'] of each DID: KeyError.
    expectPython500(await req('POST', '/dids/bulkfiles', { dids: [{ name: 'box' }] }), "'scope'");
    // The sandbox's bound (Rucio has none): more than 1000 DIDs is a 400.
    const many = Array.from({ length: 1001 }, (_, i) => ({ scope: 'test', name: `d${i}` }));
    expectError(await req('POST', '/dids/bulkfiles', { dids: many }), 400, 'ValueError');
  });

  it('POST /dids/bulkmeta reads the metadata of several DIDs, with or without inheritance', async () => {
    // core/did.py get_metadata_bulk: DID_COLUMN yields row.to_dict() of each existing DID only.
    const a = await req('POST', '/dids/bulkmeta', { dids: [{ scope: 'test', name: 'ds1' }, { scope: 'test', name: 'nope' }] });
    expect([a.status, a.headers['content-type']]).toEqual([200, 'application/x-json-stream']);
    const [ds1, ...rest] = lines(a.body);
    expect(rest).toEqual([]);
    expect(ds1).toMatchObject({ name: 'ds1', scope: 'test', project: 'lake', did_type: 'DATASET' });
    // Another plugin: {scope, name} then the plugin's keys.
    const json = await req('POST', '/dids/bulkmeta', { dids: [{ scope: 'test', name: 'ds1' }], plugin: 'JSON' });
    expect(json.body).toBe('{"scope": "test", "name": "ds1", "foo": "x", "bar": 2}\n');
    // inherit: the file's own keys, then its dataset's, then the container's; an unknown DID answers {scope, name}.
    const inherited = lines((await req('POST', '/dids/bulkmeta', {
      dids: [{ scope: 'test', name: 'f1' }, { scope: 'test', name: 'nope' }], inherit: true, plugin: 'JSON',
    })).body);
    expect(inherited).toEqual([{ scope: 'test', name: 'f1', foo: 'x', bar: 2 }, { scope: 'test', name: 'nope' }]);
    // With DID_COLUMN every column is a key of the file's own row.to_dict(), so its nulls win over the parents' values.
    const withColumns = lines((await req('POST', '/dids/bulkmeta', { dids: [{ scope: 'test', name: 'f1' }], inherit: 'true' })).body);
    expect(withColumns[0]).toMatchObject({ scope: 'test', name: 'f1', did_type: 'FILE', project: null, campaign: null });
    // param_get(params, 'dids'); param_get_bool; validate_schema('dids') raising InvalidObject, not caught: 500.
    expectError(await req('POST', '/dids/bulkmeta', {}), 400, 'KeyError', "'dids' not defined");
    expectError(await req('POST', '/dids/bulkmeta', { dids: [{ scope: 'test', name: 'ds1' }], inherit: 'maybe' }), 400, 'TypeError', "'inherit' must be a boolean type.");
    expectError(await req('POST', '/dids/bulkmeta', { dids: [{ scope: 'test', name: 'ds1' }], inherit: null }), 400, 'KeyError', "'inherit' not defined");
    expectError(await req('POST', '/dids/bulkmeta', { dids: [] }), 500, 'InvalidObject');
    // did_meta_plugins.get_metadata: an unknown plugin.
    expectError(await req('POST', '/dids/bulkmeta', { dids: [{ scope: 'test', name: 'ds1' }], plugin: 'MONGO' }), 500, 'UnsupportedMetadataPlugin',
      'Metadata plugin "MONGO" is not enabled on the server.');
  });

  it('POST /dids/bulkdidsmeta sets metadata on several DIDs, all or nothing', async () => {
    const a = await req('POST', '/dids/bulkdidsmeta', { dids: [
      { scope: 'test', name: 'ds1', meta: { datatype: 'AOD' } }, { scope: 'test', name: 'f2', meta: { events: 7, colour: 'red' } }] });
    expect([a.status, a.body]).toEqual([201, 'Created']);
    expect(JSON.parse((await req('GET', '/dids/test/ds1/meta')).body)).toMatchObject({ datatype: 'AOD' });
    expect(JSON.parse((await req('GET', '/dids/test/f2/meta?plugin=ALL')).body)).toMatchObject({ events: 7, colour: 'red' });
    // perm_set_metadata_bulk: root, admin or the scope's owner; the view answers AccessDenied with 401.
    expectError(await req('POST', '/dids/bulkdidsmeta', { dids: [{ scope: 'test', name: 'ds1', meta: { datatype: 'x' } }] }, carol),
      401, 'AccessDenied', 'Account carol can not add metadata to data identifier test:ds1. ');
    // gateway/did.py set_dids_metadata_bulk: RESERVED_KEYS.
    expectError(await req('POST', '/dids/bulkdidsmeta', { dids: [{ scope: 'test', name: 'ds1', meta: { is_open: false } }] }),
      401, 'AccessDenied', 'Account root can not change the value of the metadata key is_open to data identifier test:ds1');
    // did_column_meta.py set_metadata_bulk: an unknown DID, and guid on a collection (update filtered on FILE).
    const unknown = await req('POST', '/dids/bulkdidsmeta', { dids: [
      { scope: 'test', name: 'ds1', meta: { datatype: 'rolled-back' } }, { scope: 'test', name: 'nope', meta: { datatype: 'x' } }] });
    expectError(unknown, 404, 'DataIdentifierNotFound', "Data identifier 'test:nope' not found");
    expect(JSON.parse((await req('GET', '/dids/test/ds1/meta')).body)).toMatchObject({ datatype: 'AOD' });
    expectError(await req('POST', '/dids/bulkdidsmeta', { dids: [{ scope: 'test', name: 'ds1', meta: { guid: GUID } }] }),
      409, 'UnsupportedOperation', 'guid for test:ds1 cannot be updated');
    expectError(await req('POST', '/dids/bulkdidsmeta', {}), 400, 'KeyError', "'dids' not defined");
  });

  it('POST /dids/resurrect: admins only; an expired DID the undertaker has not removed loses its lifetime', async () => {
    expect((await req('POST', '/dids/test/dying', { type: 'DATASET', lifetime: 60 })).status).toBe(201);
    // perm_resurrect: root or admin.
    expectError(await req('POST', '/dids/resurrect', [{ scope: 'test', name: 'dying' }], carol), 401, 'AccessDenied',
      'Account carol can not resurrect data identifiers. ');
    // core/did.py resurrect: not in deleted_dids and not expired yet -> DataIdentifierNotFound.
    expectError(await req('POST', '/dids/resurrect', [{ scope: 'test', name: 'dying' }]), 404, 'DataIdentifierNotFound',
      "Deleted Data identifier 'test:dying' not found");
    t.clock.now = new Date(START.getTime() + 120_000);
    const a = await req('POST', '/dids/resurrect', [{ scope: 'test', name: 'dying' }]);
    expect([a.status, a.body]).toEqual([201, 'Created']);
    expect(JSON.parse((await req('GET', '/dids/test/dying')).body)).toMatchObject({ expired_at: null });
    expect(t.handle.admin.expire().dids).toEqual([]);
    // json_list, then validate_schema('dids') (InvalidObject: 500).
    expectError(await req('POST', '/dids/resurrect', { scope: 'test', name: 'dying' }), 400, 'TypeError', 'body must be a json list');
    expectError(await req('POST', '/dids/resurrect', []), 500, 'InvalidObject');
    t.clock.now = START;
  });

  it('POST /dids/sample makes a dataset of randomly chosen files of a collection', async () => {
    // core/did.py create_did_sample: files[:int(nbfiles)] of the shuffled list_files, in a new dataset.
    const a = await req('POST', '/dids/sample', { input_scope: 'test', input_name: 'box', output_scope: 'test', output_name: 'two', nbfiles: '2' });
    expect([a.status, a.body]).toEqual([201, 'Created']);
    const content = lines((await req('GET', '/dids/test/two/dids')).body);
    expect(content).toHaveLength(2);
    for (const f of content) expect(['f1', 'f2', 'f3']).toContain(f.name);
    // The legacy path form takes the same arguments from the URL.
    expect((await req('POST', '/dids/test/ds1/test/one/1/sample')).status).toBe(201);
    expect(lines((await req('GET', '/dids/test/one/dids')).body)).toHaveLength(1);
    // perm_create_did_sample: owner of the output scope (or root/admin, or 'mock').
    expectError(await req('POST', '/dids/sample', { input_scope: 'test', input_name: 'box', output_scope: 'test', output_name: 'x', nbfiles: 1 }, carol),
      401, 'AccessDenied', 'Account carol can not bulk add data identifier. ');
    expect((await req('POST', '/dids/sample',
      { input_scope: 'test', input_name: 'box', output_scope: 'user.carol', output_name: 'mine', nbfiles: 1 }, carol)).status).toBe(201);
    expectError(await req('POST', '/dids/sample', { input_scope: 'test', input_name: 'nope', output_scope: 'test', output_name: 'x', nbfiles: 1 }),
      404, 'DataIdentifierNotFound', "Data identifier 'test:nope' not found");
    expectError(await req('POST', '/dids/sample', { input_scope: 'test', input_name: 'box', output_scope: 'test', output_name: 'two', nbfiles: 1 }),
      409, 'DataIdentifierAlreadyExists');
    // parameters['nbfiles'] inside the view's try: a KeyError, which only ErrorHandlingMethodView catches.
    expectPython500(await req('POST', '/dids/sample', { input_scope: 'test', input_name: 'box', output_scope: 'test', output_name: 'x' }), "'nbfiles'");
  });
});

describe('DID deletion with [deletion] archive_dids', () => {
  it('is off by default, as Rucio\'s config_get_bool(\'deletion\', \'archive_dids\', default=False), and the sandbox config turns it on', () => {
    expect([DEFAULT_SANDBOX_CONFIG.catalogue.archive_dids, DEFAULT_SANDBOX_CONFIG.catalogue.archive_content]).toEqual([false, false]);
    const config = parseSandboxConfig('catalogue: { archive_dids: true, archive_content: true }\n', 'sbx.yaml');
    expect([config.catalogue.archive_dids, config.catalogue.archive_content]).toEqual([true, true]);
  });

  it('the undertaker and the reaper keep deleted DIDs in deleted_dids, and resurrect brings them back', async () => {
    const t = await startTestCatalogue(undefined, START, { deletion: { archiveDids: true } });
    try {
      const { root } = await setUp(t);
      expect((await call(t, 'POST', '/dids/test/box', { token: root, body: { type: 'CONTAINER' } })).status).toBe(201);
      expect((await call(t, 'POST', '/dids/test/old', { token: root, body: { type: 'DATASET', lifetime: 60, meta: { project: 'p1', colour: 'red' } } })).status).toBe(201);
      expect((await call(t, 'POST', '/dids/test/box/dids', { token: root, body: { dids: [{ scope: 'test', name: 'old' }] } })).status).toBe(201);
      t.clock.now = new Date(START.getTime() + 120_000);
      expect(t.handle.admin.expire().dids).toEqual(['test:old']);
      expect((await call(t, 'GET', '/dids/test/old', { token: root })).status).toBe(404);
      // delete_dids detaches the DID from its parents with detach_dids, which archives the content row.
      expect(lines((await call(t, 'GET', '/dids/test/box/dids/history', { token: root })).body).map((h) => h.name)).toEqual(['old']);
      // core/did.py resurrect: the deleted_dids row becomes a DID again, without its expiration.
      const a = await call(t, 'POST', '/dids/resurrect', { token: root, body: [{ scope: 'test', name: 'old' }] });
      expect([a.status, a.body]).toEqual([201, 'Created']);
      expect(JSON.parse((await call(t, 'GET', '/dids/test/old', { token: root })).body)).toMatchObject({ type: 'DATASET', expired_at: null });
      // insert_deleted_dids copies the DIDs table's columns; delete_dids dropped the did_meta (JSON) row.
      expect(JSON.parse((await call(t, 'GET', '/dids/test/old/meta?plugin=ALL', { token: root })).body)).toMatchObject({ project: 'p1' });
      expect((await call(t, 'GET', '/dids/test/old/meta?plugin=JSON', { token: root })).body).toBe('{}');
      const again = await call(t, 'POST', '/dids/resurrect', { token: root, body: [{ scope: 'test', name: 'old' }] });
      expect([again.status, again.headers.exceptionclass]).toEqual([404, 'DataIdentifierNotFound']);

      // core/replica.py __cleanup_after_replica_deletion: the file's content rows go to contents_history,
      // the file DID to deleted_dids (archive_dids).
      t.handle.admin.setRseAttribute('SITE-A', 'tombstone_delay', -1);
      const file = { scope: 'test', name: 'lost', bytes: 5, adler32: '00000005' };
      expect((await call(t, 'POST', '/replicas', { token: root, body: { rse: 'SITE-A', files: [file] } })).status).toBe(201);
      expect((await call(t, 'POST', '/dids/test/old/dids', { token: root, body: { dids: [{ scope: 'test', name: 'lost' }] } })).status).toBe(201);
      t.handle.admin.markReplicasToReap('SITE-A');
      expect(t.handle.admin.removeReapedReplica('test', 'lost', 'SITE-A')).toBe(true);
      expect(lines((await call(t, 'GET', '/dids/test/old/dids/history', { token: root })).body)).toMatchObject([{ name: 'lost', type: 'FILE', bytes: 5 }]);
      expect((await call(t, 'POST', '/dids/resurrect', { token: root, body: [{ scope: 'test', name: 'lost' }] })).status).toBe(201);
      expect(JSON.parse((await call(t, 'GET', '/dids/test/lost', { token: root })).body)).toMatchObject({ type: 'FILE', bytes: 5 });
    } finally {
      await t.close();
    }
  });
});
