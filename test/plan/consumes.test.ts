// `consumes`: a test reads another test's output. validate names the file, line and field of
// an unknown upstream, a self-reference, a cycle, a wait out of bounds, and an output kind the
// upstream does not publish or the consumer cannot read.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlanOrThrow } from '../../src/job.js';
import { JobError } from '../../src/jobs/errors.js';
import { builtinScenarios } from '../../src/scenarios.js';
import type { ResolvedPlan } from '../../src/plan/index.js';

const REPLICATION = 'scenario: replication\n        params: { source: SANDBOX-FAST, files: 1, size: 1MB, rules: [{ expression: QOS=SAFE }] }';
const REPROCESS = 'scenario: reprocess\n        rses: { names: [SANDBOX-FAST] }\n        params: { runs: 1, output_size: 1MB }';

/** Plan text with tests `up` (replication) and `down` (reprocess) in experiment E, and `other` in experiment F. */
function plan(down: string, up = '', other = ''): string {
  return `lake: { sandbox: true }
experiments:
  - name: E
    tests:
      - name: up
        ${REPLICATION}${up}
      - name: down
        ${REPROCESS}${down}
  - name: F
    tests:
      - name: other
        ${REPLICATION}${other}
`;
}

describe('consumes in a plan', () => {
  let dir = '';
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'lakeprobe-consumes-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const load = async (yaml: string): Promise<{ ok: true; plan: ResolvedPlan } | { ok: false; code: number; message: string; file: string }> => {
    const planFile = join(dir, `p${Math.random().toString(16).slice(2)}.yaml`);
    await writeFile(planFile, yaml);
    try {
      return { ok: true, plan: (await loadPlanOrThrow({ planFile, env: {}, uid: 4_000_000, registry: builtinScenarios() })).plan };
    } catch (e) {
      if (!(e instanceof JobError)) throw e;
      return { ok: false, code: e.exitCode, message: e.message, file: planFile };
    }
  };
  const refused = async (yaml: string): Promise<{ message: string; file: string }> => {
    const r = await load(yaml);
    expect(r.ok).toBe(false);
    if (r.ok) throw new Error('accepted');
    expect(r.code).toBe(2);
    return r;
  };

  it('resolves a consumer and its upstream, in the same experiment and across experiments', async () => {
    const r = await load(plan('\n        consumes: { test: up, output: dataset, wait_seconds: 30 }', '', '\n        consumes: { test: E/up, output: dataset }'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [e, f] = r.plan.experiments;
    expect(e?.tests[1]?.consumes).toEqual({ experiment: 'E', test: 'up', output: 'dataset', waitSeconds: 30 });
    // The default wait when the plan gives none.
    expect(f?.tests[0]?.consumes).toEqual({ experiment: 'E', test: 'up', output: 'dataset', waitSeconds: 600 });
    expect(e?.tests[0]?.consumedBy).toEqual([{ experiment: 'E', test: 'down' }, { experiment: 'F', test: 'other' }]);
    expect(e?.tests[1]?.consumedBy).toBeUndefined();
  });

  it('refuses an unknown upstream at the line of consumes.test, with a did-you-mean', async () => {
    const { message, file } = await refused(plan('\n        consumes: { test: upp, output: dataset }'));
    expect(message).toContain(`${file}:12:`);
    expect(message).toContain('experiments[0].tests[1].consumes.test: unknown test "upp" (did you mean "up"?)');
  });

  it('refuses a test of another experiment named without its experiment', async () => {
    const { message } = await refused(plan('\n        consumes: { test: other, output: dataset }'));
    expect(message).toContain('experiments[0].tests[1].consumes.test: unknown test "other"');
    expect(message).toContain('EXPERIMENT/test');
  });

  it('refuses a test consuming its own output', async () => {
    const { message, file } = await refused(plan('', '\n        consumes: { test: up, output: dataset }'));
    expect(message).toContain(`${file}:8:`);
    expect(message).toContain('experiments[0].tests[0].consumes.test: a test cannot consume its own output ("up")');
  });

  it('refuses a cycle, at every test of it', async () => {
    const { message } = await refused(plan('\n        consumes: { test: F/other, output: dataset }', '\n        consumes: { test: down, output: dataset }',
      '\n        consumes: { test: E/up, output: dataset }'));
    expect(message).toContain('experiments[0].tests[0].consumes.test: consumes in a cycle: E/up → E/down → F/other → E/up');
    expect(message).toContain('experiments[0].tests[1].consumes.test: consumes in a cycle: E/down → F/other → E/up → E/down');
    expect(message).toContain('experiments[1].tests[0].consumes.test: consumes in a cycle: F/other → E/up → E/down → F/other');
  });

  it('refuses a wait out of bounds and an unknown output kind, at their fields', async () => {
    const zero = await refused(plan('\n        consumes: { test: up, output: dataset, wait_seconds: 0 }'));
    expect(zero.message).toContain('experiments[0].tests[1].consumes.wait_seconds: must be >= 1');
    const long = await refused(plan('\n        consumes: { test: up, output: dataset, wait_seconds: 604801 }'));
    expect(long.message).toContain('experiments[0].tests[1].consumes.wait_seconds: at most 604800 (a week)');
    const kind = await refused(plan('\n        consumes: { test: up, output: file }'));
    expect(kind.message).toContain('experiments[0].tests[1].consumes.output: expected one of "dataset", "container", "rule"');
    const extra = await refused(plan('\n        consumes: { test: up, output: dataset, wait: 5 }'));
    expect(extra.message).toContain('experiments[0].tests[1].consumes.wait: unknown key "wait"');
  });

  it('refuses a kind the upstream does not publish, and one the consumer cannot read', async () => {
    // A replication publishes its dataset and rule, not a container.
    const container = await refused(plan('\n        consumes: { test: up, output: container }'));
    expect(container.message).toContain('experiments[0].tests[1].consumes.output: test "E/up" (scenario replication) publishes only dataset, rule');
    // A reprocess reads datasets and containers, not a rule.
    const rule = await refused(plan('\n        consumes: { test: up, output: rule }'));
    expect(rule.message).toContain('experiments[0].tests[1].consumes.output: scenario "reprocess" reads only dataset, container');
    // A reprocess publishes nothing for others.
    const nothing = await refused(plan('', '', '\n        consumes: { test: E/down, output: dataset }'));
    expect(nothing.message).toContain('experiments[1].tests[0].consumes.output: test "E/down" (scenario reprocess) publishes no output');
  });

  it('validates the DAC21 plan with its four chains', async () => {
    const planFile = join(import.meta.dirname, '../../probes/dac21.yaml');
    const { plan: resolved } = await loadPlanOrThrow({ planFile, env: {}, uid: 4_000_000, registry: builtinScenarios() });
    const chains = resolved.experiments.flatMap((e) => e.tests.filter((t) => t.consumes).map((t) => `${e.name}/${t.name} ← ${t.consumes?.experiment}/${t.consumes?.test} (${t.consumes?.output})`));
    expect(chains).toEqual([
      'FAIR/panda-reconstruction ← FAIR/panda-replication (dataset)',
      'KM3NeT/km3net002-calibrate ← KM3NeT/km3net001-ingest-replicate (dataset)',
      'ATLAS/analysis-output ← ATLAS/multiplication (dataset)',
      'LOFAR/uc2-process ← LOFAR/uc2-hierarchy (container)',
    ]);
  });
});
