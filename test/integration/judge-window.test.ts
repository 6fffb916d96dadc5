// Scenarios wait for what Rucio really does. Files attached to a ruled dataset get their locks only
// when the judge-evaluator runs (Rucio 41: lib/rucio/core/did.py attach_dids_to_dids queues an
// UpdatedDID; lib/rucio/daemons/judge/evaluator.py locks the files later); until then the rule
// reads OK with fewer locks than files. Here the sandbox's judge-evaluator runs 3 s after each attach.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { DEFAULT_SANDBOX_CONFIG } from '../../src/sandbox/sandbox-config.js';
import { loadTestPlan, runTestPlan, startTestLake, type TestLake } from './lake-fixture.js';

const DELAY_S = 3;
const end = (r: OpResult): number => Date.parse(r.start) + r.durationMs;

const plan = (test: string): string => `
lake: { sandbox: true }
experiments:
  - name: IT
    tests:
      - ${test}
`;

describe(`scenarios against a judge-evaluator that runs ${DELAY_S} s after an attach`, () => {
  let env: TestLake;
  beforeAll(async () => {
    env = await startTestLake('builtin', { catalogue: { ...DEFAULT_SANDBOX_CONFIG.catalogue, judge_evaluator_seconds: DELAY_S } });
  });
  afterAll(() => env?.stop());

  it('upload: verify passes only once the dataset rule has locked the files, and every file then has its OK lock', async () => {
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(
      '{ name: up, scenario: upload, auth: [token], rses: { names: [SANDBOX-FAST] }, params: { files: 3, size: 5000, download: false, poll_seconds: 0.2, timeout_seconds: 60 } }',
    )));
    expect(results.filter((r) => r.outcome !== 'ok').map((r) => `${r.operation} ${r.errorClass}: ${r.errorMessage}`)).toEqual([]);
    // The last register is the attach of the batch: no lock can exist before it plus the delay.
    const attach = results.filter((r) => r.operation === 'register').at(-1) as OpResult;
    const verifies = results.filter((r) => r.operation === 'verify');
    expect(verifies).toHaveLength(3);
    for (const v of verifies) expect(end(v)).toBeGreaterThanOrEqual(Date.parse(attach.start) + DELAY_S * 1000);
  });

  it('ingestion with its rule made before the files: no rule_timeout, time to OK runs until the locks exist', async () => {
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(
      '{ name: ing, scenario: ingestion, auth: [token], rses: { names: [SANDBOX-NONDET] }, params: { files: 3, size: 7000, rule: { expression: SANDBOX-NONDET }, poll_seconds: 0.2, timeout_seconds: 60 } }',
    )));
    expect(results.filter((r) => r.outcome !== 'ok').map((r) => `${r.operation} ${r.errorClass}: ${r.errorMessage}`)).toEqual([]);
    const [replicate, ...others] = results.filter((r) => r.operation === 'replicate');
    expect(others).toEqual([]);
    // Timed from the end of registration: the last attach is at most a few ms before it, its locks DELAY_S later.
    expect(replicate?.durationMs).toBeGreaterThanOrEqual((DELAY_S - 1) * 1000);
  });
});

describe('verify against a judge-evaluator that has not run', () => {
  let env: TestLake;
  beforeAll(async () => {
    env = await startTestLake('builtin', { catalogue: { ...DEFAULT_SANDBOX_CONFIG.catalogue, judge_evaluator_seconds: 600 } });
  });
  afterAll(() => env?.stop());

  it('fails each file whose lock is missing, though the rule reads OK', async () => {
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(
      '{ name: up, scenario: upload, auth: [token], rses: { names: [SANDBOX-FAST] }, params: { files: 2, size: 5000, download: false, poll_seconds: 0.2, timeout_seconds: 2 } }',
    )));
    const verifies = results.filter((r) => r.operation === 'verify');
    expect(verifies.map((r) => [r.outcome, r.errorClass])).toEqual([['failed', 'rule_timeout'], ['failed', 'rule_timeout']]);
    for (const v of verifies) expect(v.errorMessage).toMatch(/no lock of user\.\S+ on SANDBOX-FAST \(0 locks in all\)/);
    expect(results.find((r) => r.operation === 'rule')?.outcome).toBe('ok');
  });
});
