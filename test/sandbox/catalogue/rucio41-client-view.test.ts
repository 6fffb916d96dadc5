// What a client meets at a real Rucio 41.0.0 where the sandbox used to answer otherwise: refused replica
// deletion, dataset replicas per RSE, one protocol per RSE in listings, metadata refusals, search order,
// request rows as stored, token validation failures and 405s with Allow. Each case names the Rucio source
// it follows (lib/rucio/web/rest/flaskapi/v1/*.py, lib/rucio/gateway/*.py, lib/rucio/core/*.py).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, TestCatalogue } from './harness.js';
import { call, lines, loginRoot, seedRoot, startTestCatalogue } from './harness.js';

const domains = (read: number): Record<string, unknown> => ({
  lan: { read, write: 1, delete: 1 }, wan: { read, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 },
});
const proto = (scheme: string, hostname: string, port: number, prefix: string, read: number): Record<string, unknown> => ({
  scheme, hostname, port, prefix, impl: 'rucio.rse.protocols.gfal.Default', domains: domains(read),
});
/** The 'hash' lfn2pfn path, recomputed here: scope/md5[0:2]/md5[2:4]/name. */
const hashPath = (scope: string, name: string): string => {
  const h = createHash('md5').update(`${scope}:${name}`).digest('hex');
  return `${scope}/${h.slice(0, 2)}/${h.slice(2, 4)}/${name}`;
};

describe('the catalogue as a Rucio 41 client sees it', () => {
  let t: TestCatalogue;
  let root = '';
  let dave = '';
  const get = (path: string, token = root): Promise<Answer> => call(t, 'GET', path, { token });
  const post = (path: string, body: unknown, token = root, headers: Record<string, string> = {}): Promise<Answer> =>
    call(t, 'POST', path, { token, body: body as object, headers });
  const refusal = (a: Answer): [number, unknown, unknown] => [a.status, a.headers.exceptionclass, JSON.parse(a.body).ExceptionMessage];

  beforeAll(async () => {
    t = await startTestCatalogue();
    seedRoot(t);
    const admin = t.handle.admin;
    admin.addAccount('dave', 'USER');
    admin.addIdentity({ kind: 'USERPASS', identity: 'dave', account: 'dave', password: 'dave-pw' });
    admin.addRse('SITE-A', { deterministic: true, rseType: 'DISK', volatile: false });
    admin.addProtocol('SITE-A', proto('davs', 'a.test', 8443, '/a', 1));
    admin.addProtocol('SITE-A', proto('root', 'a.test', 1094, '/a', 2));
    admin.addProtocol('SITE-A', proto('https', 'a.test', 8444, '/a', 3));
    admin.addRse('SITE-M', { deterministic: true, rseType: 'DISK', volatile: false });
    admin.addProtocol('SITE-M', proto('mock', 'm.test', 0, '/m', 1));
    admin.addProtocol('SITE-M', proto('https', 'm.test', 443, '/m', 2));
    for (const rse of ['SITE-A', 'SITE-M']) admin.setAccountLimit('root', rse, -1);
    admin.addScope('root', 'test');
    admin.addScope('dave', 'user.dave');
    root = await loginRoot(t);
    dave = String((await call(t, 'GET', '/auth/userpass', { headers: { 'X-Rucio-Username': 'dave', 'X-Rucio-Password': 'dave-pw' } }))
      .headers['x-rucio-auth-token']);
    const files = (names: [string, number][]): object[] => names.map(([name, bytes]) => ({ scope: 'test', name, bytes, adler32: '0000000f' }));
    expect((await post('/replicas', { rse: 'SITE-A', files: files([['f1', 100], ['f2', 200]]) })).status).toBe(201);
    expect((await post('/replicas', { rse: 'SITE-M', files: files([['f1', 100]]) })).status).toBe(201);
    const made = await post('/dids', [
      { scope: 'test', name: 'ds1', type: 'DATASET', dids: [{ scope: 'test', name: 'f1' }, { scope: 'test', name: 'f2' }] },
      { scope: 'test', name: 'zeta', type: 'DATASET' }, { scope: 'test', name: 'alpha', type: 'DATASET' }, { scope: 'test', name: 'mid', type: 'DATASET' },
    ]);
    expect(made.status, made.body).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses DELETE /replicas to every account, root included: 401 AccessDenied, the replica stays', async () => {
    // gateway/replica.py delete_replicas asks perm_delete_replicas, which core/permission/generic.py answers False.
    for (const [account, token] of [['root', root], ['dave', dave]]) {
      const a = await call(t, 'DELETE', '/replicas', { token, body: { rse: 'SITE-A', files: [{ scope: 'test', name: 'f1' }] } });
      expect(refusal(a)).toEqual([401, 'AccessDenied', `Account ${account} can not delete file replicas on SITE-A. `]);
    }
    // The RSE is looked up first (flaskapi/v1/replicas.py Replicas.delete maps RSENotFound to 404).
    const unknown = await call(t, 'DELETE', '/replicas', { token: root, body: { rse: 'NOWHERE', files: [{ scope: 'test', name: 'f1' }] } });
    expect(refusal(unknown)).toEqual([404, 'RSENotFound', "RSE 'NOWHERE' cannot be found in vo 'def'"]);
    expect(t.handle.admin.getReplicaState('test', 'f1', 'SITE-A')).toBe('AVAILABLE');
  });

  it('lists the dataset replicas of an RSE at GET /replicas/rse/<rse> as NDJSON', async () => {
    // flaskapi/v1/replicas.py ReplicasRSE.get -> core/replica.py list_datasets_per_rse (its select's key order).
    const keys = ['scope', 'name', 'rse_id', 'rse', 'bytes', 'length', 'available_bytes', 'available_length', 'state', 'created_at', 'updated_at', 'accessed_at'];
    const a = await get('/replicas/rse/SITE-A');
    expect([a.status, a.headers['content-type']]).toEqual([200, 'application/x-json-stream']);
    const [onA, ...moreA] = lines(a.body);
    expect(moreA).toEqual([]);
    expect(Object.keys(onA ?? {})).toEqual(keys);
    expect(onA).toMatchObject({ scope: 'test', name: 'ds1', rse: 'SITE-A', bytes: 300, length: 2, available_bytes: 300, available_length: 2, state: 'AVAILABLE' });
    expect(lines((await get('/replicas/rse/SITE-M')).body)).toEqual([expect.objectContaining({
      name: 'ds1', rse: 'SITE-M', bytes: 300, length: 2, available_bytes: 100, available_length: 1, state: 'UNAVAILABLE' })]);
    // get_rse_id raises inside the stream try_stream peeks at, outside any handler of the view: 500.
    expect(refusal(await get('/replicas/rse/NOWHERE'))).toEqual([500, 'RSENotFound', "RSE 'NOWHERE' cannot be found in vo 'def'"]);
  });

  it('lists the top-priority read protocol per RSE when no schemes are asked for, each asked scheme otherwise', async () => {
    // core/replica.py _get_list_replicas_protocols (rsemanager.select_protocol) and _list_replicas' (domain, priority, pfn) order.
    const path = hashPath('test', 'f1');
    const list = async (body: object): Promise<Record<string, unknown>> => {
      const a = await post('/replicas/list', { dids: [{ scope: 'test', name: 'f1' }], ...body });
      expect(a.status, a.body).toBe(200);
      return lines(a.body)[0] as Record<string, unknown>;
    };
    const plain = await list({});
    const davs = `davs://a.test:8443/a/${path}`;
    const mock = `mock://m.test/m/${path}`;
    expect(Object.entries(plain.pfns as object).map(([pfn, p]) => [pfn, (p as { priority: number }).priority])).toEqual([[davs, 1], [mock, 2]]);
    expect(plain.rses).toEqual({ 'SITE-A': [davs], 'SITE-M': [mock] });
    const asked = await list({ schemes: ['root', 'davs'] });
    const rootPfn = `root://a.test:1094/a/${path}`;
    expect(Object.keys(asked.pfns as object)).toEqual([davs, rootPfn]);
    expect(asked.states).toEqual({ 'SITE-A': 'AVAILABLE', 'SITE-M': 'AVAILABLE' });
  });

  it('leaves mock out of a metalink answer: no schemes means SUPPORTED_PROTOCOLS there', async () => {
    // flaskapi/v1/replicas.py ListReplicas.post: `if metalink and schemes is None: schemes = SUPPORTED_PROTOCOLS`.
    const path = hashPath('test', 'f1');
    const a = await post('/replicas/list', { dids: [{ scope: 'test', name: 'f1' }] }, root, { Accept: 'application/metalink4+xml' });
    expect(a.status).toBe(200);
    const urls = [...a.body.matchAll(/<url location="([^"]+)" domain="wan" priority="(\d)" client_extract="false">([^<]+)<\/url>/g)]
      .map((m) => [m[1], Number(m[2]), m[3]]);
    expect(urls).toEqual([
      ['SITE-A', 1, `davs://a.test:8443/a/${path}`], ['SITE-M', 2, `https://m.test:443/m/${path}`],
      ['SITE-A', 3, `root://a.test:1094/a/${path}`], ['SITE-A', 4, `https://a.test:8444/a/${path}`],
    ]);
  });

  it('refuses metadata to a plain account outside its scope with 500 AccessDenied, before looking the DID up', async () => {
    // gateway/did.py set_metadata(_bulk): RESERVED_KEYS, then perm_set_metadata (generic.py: root, admin, scope owner);
    // flaskapi/v1/dids.py Meta.post catches neither AccessDenied.
    const denied = 'Account dave can not add metadata to data identifier test:ds1. ';
    expect(refusal(await post('/dids/test/ds1/meta/project', { value: 'dac21' }, dave))).toEqual([500, 'AccessDenied', denied]);
    expect(refusal(await post('/dids/test/ds1/meta', { meta: { project: 'dac21' } }, dave))).toEqual([500, 'AccessDenied', denied]);
    expect(refusal(await post('/dids/test/nosuch/meta/project', { value: 'x' }, dave)))
      .toEqual([500, 'AccessDenied', 'Account dave can not add metadata to data identifier test:nosuch. ']);
    expect(refusal(await post('/dids/test/ds1/meta/bytes', { value: 5 })))
      .toEqual([500, 'AccessDenied', 'Account root can not change this metadata value to data identifier test:ds1']);
    expect(refusal(await post('/dids/test/ds1/meta', { meta: { project: 'x', length: 3 } })))
      .toEqual([500, 'AccessDenied', 'Account root can not change the value of the metadata key length to data identifier test:ds1']);
    expect(refusal(await post('/dids/test/nosuch/meta/project', { value: 'x' }))).toEqual([404, 'DataIdentifierNotFound', "Data identifier 'test:nosuch' not found"]);
    expect((await post('/dids/user.dave/mine', { type: 'DATASET' }, dave)).status).toBe(201);
    expect((await post('/dids/user.dave/mine/meta/project', { value: 'dac21' }, dave)).status).toBe(201);
  });

  it('answers a search in name order, not in the order the DIDs were made', async () => {
    // did_column_meta.py list_dids has no ORDER BY; `scope = ...` walks the DIDs' primary key (scope, name).
    const a = await get('/dids/test/dids/search?type=dataset');
    expect(a.body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as string)).toEqual(['alpha', 'ds1', 'mid', 'zeta']);
  });

  it('gives request rows from the list and history views with attributes as stored (a JSON string), history without priority', async () => {
    // core/request.py: get_request_by_did parses attributes; list_requests yields the rows as stored;
    // archive_request writes json.dumps(attributes) into RequestHistory and copies no priority.
    const rule = await post('/rules/', { dids: [{ scope: 'test', name: 'f2' }], copies: 1, rse_expression: 'SITE-M', account: 'root' });
    expect(rule.status, rule.body).toBe(201);
    const queued = t.handle.admin.listRequests('QUEUED').find((r) => r.name === 'f2');
    expect(queued).toBeDefined();
    const id = queued?.id as string;
    t.handle.admin.markRequestSubmitted(id, { sourceRse: 'SITE-A', transfertool: 'sandbox' });
    const one = JSON.parse((await get('/requests/test/f2/SITE-M')).body) as Record<string, unknown>;
    expect(one).toMatchObject({ priority: 3, attributes: { activity: 'User Subscriptions', priority: 3 } });
    const [listed] = lines((await get('/requests/list?src_rse=SITE-A&dst_rse=SITE-M&request_states=S')).body);
    expect(listed?.priority).toBe(3);
    expect(listed?.attributes).toMatch(/^\{"activity": "User Subscriptions", "source_replica_expression": null, /);
    expect(JSON.parse(listed?.attributes as string)).toEqual(one.attributes);
    t.handle.admin.completeRequest(id, { ok: true, sourceRse: 'SITE-A' });
    const history = JSON.parse((await get('/requests/history/test/f2/SITE-M')).body) as Record<string, unknown>;
    const [historyListed] = lines((await get('/requests/history/list?src_rse=SITE-A&dst_rse=SITE-M&request_states=D')).body);
    for (const row of [history, historyListed]) {
      expect(row).toMatchObject({ id, state: 'DONE', priority: null, attributes: listed?.attributes });
    }
  });

  it('answers a token that does not validate with 500 CannotAuthenticate, no token with 400', async () => {
    // flaskapi/v1/auth.py Validate.get -> core/authentication.py validate_auth_token raises CannotAuthenticate(format_exc()),
    // which only ErrorHandlingMethodView catches (500); a token that is not a JWT carries 'NoneType: None'.
    const validate = (token?: string): Promise<Answer> => call(t, 'GET', '/auth/validate', { headers: token ? { 'X-Rucio-Auth-Token': token } : {} });
    const garbage = await validate('not-a-token');
    expect([garbage.status, garbage.headers.exceptionclass, garbage.body])
      .toEqual([500, 'CannotAuthenticate', '{"ExceptionClass": "CannotAuthenticate", "ExceptionMessage": "NoneType: None\\n"}']);
    const jwt = await validate('aaa.bbb.ccc');
    expect([jwt.status, jwt.headers.exceptionclass]).toEqual([500, 'CannotAuthenticate']);
    expect(JSON.parse(jwt.body).ExceptionMessage).toMatch(/^Traceback \(most recent call last\):\n[\s\S]*CannotAuthenticate: Cannot authenticate\.\n/);
    expect(refusal(await validate())).toEqual([400, 'ValueError', 'Token must be set.']);
    expect((await validate(root)).status).toBe(200);
  });

  it('answers a wrong method with 405 and Allow listing the URL\'s methods (werkzeug MethodNotAllowed)', async () => {
    // Flask adds OPTIONS to every rule, werkzeug HEAD to GET rules; MethodNotAllowed joins them in Allow (a set: any order).
    const allow = async (method: string, path: string): Promise<string[]> => {
      const a = await call(t, method, path, { token: root });
      expect(a.status).toBe(405);
      return String(a.headers.allow).split(', ').sort();
    };
    expect(await allow('GET', '/replicas')).toEqual(['DELETE', 'OPTIONS', 'POST', 'PUT']);
    expect(await allow('PUT', '/replicas/list')).toEqual(['OPTIONS', 'POST']);
    expect(await allow('POST', '/auth/validate')).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(await allow('DELETE', '/ping')).toEqual(['GET', 'HEAD', 'OPTIONS']);
    const head = await call(t, 'HEAD', '/ping');
    expect([head.status, head.body]).toEqual([200, '']);
  });
});
