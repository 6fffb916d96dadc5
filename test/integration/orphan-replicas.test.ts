import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupLedger, type CleanupOutcome } from '../../src/engine/cleanup.js';
import { openLakeSession } from '../../src/engine/lake-session.js';
import type { LedgerEntry } from '../../src/engine/ledger.js';
import type { OpResult } from '../../src/engine/op-result.js';
import { runPlan } from '../../src/engine/runner.js';
import type { ResolvedPlan } from '../../src/plan/index.js';
import { ResultsStore } from '../../src/results/store.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { loadTestPlan, startTestLake, STORAGE_KINDS } from './lake-fixture.js';

async function run(plan: ResolvedPlan): Promise<{ results: OpResult[]; store: ResultsStore; runId: string }> {
  const store = new ResultsStore(':memory:');
  const { run: info } = await runPlan({ plan, registry: builtinScenarios(), sinks: [store], ledger: store });
  return { results: store.results(info.runId), store, runId: info.runId };
}

// A rule refused after files reached storage (409 InsufficientAccountLimit) must never leave
// a registered replica that nothing will remove, and never hide one it could not remove.
describe.each(STORAGE_KINDS)('replicas after a refused rule (%s storage)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let full: string;
  let account: string;

  beforeAll(async () => {
    env = await startTestLake(storage);
    full = env.lake.rses[1]?.name as string;
  });
  afterAll(() => env.stop());

  it('upload: the dataset rule comes first, so a refused rule means no replica is registered and nothing is written there', async () => {
    const plan = await loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true }
experiments:
  - name: IT
    tests:
      - name: quota
        scenario: upload
        auth: [token]
        concurrency: 4
        params: { files: 3, size: 100000, lifetime: 600 }
`);
    account = plan.lake.account as string;
    env.lake.catalogue.admin.setAccountLimit(account, full, 0);
    try {
      const { results, store, runId } = await run(plan);
      const rule = results.find((r) => r.operation === 'rule' && r.rse === full);
      expect(rule).toMatchObject({ outcome: 'failed', errorClass: 'quota' });
      expect(results.filter((r) => r.rse === full && ['upload', 'register'].includes(r.operation) && r.outcome === 'ok')
        .map((r) => r.operation)).toEqual(['register']); // the dataset only
      const scope = `user.${account}`;
      for (let i = 0; i < 3; i++) {
        expect(env.lake.catalogue.admin.getReplicaState(scope, `lakeprobe.${runId}.quota.token.${full}.${i}`, full)).toBeNull();
      }
      // The other RSEs went through, and every replica registered there was in the ledger first.
      expect(results.filter((r) => r.operation === 'verify' && r.outcome === 'ok')).toHaveLength(3 * (env.lake.rses.length - 1));
      const open: LedgerEntry[] = store.pending(runId);
      expect(open.filter((e) => e.kind === 'replica' || e.kind === 'storage_file')).toEqual([]);
      // What stays open is the refused rule's intent, which never got an id (cleanup closes it as "never created").
      expect(open.map((e) => [e.kind, e.rse, e.target])).toEqual([['rule', full, '']]);
    } finally {
      env.lake.catalogue.admin.setAccountLimit(account, full, -1);
    }
  });

  it('replicate: a replica left without a rule is removed, or stays open in the ledger and is reported as left behind', async () => {
    const source = full;
    const destination = env.lake.rses[0]?.name as string;
    const plan = await loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true }
experiments:
  - name: IT
    tests:
      - name: orphan
        scenario: replicate
        auth: [token]
        params: { files: 1, size: 100000, lifetime: 600, pairs: [{ from: ${source}, to: ${destination} }] }
`);
    account = plan.lake.account as string;
    env.lake.catalogue.admin.setAccountLimit(account, source, 0);
    try {
      const { results, store, runId } = await run(plan);
      expect(results.find((r) => r.operation === 'register' && r.rse === source && r.outcome === 'ok')).toBeDefined();
      expect(results.find((r) => r.operation === 'rule' && r.rse === source)).toMatchObject({ outcome: 'failed', errorClass: 'quota' });
      const name = `lakeprobe.${runId}.orphan.token.ds.${source}.${destination}.0`;
      const listed = env.lake.catalogue.admin.getReplicaState(`user.${account}`, name, source) !== null;
      const drop = results.find((r) => r.operation === 'delete' && r.rse === source && r.protocol === 'rucio');
      const open = store.pending(runId).filter((e) => e.kind === 'replica');
      if (listed) {
        // Not removable by this account: said so in the run, kept in the ledger, said so again by cleanup.
        expect(drop).toMatchObject({ outcome: 'failed' });
        expect(drop?.errorMessage).toMatch(/left registered/);
        expect(open.map((e) => [e.rse, e.target])).toEqual([[source, `user.${account}:${name}`]]);
        const session = (method: 'userpass' | 'x509' | 'token') => openLakeSession(plan, method);
        const outcomes: CleanupOutcome[] = await cleanupLedger(store, { session, methods: ['token'] }, runId);
        const replica = outcomes.find((o) => o.entry.kind === 'replica');
        expect(replica?.ok).toBe(false);
        expect(replica?.message).toMatch(/^left behind: .*; replica .* has no rule: a Rucio admin can remove it$/);
        expect(store.pending(runId).filter((e) => e.kind === 'replica')).toHaveLength(1);
      } else {
        expect(drop).toMatchObject({ outcome: 'ok' });
        expect(open).toEqual([]);
      }
      // The storage file itself was removed either way.
      expect(results.filter((r) => r.operation === 'delete' && r.rse === source && r.protocol !== 'rucio').every((r) => r.outcome === 'ok')).toBe(true);
    } finally {
      env.lake.catalogue.admin.setAccountLimit(account, source, -1);
    }
  });
});
