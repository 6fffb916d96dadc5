// The recorded error answers ('Error responses', part 3) and the part 2 rule
// and DID lifetimes, replayed against the sandbox catalogue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, Recorded, TestCatalogue } from './harness.js';
import {
  PART1_SETUP, call, expectRecordedError, expectSameObject, lines, loadTranscript, loginRoot, replay, replayAll, seedRoot,
  startTestCatalogue,
} from './harness.js';

const transcript = loadTranscript();
const recorded = (title: string): Recorded => {
  const r = transcript.get(title);
  if (!r) throw new Error(`no transcript section '${title}'`);
  return r;
};

const RECORDED_ERRORS = [
  'ERROR: unknown DID',
  'ERROR: invalid RSE expression (syntax)',
  'ERROR: RSE expression matching nothing',
  'ERROR: rule with unresolvable RSE expression',
  'ERROR: unknown RSE',
  'ERROR: duplicate RSE',
  'ERROR: duplicate scope',
  'ERROR: duplicate DID',
  'ERROR: unknown rule id',
  'ERROR: bad credentials',
  'ERROR: missing token',
  'ERROR: invalid adler32 (JSON-schema validation) -> 500 InvalidObject',
  'ERROR: invalid scope name',
  'ERROR: unknown scope',
  'ERROR: rule on unknown DID',
  'ERROR: add protocol twice',
];

describe('the catalogue answering the recorded error cases', () => {
  let t: TestCatalogue;
  let token = '';
  const ids = new Map<string, string>();
  const send = (title: string, withToken = token): Promise<Answer> => replay(t, recorded(title), withToken, ids);

  beforeAll(async () => {
    t = await startTestCatalogue();
    seedRoot(t);
    token = await loginRoot(t);
    await replayAll(t, transcript, PART1_SETUP, token, ids);
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(RECORDED_ERRORS)('answers "%s" as Rucio 41.0.0 did', async (title) => {
    expectRecordedError(await send(title), recorded(title));
  });

  it('rejects an unknown token with 401 CannotAuthenticate', async () => {
    expectRecordedError(await send('ERROR: bad token', 'root-ddmlab-unknown-00000000000000000000000000000000'),
      recorded('ERROR: bad token'));
  });

  it('accepts the same replica twice, and a replica over a COPYING one, with 201', async () => {
    for (const title of ['Duplicate replica (same file re-added on same RSE: NOT an error, idempotent)',
      'Replica re-registered on MOCK-B (where a COPYING replica exists) with different size: also 201']) {
      const a = await send(title);
      expect(a.status).toBe(201);
      expect(a.body).toBe('Created');
    }
    expect(t.handle.admin.getReplicaState('test', 'file1', 'MOCK-B')).toBe('COPYING');
  });

  it('lists an unknown DID as an empty json-stream', async () => {
    const a = await send('list replicas of unknown DID (NOT an error: 200, empty stream)');
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('application/x-json-stream');
    expect(a.body).toBe('');
  });
});

describe('the catalogue replaying part 2: transfers, soft delete and lifetimes', () => {
  let t: TestCatalogue;
  let token = '';
  const ids = new Map<string, string>();
  const send = (title: string): Promise<Answer> => replay(t, recorded(title), token, ids);
  const RULE3 = 'e3ac1c9cc27648df84173433d0b2ceed';

  beforeAll(async () => {
    t = await startTestCatalogue();
    seedRoot(t);
    token = await loginRoot(t);
    await replayAll(t, transcript, [
      ...PART1_SETUP, 'Add RSE MOCK-C', 'Add mock protocol to MOCK-C', 'Account limit root@MOCK-C', 'Add RSE MOCK-D',
      'Add mock protocol to MOCK-D', 'Account limit root@MOCK-D', 'Replica test:f3 on MOCK-C', 'Dataset test:ds2', 'Attach f3',
      'Distance MOCK-C -> MOCK-D', 'Rule test:ds2 -> MOCK-D',
    ], token, ids);
  });

  it('records the distance MOCK-C -> MOCK-D as Rucio did (201 Created) and lists it back', async () => {
    // flaskapi/v1/rses.py Distance.post/get.
    const [distance] = JSON.parse((await call(t, 'GET', '/rses/MOCK-C/distances/MOCK-D', { token })).body) as Record<string, unknown>[];
    expect(distance).toMatchObject({ distance: 1, ranking: 1, src_rse: 'MOCK-C', dest_rse: 'MOCK-D' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('completes the queued copy through the admin interface and the rule turns OK', async () => {
    const queued = t.handle.admin.listRequests('QUEUED').filter((q) => q.ruleId === ids.get(RULE3));
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ scope: 'test', name: 'f3', destRse: 'MOCK-D', destPfns: ['mock://localhost:0/mock/test/b4/74/f3'] });
    expect(queued[0]?.sources).toEqual([{ rse: 'MOCK-C', pfns: ['mock://localhost:0/mock/test/b4/74/f3'] }]);
    t.handle.admin.completeRequest(queued[0]?.id as string, { ok: true, sourceRse: 'MOCK-C' });

    const rule = await send('Get rule 3 after conveyor cycle');
    expectSameObject(JSON.parse(rule.body), JSON.parse(recorded('Get rule 3 after conveyor cycle').body), ['id', 'created_at', 'updated_at']);
    const replicas = lines((await send('Replicas of test:f3 after transfer')).body);
    expectSameObject(replicas[0], lines(recorded('Replicas of test:f3 after transfer').body)[0], ['rse_id']);
  });

  it('refuses to delete a rule without a JSON body', async () => {
    expectRecordedError(await send('ERROR: delete rule 3 without a JSON body'), recorded('ERROR: delete rule 3 without a JSON body'));
  });

  it('soft-deletes a rule: it stays, expiring within the hour', async () => {
    const a = await send('Delete rule 3 (JSON body {}) = soft delete');
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(a.body).toBe('');
    const rule = JSON.parse((await call(t, 'GET', `/rules/${ids.get(RULE3)}`, { token })).body);
    expect(rule).toMatchObject({ state: 'OK', expires_at: 'Wed, 25 Nov 2026 01:04:20 UTC' });
  });

  it('removes rules whose lifetime ran out when expire() runs, leaving tombstoned replicas', async () => {
    for (const title of ['Shorten rule 3 lifetime to 1s', 'Shorten rule 1 (QOS=FAST on MOCK-A) lifetime to 1s']) {
      const a = await send(title);
      expect(a.status).toBe(200);
    }
    expect(t.handle.admin.expire(new Date(t.clock.now.getTime() + 500)).rules).toEqual([]);
    t.clock.now = new Date(t.clock.now.getTime() + 2000);
    const result = t.handle.admin.expire();
    expect(result.rules.sort()).toEqual([ids.get(RULE3), ids.get('78cb6a82de024a9787b8b56c550a9e58')].sort());

    const gone = recorded('Get rule 3 after judge-cleaner');
    const answer = await send('Get rule 3 after judge-cleaner');
    expectRecordedError(answer, { ...gone, body: gone.body.replaceAll(RULE3, ids.get(RULE3) as string), headers: gone.headers.map(
      ([k, v]) => [k, v.replaceAll(RULE3, ids.get(RULE3) as string)] as [string, string]) });
    const f3 = t.handle.admin.listReplicas('test', 'f3').find((r) => r.rse === 'MOCK-D');
    expect(f3).toMatchObject({ state: 'AVAILABLE', locks: 0 });
    // The transcript's 'MOCK-D replicas before reaper': tombstone = the replica's creation time
    // (core/rule.py __delete_lock_and_update_replica); the registered MOCK-C replica has none.
    expect(f3?.tombstone?.getTime()).toBe(new Date('2026-11-25T00:04:20Z').getTime());
    expect(t.handle.admin.listReplicas('test', 'f3').find((r) => r.rse === 'MOCK-C')).toMatchObject({ tombstone: null, locks: 0 });
    expect(t.handle.admin.replicasToReap('MOCK-A').map((r) => r.name).sort()).toEqual(['file1', 'file2']);
  });

  it('removes a dataset whose lifetime ran out when expire() runs', async () => {
    const a = await send('Dataset test:ds-expiring with lifetime 1s');
    expect(a.status).toBe(201);
    t.clock.now = new Date(t.clock.now.getTime() + 2000);
    expect(t.handle.admin.expire().dids).toEqual(['test:ds-expiring']);
    expectRecordedError(await send('Get expired dataset after undertaker'), recorded('Get expired dataset after undertaker'));
  });
});
