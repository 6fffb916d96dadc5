// GET /dids/{scope}/dids/search with Rucio 41's `filters` argument, as the rucio client sends it
// (lib/rucio/client/didclient.py list_dids: str() of a list of dicts), against the semantics of
// flaskapi/v1/dids.py Search.get, core/did_meta_plugins/{__init__,did_column_meta,json_meta,filter_engine}.py
// and the cases of Rucio's tests/test_did.py (test_list_dids, test_list_recursive, test_list_by_length).
// The queries have no ORDER BY: results come in the order SQLite's plan walks the DIDs' primary key (name order).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, TestCatalogue } from './harness.js';
import { call, lines, loginRoot, seedRoot, startTestCatalogue } from './harness.js';

type Py = string | number | boolean | null | Py[] | { [k: string]: Py };

/** Python's repr() of a filter, as str(filters) in the client's urlencode produces it. */
function pyRepr(v: Py): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}

describe('DID search with Rucio 41 filters', () => {
  let t: TestCatalogue;
  let root = '';
  const get = (path: string): Promise<Answer> => call(t, 'GET', path, { token: root });
  const post = (path: string, body: unknown): Promise<Answer> => call(t, 'POST', path, { token: root, body: body as object });
  /** The request the client makes: type, filters, long and recursive as urlencode writes them. */
  const search = (filters: Py | string, opts: { type?: string; long?: boolean; recursive?: boolean; scope?: string; limit?: number } = {}): Promise<Answer> => {
    const q = new URLSearchParams({
      type: opts.type ?? 'collection', filters: typeof filters === 'string' ? filters : pyRepr(filters),
      long: opts.long ? 'True' : 'False', recursive: opts.recursive ? 'True' : 'False',
    });
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    return get(`/dids/${opts.scope ?? 'test'}/dids/search?${q.toString()}`);
  };
  const names = async (filters: Py | string, opts: Parameters<typeof search>[1] = {}): Promise<string[]> => {
    const a = await search(filters, opts);
    expect(a.status, a.body).toBe(200);
    return a.body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as string);
  };
  const file = (name: string, bytes: number): object => ({ scope: 'test', name, bytes, adler32: '0000000f' });

  beforeAll(async () => {
    t = await startTestCatalogue();
    seedRoot(t);
    const admin = t.handle.admin;
    admin.addRse('SITE-A', { deterministic: true, rseType: 'DISK', volatile: false });
    admin.addScope('root', 'test');
    admin.addScope('root', 'other');
    root = await loginRoot(t);
    const files = [file('f1', 100), file('f2', 200), file('f3', 300), file('f_x', 10), file('fAx', 10), file('untrue', 1)];
    expect((await post('/replicas', { rse: 'SITE-A', files })).status).toBe(201);
    const made = await post('/dids', [
      { scope: 'test', name: 'ds1', type: 'DATASET', dids: [{ scope: 'test', name: 'f1' }, { scope: 'test', name: 'f2' }] },
      { scope: 'test', name: 'ds2', type: 'DATASET', dids: [{ scope: 'test', name: 'f3' }] },
      { scope: 'test', name: 'box', type: 'CONTAINER' },
      { scope: 'other', name: 'ods', type: 'DATASET' },
    ]);
    expect(made.status, made.body).toBe(201);
    const attached = await post('/dids/attachments', { attachments: [
      { scope: 'test', name: 'box', dids: [{ scope: 'test', name: 'ds1' }, { scope: 'other', name: 'ods' }] }] });
    expect(attached.status, attached.body).toBe(201);
    // A dataset's stored bytes and length (what the search compares) are set when it is closed (core/did.py set_status).
    for (const ds of ['ds1', 'ds2']) expect((await call(t, 'PUT', `/dids/test/${ds}/status`, { token: root, body: { open: false } })).status).toBe(200);
    expect((await post('/dids/test/ds1/meta/run_number', { value: 7 })).status).toBe(201);
    expect((await post('/dids/test/ds1/meta/project', { value: 'dac21' })).status).toBe(201);
    expect((await post('/dids/test/ds2/meta/project', { value: 'dac21' })).status).toBe(201);
    expect((await post('/dids/test/ds2/meta/site_note', { value: 'cold' })).status).toBe(201);
    expect((await post('/dids/test/ds1/meta/site_note', { value: 'warm' })).status).toBe(201);
    expect((await post('/dids/test/ds1/meta/shelf', { value: 3 })).status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('ANDs the keys of a dict and ORs the dicts of the list, each DID once', async () => {
    // filter_engine.py create_sqla_query: and_() per OR group, or_() over the groups, one query.
    expect(await names([{ name: 'f*', 'bytes.gt': 150 }, { name: 'f1' }], { type: 'file' })).toEqual(['f1', 'f2', 'f3']);
    expect(await names([{ name: 'f*', 'bytes.gte': 200, 'bytes.lt': 300 }], { type: 'file' })).toEqual(['f2']);
    expect(await names([{ name: 'ds1' }, { name: 'ds*' }])).toEqual(['ds1', 'ds2']);
    // A single dict (the client's backwards-compatible form) is one OR group.
    expect(await names({ name: 'ds2' })).toEqual(['ds2']);
  });

  it("matches '*' and '%' as wildcards, '_' literally and case-sensitively; '*' alone filters nothing", async () => {
    // create_sqla_query: LIKE with '*' -> '%' and '_' escaped; value '*' or '%' skips the key.
    expect(await names([{ name: 'f_*' }], { type: 'file' })).toEqual(['f_x']);
    expect(await names([{ name: 'f%x' }], { type: 'file' })).toEqual(['fAx', 'f_x']);
    expect(await names([{ name: 'F*' }], { type: 'file' })).toEqual([]);
    expect(await names([{ name: '*' }], { type: 'all' })).toEqual(['box', 'ds1', 'ds2', 'f1', 'f2', 'f3', 'fAx', 'f_x', 'untrue']);
    expect(await names([{ name: 'f*', 'name.ne': 'f_*' }], { type: 'file' })).toEqual(['f1', 'f2', 'f3', 'fAx']);
  });

  it("takes a 'type' inside a dict over the type argument, per OR group", async () => {
    // did_column_meta.py list_dids: each group is copied once per DIDType its type maps to.
    // Every group pins a name: SQLite probes the primary key group after group (MULTI-INDEX OR).
    expect(await names([{ name: 'f1', type: 'file' }, { name: 'box', type: 'container' }, { name: 'ds1' }], { type: 'dataset' }))
      .toEqual(['f1', 'box', 'ds1']);
    const bad = await search([{ name: '*', type: 'FOLDER' }]);
    expect([bad.status, bad.headers.exceptionclass, JSON.parse(bad.body).ExceptionMessage]).toEqual([409, 'UnsupportedOperation',
      "folder is not a valid type. Valid types are dict_keys(['all', 'collection', 'container', 'dataset', 'file'])"]);
  });

  it('compares with operator suffixes; .ne includes DIDs where the column is NULL', async () => {
    // tests/test_did.py test_list_by_length; test_filter_engine.py: 'run_number!=1' counts NULL.
    expect(await names([{ 'length.gt': 1 }], { type: 'dataset' })).toEqual(['ds1']);
    expect(await names([{ 'length.gt': -1, 'length.lt': 1 }], { type: 'dataset' })).toEqual([]);
    expect(await names([{ length: '1' }])).toEqual(['ds2']);
    expect(await names([{ run_number: 7 }])).toEqual(['ds1']);
    expect(await names([{ 'run_number.ne': 7 }])).toEqual(['box', 'ds2']);
    expect(await names([{ project: 'dac21', 'run_number.lte': '7' }])).toEqual(['ds1']);
  });

  it('filters on creation time by created_after/created_before in the formats Rucio parses', async () => {
    // _make_input_backwards_compatible and VALID_DATE_FORMATS (the client sends RFC 1123 'UTC' dates).
    expect(await names([{ name: 'ds*', created_after: 'Wed, 25 Nov 2026 00:00:00 UTC' }])).toEqual(['ds1', 'ds2']);
    expect(await names([{ name: 'ds*', created_after: '2026-11-25T00:05:00' }])).toEqual([]);
    expect(await names([{ name: 'ds*', created_before: '2026-11-25 00:04:20' }])).toEqual(['ds1', 'ds2']);
    expect(await names([{ name: 'ds*', 'created_at.lt': '2026-11-25T00:04:19.500000Z' }])).toEqual([]);
  });

  it('walks collections first when recursive, keeping the type filter', async () => {
    // test_list_recursive / test_list_dids_recursive_preserves_type_filter: contents (any scope) come before the match.
    expect(await names([{ name: 'box' }], { type: 'all', recursive: true })).toEqual(['f1', 'f2', 'ds1', 'ods', 'box']);
    expect(await names([{ name: 'box' }], { type: 'container', recursive: true })).toEqual(['box']);
    expect(await names([{ name: 'ds1', type: 'all' }], { recursive: true })).toEqual(['f1', 'f2', 'ds1']);
  });

  it('answers long records and honours the limit', async () => {
    const long = await search([{ name: 'ds*' }], { long: true, limit: 1 });
    expect(lines(long.body)).toEqual([{ scope: 'test', name: 'ds1', did_type: 'DATASET', bytes: 300, length: 2 }]);
  });

  it('sends keys outside the DIDs table to the JSON plugin, which knows no type, bytes or length', async () => {
    // __init__.py list_dids picks the plugin managing the keys; json_meta.py list_dids yields None for them.
    expect(await names([{ site_note: 'cold' }])).toEqual(['ds2']);
    expect(await names([{ site_note: 'c*' }, { shelf: 3 }])).toEqual(['ds1', 'ds2']);
    expect(await names([{ 'shelf.gt': 2.5 }])).toEqual(['ds1']);
    expect(lines((await search([{ site_note: 'warm' }], { long: true })).body)).toEqual([
      { scope: 'test', name: 'ds1', did_type: null, bytes: null, length: null }]);
    const mixed = await search([{ site_note: 'cold', project: 'dac21' }]);
    expect([mixed.status, mixed.headers.exceptionclass, mixed.headers.exceptionmessage]).toEqual([500, 'InvalidMetadata',
      'Filter keys used do not all belong to the same metadata plugin.']);
    const inconsistent = await search([{ 'site_note.gt': 1 }]);
    expect([inconsistent.status, inconsistent.headers.exceptionclass]).toEqual([500, 'InvalidMetadata']);
  });

  it("typecasts string values as Rucio does, 'true' inside a name included", async () => {
    // _try_typecast_string replaces 'true' with 'True' in any string value before it matches.
    expect(await names([{ name: 'untrue' }], { type: 'file' })).toEqual([]);
    expect(await names([{ name: 'unTrue' }], { type: 'file' })).toEqual([]);
    expect(await names([{ name: 'un*ue' }], { type: 'file' })).toEqual(['untrue']);
  });

  it('answers malformed filters with the errors Rucio gives', async () => {
    // ast.literal_eval failing in Search.get is no Rucio exception: Flask answers 500 with str(error).
    const syntax = await search("[{'name': 'f*'");
    expect([syntax.status, syntax.headers['content-type'], syntax.body]).toEqual([500, 'text/html; charset=utf-8', "'{' was never closed (<unknown>, line 1)"]);
    const name = await search('[{name: 1}]');
    expect([name.status, name.body]).toEqual([500, 'malformed node or string on line 1: <ast.Name object>']);
    const notDicts = await search('[1]');
    expect([notDicts.status, notDicts.body]).toEqual([500, "argument of type 'int' is not iterable"]);
    // A key with two suffixes: DIDFilterSyntaxError() without a message (400, 'None').
    const twoDots = await search([{ 'length.gt.x': 1 }]);
    expect([twoDots.status, twoDots.headers.exceptionclass, twoDots.headers.exceptionmessage]).toEqual([400, 'DIDFilterSyntaxError', 'None']);
    const wildcard = await search([{ 'name.gt': 'f*' }]);
    expect([wildcard.status, wildcard.headers.exceptionmessage]).toEqual([400, 'Wildcards can only be used with equality operators']);
    // 'lifetime' belongs to the DID-column plugin but is no column: strict coercion fails (KeyNotFound, 404).
    const lifetime = await search([{ lifetime: 10 }]);
    expect([lifetime.status, lifetime.headers.exceptionclass, lifetime.headers.exceptionmessage]).toEqual([404, 'KeyNotFound',
      "'lifetime' keyword could not be coerced to model class attribute. Attribute not found."]);
    // A quoted key is literal_eval'd to the same key: DuplicateCriteriaInDIDFilter() fails in its own constructor.
    const duplicate = await search([{ shelf: 3, "'shelf'": 4 }]);
    expect([duplicate.status, duplicate.body]).toEqual([500, 'tuple index out of range']);
    const unknownOp = await search([{ 'bytes.over': 1 }], { type: 'file' });
    expect([unknownOp.status, unknownOp.body]).toEqual([500, "'NoneType' object is not callable"]);
    // PostgreSQL refuses to compare a number column with text.
    const typed = await search([{ bytes: 'big' }], { type: 'file' });
    expect([typed.status, typed.headers.exceptionclass, typed.headers.exceptionmessage]).toEqual([500, 'DatabaseException',
      'An unknown Database Exception has occurred.']);
    // A name of digits is typecast to an int, which a text column will not compare with.
    const digits = await search([{ name: '2024' }]);
    expect([digits.status, digits.headers.exceptionclass]).toEqual([500, 'DatabaseException']);
  });

  it('still takes filters as plain request arguments when no filters argument is given', async () => {
    expect((await get('/dids/test/dids/search?type=file&name=f*&bytes.lte=100')).body).toBe('"f1"\n"fAx"\n"f_x"\n');
  });
});
