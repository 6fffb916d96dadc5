import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cleanupLedger, type CleanupOutcome } from '../../src/engine/cleanup.js';
import { openLakeSession } from '../../src/engine/lake-session.js';
import type { LedgerEntry } from '../../src/engine/ledger.js';
import type { OpResult } from '../../src/engine/op-result.js';
import type { ResolvedPlan } from '../../src/plan/index.js';
import type { ResultsStore } from '../../src/results/store.js';
import { loadTestPlan, runTestPlan, STORAGE_KINDS, useTestLake, type TestLake } from './lake-fixture.js';

interface Replica { name: string; rse: string; state: string; locks: number; tombstone: Date | null }

/**
 * Every replica of this run in `scope`: the names come from the catalogue's own table (so
 * nothing the run registered is missed), locks and tombstones from the sandbox's admin view.
 */
function replicasOfRun(env: TestLake, scope: string, runId: string): Replica[] {
  const db = new Database(join(env.dir, 'catalogue.db'), { readonly: true, fileMustExist: true });
  let names: string[];
  try {
    names = (db.prepare('SELECT DISTINCT name FROM replicas WHERE scope = ? AND name LIKE ?').all(scope, `lakeprobe.${runId}.%`) as { name: string }[])
      .map((r) => r.name);
  } finally {
    db.close();
  }
  return names.flatMap((name) => env.lake.catalogue.admin.listReplicas(scope, name)
    .map((r) => ({ name, rse: r.rse, state: r.state, locks: r.locks, tombstone: r.tombstone })));
}

/** Replicas that neither a rule holds (no lock) nor a tombstone marks for the reaper: nothing will ever remove them. */
const unheld = (replicas: Replica[]): Replica[] => replicas.filter((r) => r.locks === 0 && r.tombstone === null);

/** `lakeprobe cleanup` of the run with the plan's token credentials. */
async function cleanup(plan: ResolvedPlan, store: ResultsStore, runId: string): Promise<CleanupOutcome[]> {
  const session = (method: 'userpass' | 'x509' | 'token') => openLakeSession(plan, method);
  return cleanupLedger(store, { session, methods: ['token', 'x509'] }, runId);
}

/** What a run leaves when `rse` refuses this account's rules (account limit 0), after cleanup. */
async function runRefused(env: TestLake, yaml: string, rse: string, scope?: string): Promise<{
  /** Replicas after the run; after cleanup, those nothing holds; the ledger's open entries. */
  results: OpResult[]; registered: Replica[]; unheld: Replica[]; pending: LedgerEntry[]; outcomes: CleanupOutcome[];
}> {
  const plan = await loadTestPlan(env.lake, env.dir, yaml);
  const account = plan.lake.account as string;
  env.lake.catalogue.admin.setAccountLimit(account, rse, 0);
  try {
    const { results, store, runId } = await runTestPlan(plan);
    // A run that fails fast ends before the judge-evaluator has locked what it attached: one pass
    // (what the lake does within catalogue.judge_evaluator_seconds) shows what the rules hold.
    env.lake.catalogue.admin.runJudgeEvaluator();
    const where = scope ?? `user.${account}`;
    const registered = replicasOfRun(env, where, runId);
    const outcomes = await cleanup(plan, store, runId);
    return { results, registered, unheld: unheld(replicasOfRun(env, where, runId)), pending: store.pending(runId), outcomes };
  } finally {
    env.lake.catalogue.admin.setAccountLimit(account, rse, -1);
  }
}

const refusedRule = (results: OpResult[], rse: string): OpResult | undefined =>
  results.find((r) => r.operation === 'rule' && [r.rse, r.srcRse, r.dstRse].includes(rse) && r.outcome === 'failed');

// A rule refused after files reached storage (409 InsufficientAccountLimit) must never leave
// a registered replica that nothing will remove, and never hide one it could not remove.
describe.each(STORAGE_KINDS)('replicas after a refused rule (%s storage)', (storage) => {
  const env = useTestLake(storage);
  const rse = (i: number): string => env.lake.rses[i]?.name as string;

  it('upload: the dataset rule comes first, so a refused rule means no replica is registered and nothing is written there', async () => {
    const full = rse(1);
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
    const account = plan.lake.account as string;
    env.lake.catalogue.admin.setAccountLimit(account, full, 0);
    try {
      const { results, store, runId } = await runTestPlan(plan);
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

  const replicatePlan = (from: string, to: string): string => `
lake: { sandbox: true }
experiments:
  - name: IT
    tests:
      - name: orphan
        scenario: replicate
        auth: [token]
        params: { files: 2, size: 100000, lifetime: 600, poll_seconds: 0.2, timeout_seconds: 60, pairs: [{ from: ${from}, to: ${to} }] }
`;

  it('replicate, rule at the source refused: nothing is registered, nothing is left', async () => {
    const { results, registered, unheld, pending } = await runRefused(env, replicatePlan(rse(1), rse(0)), rse(1));
    expect(refusedRule(results, rse(1))).toMatchObject({ errorClass: 'quota' });
    expect(registered).toEqual([]);
    expect(unheld).toEqual([]);
    expect(pending).toEqual([]);
  });

  it('replicate, replication rule refused at the destination: the replicas stay under the source rule until cleanup removes it', async () => {
    const { results, registered, unheld, pending } = await runRefused(env, replicatePlan(rse(1), rse(0)), rse(0));
    expect(registered.map((r) => [r.rse, r.state, r.locks])).toEqual([[rse(1), 'AVAILABLE', 1], [rse(1), 'AVAILABLE', 1]]);
    expect(results.filter((r) => r.operation === 'rule' && r.dstRse === rse(0)).map((r) => [r.outcome, r.errorClass]))
      .toEqual([['failed', 'quota'], ['failed', 'quota']]);
    expect(results.filter((r) => r.operation === 'replicate')).toEqual([]);
    expect(unheld).toEqual([]);
    expect(pending).toEqual([]);
  });

  it('replicate still times the replication rule from creation to OK with nothing refused', async () => {
    const plan = await loadTestPlan(env.lake, env.dir, replicatePlan(rse(1), rse(0)));
    const { results, store, runId } = await runTestPlan(plan);
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
    const replicated = results.filter((r) => r.operation === 'replicate');
    expect(replicated.map((r) => [r.srcRse, r.dstRse, r.bytes])).toEqual([[rse(1), rse(0), 100000], [rse(1), rse(0), 100000]]);
    expect(replicated.every((r) => /^[0-9a-f]{32}$/.test(r.requestId))).toBe(true);
    expect(store.pending(runId)).toEqual([]);
  });

  const authMatrixPlan = (): string => `
lake: { sandbox: true }
rses: { names: [${rse(1)}, ${rse(0)}] }
experiments:
  - name: IT
    tests:
      - { name: am, scenario: auth-matrix, auth: [token], params: { schemes: [davs], poll_seconds: 0.2, timeout_seconds: 60 } }
`;

  it('auth-matrix, rule at an RSE refused: the storage is still probed there, nothing is registered without a rule', async () => {
    const { results, registered, unheld, pending } = await runRefused(env, authMatrixPlan(), rse(1));
    expect(refusedRule(results, rse(1))).toMatchObject({ errorClass: 'quota' });
    // The storage cells of the refused RSE are still measured.
    expect(results.filter((r) => r.rse === rse(1) && ['upload', 'download'].includes(r.operation)).map((r) => [r.operation, r.outcome]))
      .toEqual([['upload', 'ok'], ['download', 'ok']]);
    expect(registered.map((r) => r.rse)).toEqual([rse(0)]);
    expect(unheld).toEqual([]);
    expect(pending).toEqual([]);
  });

  it('auth-matrix, third-party copy refused at the destination: every replica stays under its RSE rule until cleanup', async () => {
    const { results, registered, unheld, pending } = await runRefused(env, authMatrixPlan(), rse(0));
    expect(results.find((r) => r.operation === 'rule' && r.srcRse === rse(1))).toMatchObject({ outcome: 'failed', errorClass: 'quota' });
    expect(registered.map((r) => [r.rse, r.locks])).toEqual([[rse(1), 1]]);
    expect(unheld).toEqual([]);
    expect(pending).toEqual([]);
  });

  it('embargo catalogue check, rule refused: no replica of the embargoed scope is left without a rule', async () => {
    const { results, registered, unheld, pending } = await runRefused(env, `
lake: { sandbox: true }
rses: { names: [${rse(0)}] }
experiments:
  - name: CMS
    tests:
      - { name: embargo, scenario: embargo, auth: [x509], params: { scope: embargoed, outsider: { token_file: ${env.lake.tokens.nonmember} } } }
`, rse(0), 'embargoed');
    expect(refusedRule(results, rse(0))).toMatchObject({ errorClass: 'quota' });
    expect(registered).toEqual([]);
    expect(unheld).toEqual([]);
    expect(pending).toEqual([]);
  });

  const ingestionPlan = (expression: string): string => `
lake: { sandbox: true }
experiments:
  - name: IT
    tests:
      - { name: ing, scenario: ingestion, auth: [token], rses: { names: [SANDBOX-NONDET] }, params: { files: 3, size: 7000, rule: { expression: ${expression} }, poll_seconds: 0.2, timeout_seconds: 60 } }
`;

  it('ingestion, the plan rule at the RSE itself: made before any file is placed, awaited once they are registered', async () => {
    const { results, store, runId } = await runTestPlan(await loadTestPlan(env.lake, env.dir, ingestionPlan('SANDBOX-NONDET')));
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
    const rules = results.filter((r) => r.operation === 'rule');
    expect(rules.map((r) => r.srcRse)).toEqual(['SANDBOX-NONDET']);
    const firstUpload = results.findIndex((r) => r.operation === 'upload');
    expect(results.indexOf(rules[0] as OpResult)).toBeLessThan(firstUpload);
    expect(results.filter((r) => r.operation === 'replicate').map((r) => [r.outcome, r.ruleId])).toEqual([['ok', rules[0]?.ruleId]]);
    expect(store.pending(runId)).toEqual([]);
  });

  it('ingestion, the plan rule at the RSE itself refused: no file is registered without a rule', async () => {
    const { results, registered, unheld, pending } = await runRefused(env, ingestionPlan('SANDBOX-NONDET'), 'SANDBOX-NONDET');
    expect(refusedRule(results, 'SANDBOX-NONDET')).toMatchObject({ errorClass: 'quota' });
    expect(registered).toEqual([]);
    expect(unheld).toEqual([]);
    expect(pending).toEqual([]);
  });

  it('ingestion, the rule at the RSE refused with replication elsewhere: no file is registered without a rule', async () => {
    const { results, registered, unheld, pending } = await runRefused(env, ingestionPlan(rse(0)), 'SANDBOX-NONDET');
    expect(registered).toEqual([]);
    expect(refusedRule(results, 'SANDBOX-NONDET')).toMatchObject({ errorClass: 'quota' });
    expect(unheld).toEqual([]);
    expect(pending).toEqual([]);
  });

  it('ingestion, replication rule refused at the destination: the files stay under the rule at the RSE until cleanup', async () => {
    const { results, registered, unheld, pending } = await runRefused(env, ingestionPlan(rse(0)), rse(0));
    expect(results.find((r) => r.operation === 'rule' && r.srcRse === 'SANDBOX-NONDET')).toMatchObject({ outcome: 'failed', errorClass: 'quota' });
    expect(registered.map((r) => [r.rse, r.state, r.locks])).toEqual([...Array(3)].map(() => ['SANDBOX-NONDET', 'AVAILABLE', 1]));
    expect(unheld).toEqual([]);
    expect(pending).toEqual([]);
  });
});
