// Replays part 1 of the recorded Rucio 41.0.0 session against the sandbox
// catalogue and compares each answer with the recorded one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, Recorded, TestCatalogue } from './harness.js';
import {
  expectRecordedError, expectSameObject, lines, loadTranscript, recordedHeader, replay, seedRoot, startTestCatalogue,
} from './harness.js';

const transcript = loadTranscript();
const recorded = (title: string): Recorded => {
  const r = transcript.get(title);
  if (!r) throw new Error(`no transcript section '${title}'`);
  return r;
};

const IDS = ['id', 'rse_id', 'rule_id', 'dest_rse_id'];
const VOLATILE = [...IDS, 'created_at', 'updated_at'];

describe('the catalogue replaying part 1 of the Rucio 41.0.0 transcript', () => {
  let t: TestCatalogue;
  let token = '';
  const ruleIds = new Map<string, string>();
  const send = (title: string): Promise<Answer> => replay(t, recorded(title), token, ruleIds);
  const expectCreated = (a: Answer): void => {
    expect(a.status).toBe(201);
    expect(a.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(a.body).toBe('Created');
  };
  const expectExactBody = (a: Answer, r: Recorded): void => {
    expect(a.status).toBe(r.status);
    expect(a.headers['content-type']).toBe(recordedHeader(r, 'Content-Type'));
    expect(a.body.replace(/\n$/, '')).toBe(r.body);
    const length = recordedHeader(r, 'Content-Length');
    if (length) expect(a.headers['content-length']).toBe(length);
  };

  beforeAll(async () => {
    t = await startTestCatalogue();
    seedRoot(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers ping without a token, byte for byte', async () => {
    expectExactBody(await send('Ping (no auth)'), recorded('Ping (no auth)'));
  });

  it('issues a one-hour token for a username and password', async () => {
    const a = await send('Userpass auth');
    expect(a.status).toBe(200);
    expect(a.headers['x-rucio-auth-account']).toBe('root');
    token = String(a.headers['x-rucio-auth-token']);
    expect(token).toMatch(/^root-ddmlab-unknown-[0-9a-f]{32}$/);
    expect(a.headers['x-rucio-auth-token-expires']).toBe('Wed, 25 Nov 2026 01:04:20 UTC');
    expect(a.headers['access-control-expose-headers']).toBe(recordedHeader(recorded('Userpass auth'), 'Access-Control-Expose-Headers'));
  });

  it('validates the token with a Python repr body', async () => {
    const a = await send('Validate token');
    expect(a.status).toBe(200);
    expect(a.body).toBe(
      "{'account': 'root', 'identity': 'ddmlab', 'lifetime': datetime.datetime(2026, 11, 25, 1, 4, 20), 'audience': None, 'authz_scope': None, 'vo': 'def'}",
    );
  });

  it('redirects whoami to the relative account URL', async () => {
    const a = await send('whoami (redirects)');
    expectExactBody(a, recorded('whoami (redirects)'));
    expect(a.headers.location).toBe('root');
  });

  it('describes the account with ISO dates in Rucio key order', async () => {
    const a = await replay(t, { ...recorded('whoami (redirects)'), request: 'GET /accounts/root\nX-Rucio-Auth-Token: <token>' }, token);
    const r = recorded('whoami followed (-L)');
    const body = r.body.slice(r.body.lastIndexOf('\n') + 1);
    expectSameObject(JSON.parse(a.body), JSON.parse(body), ['created_at', 'updated_at']);
    expect(JSON.parse(a.body).created_at).toBe('2026-11-25T00:04:20');
  });

  it('creates RSEs, protocols and attributes with 201 Created', async () => {
    for (const title of ['Add RSE MOCK-A', 'Add RSE MOCK-B', 'Add protocol https to MOCK-A', 'Add protocol https to MOCK-B',
      'Set attribute QOS=FAST on MOCK-A', 'Set attribute QOS=SLOW on MOCK-B']) {
      expectCreated(await send(title));
    }
  });

  it('lists protocols and attributes as Flask JSON, byte for byte', async () => {
    expectExactBody(await send('Get protocols of MOCK-A'), recorded('Get protocols of MOCK-A'));
    expectExactBody(await send('List attributes of MOCK-A'), recorded('List attributes of MOCK-A'));
  });

  it('returns the RSE settings object in Rucio key order', async () => {
    const a = await send('Get RSE MOCK-A');
    expect(a.status).toBe(200);
    expectSameObject(JSON.parse(a.body), JSON.parse(recorded('Get RSE MOCK-A').body), IDS);
    expect(a.headers['content-length']).toBe(recordedHeader(recorded('Get RSE MOCK-A'), 'Content-Length'));
  });

  it('resolves QOS=FAST to MOCK-A as a json-stream', async () => {
    expectExactBody(await send('List RSEs with expression QOS=FAST'), recorded('List RSEs with expression QOS=FAST'));
  });

  it('lists all RSEs as full rows', async () => {
    const a = await send('List all RSEs');
    expect(a.headers['content-type']).toBe('application/x-json-stream');
    const got = lines(a.body);
    const want = lines(recorded('List all RSEs').body);
    expect(got).toHaveLength(2);
    got.forEach((row, i) => expectSameObject(row, want[i], VOLATILE));
    expect(got[0]?.created_at).toBe('Wed, 25 Nov 2026 00:04:20 UTC');
  });

  it('adds and lists the scope', async () => {
    expectCreated(await send('Add scope test'));
    expectExactBody(await send('List scopes'), recorded('List scopes'));
  });

  it('creates a dataset and describes it byte for byte', async () => {
    expectCreated(await send('Add dataset test:dataset1'));
    expectExactBody(await send('Get DID test:dataset1'), recorded('Get DID test:dataset1'));
  });

  it('registers replicas, attaches them and lists the content byte for byte', async () => {
    expectCreated(await send('Add file replicas on MOCK-A'));
    expectCreated(await send('Attach files to dataset'));
    expectExactBody(await send('List dataset content'), recorded('List dataset content'));
  });

  it('lists replicas of the dataset with the hash-algorithm PFNs', async () => {
    const a = await send('List replicas (json-stream)');
    expect(a.headers['content-type']).toBe('application/x-json-stream');
    const got = lines(a.body);
    lines(recorded('List replicas (json-stream)').body).forEach((want, i) => expectSameObject(got[i], want, IDS));
    expect(got[0]?.rses).toEqual({ 'MOCK-A': ['https://localhost:8443/data/test/80/25/file1'] });
    expect(got).toHaveLength(2);
  });

  it('answers the metalink form byte for byte', async () => {
    expectExactBody(await send('List replicas (metalink)'), recorded('List replicas (metalink)'));
  });

  it('returns the file metadata columns in Rucio key order', async () => {
    const a = await send('Get file DID with metadata');
    expectSameObject(JSON.parse(a.body), JSON.parse(recorded('Get file DID with metadata').body), VOLATILE);
  });

  it('refuses a rule on an RSE without account limit', async () => {
    expectRecordedError(await send('ERROR: rule without account limit (quota) on target RSE'),
      recorded('ERROR: rule without account limit (quota) on target RSE'));
  });

  it('accepts a rule whose replicas exist and reports it OK', async () => {
    expectCreated(await send('Set account limit root@MOCK-A'));
    expectCreated(await send('Set account limit root@MOCK-B'));
    const add = await send('Add rule dataset -> QOS=FAST (replicas already there)');
    expect(add.status).toBe(201);
    expect(add.body).toMatch(/^\["[0-9a-f]{32}"\]$/);
    ruleIds.set('78cb6a82de024a9787b8b56c550a9e58', (JSON.parse(add.body) as string[])[0] as string);
    const a = await send('Get rule 1');
    expectSameObject(JSON.parse(a.body), JSON.parse(recorded('Get rule 1').body), VOLATILE);
    expect(JSON.parse(a.body)).toMatchObject({ state: 'OK', locks_ok_cnt: 2 });
  });

  it('makes a rule REPLICATING with one queued request per missing file', async () => {
    const add = await send('Add rule dataset -> MOCK-B (needs transfer)');
    expect(add.status).toBe(201);
    ruleIds.set('8286348399df4fe88239c3fe85d2ad5e', (JSON.parse(add.body) as string[])[0] as string);
    const rule = await send('Get rule 2');
    expectSameObject(JSON.parse(rule.body), JSON.parse(recorded('Get rule 2').body), VOLATILE);
    expect(JSON.parse(rule.body)).toMatchObject({ state: 'REPLICATING', locks_replicating_cnt: 2 });

    const locks = lines((await send('Locks of rule 2')).body);
    lines(recorded('Locks of rule 2').body).forEach((want, i) => expectSameObject(locks[i], want, IDS));

    const request = await send('Transfer request queued for test:file1 -> MOCK-B');
    expectSameObject(JSON.parse(request.body), JSON.parse(recorded('Transfer request queued for test:file1 -> MOCK-B').body),
      [...VOLATILE, 'rule_id']);
    expect(JSON.parse(request.body)).toMatchObject({ state: 'QUEUED', dest_rse: 'MOCK-B', rule_id: ruleIds.get('8286348399df4fe88239c3fe85d2ad5e') });
  });

  it('lists both rules of the dataset with their bytes field', async () => {
    const got = lines((await send('List rules of dataset')).body);
    const want = lines(recorded('List rules of dataset').body);
    expect(got).toHaveLength(2);
    got.forEach((row, i) => expectSameObject(row, want[i], VOLATILE));
  });
});
