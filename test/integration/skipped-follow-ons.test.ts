// When an upload fails, the steps that need its files do not run: they are recorded as
// skipped, naming the failed upload, and no report, metric or verdict counts them as failures.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../src/job.js';
import { MetricsSink } from '../../src/metrics/registry.js';
import { ResultsStore } from '../../src/results/store.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { startTestLake } from './lake-fixture.js';

describe('follow-ons of a failed upload', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let dir: string;
  beforeAll(async () => {
    env = await startTestLake();
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-skipped-'));
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('are skipped, name the upload, and count in no failure figure', async () => {
    env.lake.faults.add({ kind: 'error_rate', rse: 'SANDBOX-FAST', operation: 'PUT', rate: 1, status: 500 });
    const planFile = join(dir, 'plan.yaml');
    await writeFile(planFile, `name: skipped
lake: { sandbox: true }
experiments:
  - name: E
    tests:
      - name: dv
        scenario: download-verify
        auth: [token]
        rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
        params: { files: 2, size: 2048, poll_seconds: 0.2, timeout_seconds: 600 }
`);
    const metrics = new MetricsSink();
    const result = await runJob({
      planFile, env: env.lake.env, uid: 4_000_013, registry: builtinScenarios(), dbPath: join(dir, 'r.db'),
      outDir: join(dir, 'reports'), reporters: [metrics], log: () => {}, report: false,
    });
    const store = new ResultsStore(join(dir, 'r.db'));
    const results = store.results(result.run.runId);
    store.close();

    const failed = results.filter((r) => r.outcome === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(new Set(failed.map((r) => r.operation))).toEqual(new Set(['upload']));
    const lastUpload = failed.at(-1)!;
    const skipped = results.filter((r) => r.outcome === 'skipped');
    expect(skipped.map((r) => [r.operation, r.dstRse, r.errorClass])).toEqual([['replicate', 'SANDBOX-SAFE', null], ['list', '', null]]);
    for (const s of skipped) {
      expect(s.errorMessage).toBe(`skipped: upload on SANDBOX-FAST failed (${lastUpload.errorClass}) at ${lastUpload.start}`);
    }

    // The run, the report and the metrics count the failed uploads, and only them, as failures.
    expect(result.summary.failed).toBe(failed.length);
    expect(result.summary.total).toBe(results.length - skipped.length);
    const test = result.report.experiments[0]!.tests[0]!;
    expect(test.failures).toBe(failed.length);
    expect(test.operations).toBe(results.length - skipped.length);
    const text = await metrics.metrics();
    const failureLines = text.split('\n').filter((l) => l.startsWith('lakeprobe_failures_total{'));
    const counted = failureLines.reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(counted).toBe(failed.length);
    expect(text).not.toMatch(/outcome="skipped"/);
    expect(failureLines.every((l) => l.includes('operation="upload"'))).toBe(true);
  }, 120_000);

  it('a rule made before the data (rules_first) is not awaited for files that never landed', async () => {
    env.lake.faults.add({ kind: 'error_rate', rse: 'SANDBOX-FAST', operation: 'PUT', rate: 1, status: 500 });
    const planFile = join(dir, 'rules-first.yaml');
    await writeFile(planFile, `name: skipped
lake: { sandbox: true }
experiments:
  - name: E
    tests:
      - name: sub
        scenario: replication
        auth: [token]
        rses: { names: [SANDBOX-FAST] }
        params: { files: 1, size: 2048, rules_first: true, poll_seconds: 0.2, timeout_seconds: 600, rules: [{ expression: SANDBOX-SAFE }] }
`);
    const result = await runJob({
      planFile, env: env.lake.env, uid: 4_000_014, registry: builtinScenarios(), dbPath: join(dir, 'rf.db'),
      outDir: join(dir, 'reports'), reporters: [], log: () => {}, report: false,
    });
    const store = new ResultsStore(join(dir, 'rf.db'));
    const results = store.results(result.run.runId);
    store.close();
    const failed = results.filter((r) => r.outcome === 'failed');
    expect(new Set(failed.map((r) => r.operation))).toEqual(new Set(['upload']));
    const skipped = results.filter((r) => r.outcome === 'skipped');
    expect(skipped.map((r) => [r.operation, r.dstRse])).toEqual([['replicate', 'SANDBOX-SAFE']]);
    expect(skipped[0]!.errorMessage).toMatch(/^skipped: upload on SANDBOX-FAST failed/);
  }, 120_000);
});
