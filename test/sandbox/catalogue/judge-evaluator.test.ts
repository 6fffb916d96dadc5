// The judge-evaluator's window and request cancellation, as Rucio 41 has them:
// - lib/rucio/core/did.py attach_dids_to_dids / detach_dids only insert an UpdatedDID row
//   (rule_evaluation_action ATTACH / DETACH); lib/rucio/daemons/judge/evaluator.py run_once ->
//   lib/rucio/core/rule.py re_evaluate_did creates (or removes) the locks later. Until then a rule on
//   the dataset reads OK with fewer locks than files, which is what a client sees.
// - lib/rucio/core/rule.py delete_rule -> __delete_lock_and_update_replica: the last lock on a copy in
//   flight makes lib/rucio/core/request.py cancel_request_did archive the request and
//   transfer_core.cancel_transfers cancel it at the transfer tool.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX_CONFIG, parseSandboxConfig, SandboxConfigError } from '../../../src/sandbox/sandbox-config.js';
import type { Answer, TestCatalogue } from './harness.js';
import { call, lines, loginRoot, seedRoot, startTestCatalogue } from './harness.js';

const HTTPS = {
  scheme: 'https', hostname: 'storage.test', port: 8443, prefix: '/lake', impl: 'rucio.rse.protocols.webdav.Default',
  domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 } },
};
const A = 'SITE1_SCRATCHDISK';
const B = 'SITE2_SCRATCHDISK';
const files = (n: number, prefix: string): Record<string, unknown>[] =>
  Array.from({ length: n }, (_, i) => ({ scope: 'test', name: `${prefix}${i}`, bytes: 10 + i, adler32: `0000000${i}` }));

describe('the sandbox judge-evaluator', () => {
  let t: TestCatalogue;
  let root = '';
  const get = (path: string): Promise<Answer> => call(t, 'GET', path, { token: root });
  const post = (path: string, body: object): Promise<Answer> => call(t, 'POST', path, { token: root, body });
  const rule = async (id: string): Promise<Record<string, unknown>> => JSON.parse((await get(`/rules/${id}`)).body);
  const locks = async (id: string): Promise<Record<string, unknown>[]> => lines((await get(`/rules/${id}/locks`)).body);
  const later = (ms: number): void => {
    t.clock.now = new Date(t.clock.now.getTime() + ms);
  };
  /** Past the judge-cleaner's hour for soft-deleted rules; a new token, the old one has expired. */
  const anHourLater = async (): Promise<void> => {
    later(3601 * 1000);
    root = await loginRoot(t);
  };

  const start = async (judgeEvaluatorSeconds?: number): Promise<void> => {
    t = await startTestCatalogue(undefined, undefined, judgeEvaluatorSeconds === undefined ? {} : { judgeEvaluatorSeconds });
    seedRoot(t);
    for (const name of [A, B]) {
      t.handle.admin.addRse(name, { deterministic: true, rseType: 'DISK', volatile: false });
      t.handle.admin.addProtocol(name, { ...HTTPS, prefix: `/${name.toLowerCase()}` });
      t.handle.admin.setAccountLimit('root', name, -1);
    }
    t.handle.admin.addScope('root', 'test');
    root = await loginRoot(t);
  };
  /** A dataset with a rule at `rse` made before anything is attached (as the upload scenario does). */
  const ruledDataset = async (name: string, rse: string): Promise<string> => {
    expect((await post(`/dids/test/${name}`, { type: 'DATASET' })).status).toBe(201);
    const a = await post('/rules/', { dids: [{ scope: 'test', name }], copies: 1, rse_expression: rse, account: 'root' });
    expect(a.status, a.body).toBe(201);
    return (JSON.parse(a.body) as string[])[0] as string;
  };
  afterEach(async () => {
    await t?.close();
  });

  it('leaves a rule OK with no locks after an attach until one delay (1 s by default) has passed', async () => {
    await start();
    const id = await ruledDataset('ds1', A);
    const attached = await post('/dids/test/ds1/dids', { rse: A, dids: files(3, 'f') });
    expect(attached.status, attached.body).toBe(201);
    // What a client polling right after the attach reads: OK, and nothing locked.
    expect(await rule(id)).toMatchObject({ state: 'OK', locks_ok_cnt: 0, locks_replicating_cnt: 0, locks_stuck_cnt: 0 });
    expect(await locks(id)).toEqual([]);
    expect(lines((await get('/dids/test/ds1/dids')).body)).toHaveLength(3);
    later(900);
    expect((await rule(id)).locks_ok_cnt).toBe(0);
    later(100);
    expect(await rule(id)).toMatchObject({ state: 'OK', locks_ok_cnt: 3 });
    expect((await locks(id)).map((l) => [l.name, l.rse, l.state])).toEqual([['f0', A, 'OK'], ['f1', A, 'OK'], ['f2', A, 'OK']]);
  });

  it('queues no transfer for an attached file until the judge-evaluator has run', async () => {
    await start();
    const id = await ruledDataset('ds2', B);
    expect((await post('/dids/test/ds2/dids', { rse: A, dids: files(2, 'g') })).status).toBe(201);
    expect(t.handle.admin.listRequests().filter((q) => q.ruleId === id)).toEqual([]);
    expect((await rule(id)).state).toBe('OK');
    expect(t.handle.admin.runJudgeEvaluator()).toBe(1);
    expect(await rule(id)).toMatchObject({ state: 'REPLICATING', locks_replicating_cnt: 2 });
    expect(t.handle.admin.listRequests('QUEUED').filter((q) => q.ruleId === id).map((q) => q.name).sort()).toEqual(['g0', 'g1']);
  });

  it('keeps the locks of detached files until the judge-evaluator has run', async () => {
    await start();
    const id = await ruledDataset('ds3', A);
    await post('/dids/test/ds3/dids', { rse: A, dids: files(2, 'h') });
    later(1000);
    expect((await rule(id)).locks_ok_cnt).toBe(2);
    expect((await call(t, 'DELETE', '/dids/test/ds3/dids', { token: root, body: { dids: [{ scope: 'test', name: 'h0' }] } })).status).toBe(200);
    expect((await rule(id)).locks_ok_cnt).toBe(2);
    later(1000);
    expect((await locks(id)).map((l) => l.name)).toEqual(['h1']);
  });

  it('evaluates at once with a delay of 0', async () => {
    await start(0);
    const id = await ruledDataset('ds4', A);
    await post('/dids/test/ds4/dids', { rse: A, dids: files(2, 'k') });
    expect(await rule(id)).toMatchObject({ state: 'OK', locks_ok_cnt: 2 });
  });

  it('cancels the submitted transfer of a deleted rule: the request leaves the queue and the transfer tool is told', async () => {
    await start(0);
    const id = await ruledDataset('ds5', B);
    await post('/dids/test/ds5/dids', { rse: A, dids: files(1, 'm') });
    const [request] = t.handle.admin.listRequests('QUEUED').filter((q) => q.ruleId === id);
    expect(request).toBeDefined();
    t.handle.admin.markRequestSubmitted(request?.id as string, { sourceRse: A, transfertool: 'fts', externalId: 'job-1' });
    const told: string[][] = [];
    const unsubscribe = t.handle.admin.onTransfersCancelled((ids) => told.push(ids));
    // DELETE /rules/<id> is soft (the rule expires within the hour); the judge-cleaner then deletes it.
    expect((await call(t, 'DELETE', `/rules/${id}`, { token: root, body: {} })).status).toBe(200);
    expect(told).toEqual([]);
    await anHourLater();
    expect(t.handle.admin.expire().rules).toEqual([id]);
    unsubscribe();
    expect(told).toEqual([[request?.id]]);
    expect((await get(`/requests/test/m0/${B}`)).status).toBe(404);
    expect(JSON.parse((await get(`/requests/history/test/m0/${B}`)).body)).toMatchObject({ id: request?.id, state: 'SUBMITTED' });
    expect(t.handle.admin.listRequests('SUBMITTED')).toEqual([]);
    // A report from the transfer tool after the cancel changes nothing.
    expect(() => t.handle.admin.completeRequest(request?.id as string, { ok: true, sourceRse: A })).toThrow(/no longer queued/);
    expect(t.handle.admin.getReplicaState('test', 'm0', B)).toBe('UNAVAILABLE');
  });

  it('keeps a transfer another rule still waits for, and drops a queued one without telling the transfer tool', async () => {
    await start(0);
    const first = await ruledDataset('ds6', B);
    await post('/dids/test/ds6/dids', { rse: A, dids: files(1, 'n') });
    const second = await post('/rules/', { dids: [{ scope: 'test', name: 'n0' }], copies: 1, rse_expression: B, account: 'root' });
    expect(second.status, second.body).toBe(201);
    const told: string[][] = [];
    t.handle.admin.onTransfersCancelled((ids) => told.push(ids));
    await call(t, 'DELETE', `/rules/${first}`, { token: root, body: {} });
    await anHourLater();
    expect(t.handle.admin.expire().rules).toEqual([first]);
    expect(t.handle.admin.listRequests('QUEUED').map((q) => q.name)).toEqual(['n0']);

    const secondId = (JSON.parse(second.body) as string[])[0] as string;
    await call(t, 'DELETE', `/rules/${secondId}`, { token: root, body: {} });
    await anHourLater();
    t.handle.admin.expire();
    expect(t.handle.admin.listRequests('QUEUED')).toEqual([]);
    expect(told).toEqual([]);
  });
});

describe('catalogue.judge_evaluator_seconds in the sandbox config', () => {
  it('is on by default (1 s) and takes 0 for at once', () => {
    expect(DEFAULT_SANDBOX_CONFIG.catalogue.judge_evaluator_seconds).toBe(1);
    expect(parseSandboxConfig('catalogue: { judge_evaluator_seconds: 0 }\n', 'sbx.yaml').catalogue.judge_evaluator_seconds).toBe(0);
  });

  it('refuses a delay over ten minutes, naming file, line and field', () => {
    const text = 'catalogue:\n  judge_evaluator_seconds: 601\n';
    expect(() => parseSandboxConfig(text, 'sbx.yaml')).toThrow(SandboxConfigError);
    expect(() => parseSandboxConfig(text, 'sbx.yaml')).toThrow(/^sbx\.yaml:2:28: catalogue\.judge_evaluator_seconds: /);
  });
});
