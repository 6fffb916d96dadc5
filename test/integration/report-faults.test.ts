// A whole plan run through the run job against the sandbox with faults switched on: the report
// written at the end exists in every format and its observations name the injected faults.
import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type JobResult } from '../../src/job.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { challengeReportSchema } from '../../src/report/schema.js';
import { STORAGE_KINDS, startTestLake } from './lake-fixture.js';
import { killedRun } from '../results/killed-run.js';

const planYaml = (outsiderProxy: string): string => `
name: faults-report
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
experiments:
  - name: SKA
    description: uploads, replication and embargo with faults switched on
    tests:
      - name: upload
        scenario: upload
        description: 2 KiB files to both RSEs with x509
        auth: [x509]
        params: { size: 2048 }
        success: { min_success_rate: 0.99 }
      - name: replicate
        scenario: replicate
        description: FAST to SAFE, transfers stuck
        auth: [token]
        params: { size: 4096, timeout_seconds: 2, poll_seconds: 0.2, pairs: [{ from: SANDBOX-FAST, to: SANDBOX-SAFE }] }
        success: { min_files: 1 }
      - name: embargo
        scenario: embargo
        auth: [x509]
        rses: { names: [SANDBOX-FAST] }
        params: { outsider: { proxy: ${outsiderProxy} } }
`;

describe.each(STORAGE_KINDS)('report of a run with faults (%s storage)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let result: JobResult;
  beforeAll(async () => {
    env = await startTestLake(storage);
    env.lake.faults.add({ kind: 'rse_down', rse: 'SANDBOX-SAFE' });
    env.lake.faults.add({ kind: 'embargo_open', rse: 'SANDBOX-FAST' });
    await env.lake.faults.settled();
    const planFile = join(env.dir, 'plan.yaml');
    await writeFile(planFile, planYaml(env.lake.pki.users.nonmember.proxyPath));
    // An earlier run of the same store was killed: this run marks it interrupted and reports it.
    await killedRun(join(env.dir, 'results.db'));
    result = await runJob({
      planFile, env: env.lake.env, uid: 4_000_000, registry: builtinScenarios(),
      dbPath: join(env.dir, 'results.db'), outDir: join(env.dir, 'reports'), reporters: [], log: () => {},
    });
  }, 240_000);
  afterAll(() => env?.stop());

  it('writes the report into reports/<run id>/ in every format, and the run does not pass', () => {
    expect(result.passed).toBe(false);
    expect(result.reportDir).toBe(join(env.dir, 'reports', result.run.runId));
    const files = readdirSync(result.reportDir);
    for (const f of ['SKA.md', 'SKA.html', 'SKA.csv', 'SKA.json', 'SKA.junit.xml', 'summary.md', 'summary.csv', 'report.json', 'junit.xml']) expect(files).toContain(f);
    const report = challengeReportSchema.parse(JSON.parse(readFileSync(join(result.reportDir, 'report.json'), 'utf8')));
    expect(report.selection.runs[0]).toMatchObject({ runId: result.run.runId, state: 'finished' });
    expect(report.selection.runs[0]?.planHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('marks the earlier killed run interrupted and writes its report too', () => {
    expect(result.interruptedReports.map((r) => r.report.selection.runs.map((x) => [x.runId, x.state]))).toEqual([[['killed', 'interrupted']]]);
    const md = readFileSync(join(env.dir, 'reports', 'killed', 'ska.md'), 'utf8');
    expect(md).toContain('Verdict: **Interrupted**.');
  });

  it('names the injected faults in its observations, the embargo violation first', () => {
    const ska = result.reports[0]!.report;
    const titles = ska.observations.map((o) => `${o.severity} ${o.title}`);
    expect(titles[0]).toBe('critical Embargo violated on SANDBOX-FAST: identity "nonmember-x509" read embargoed data over davs');
    expect(titles.some((t) => /^error \d+× connection_refused \(.*on SANDBOX-SAFE/.test(t))).toBe(true);
    expect(ska.tests.map((t) => [t.test, t.verdict])).toEqual([['upload', 'Partially'], ['replicate', 'Failed'], ['embargo', 'Failed']]);
    expect(ska.tests[1]?.reasons).toContain('no replication succeeded');
    const upload = ska.tests[0]!;
    expect(upload.criteria[0]).toMatchObject({ text: '≥ 99 % of transfers succeeded', met: false });
    expect(ska.availabilityByRse.find((a) => a.key === 'SANDBOX-FAST')?.availability).toBe(1);
    expect(ska.availabilityByRse.find((a) => a.key === 'SANDBOX-SAFE')?.upSlots).toBe(0);
    const md = readFileSync(result.reports[0]!.markdown, 'utf8');
    expect(md).toContain('### `embargo_violation` — 1× (critical)');
    expect(md).toContain('uploads, replication and embargo with faults switched on');
    // The embargo test has no description of its own: its scenario's stands in.
    expect(ska.tests[2]?.description).toBe(builtinScenarios().get('embargo')?.description);
  });

  it('marks a run stopped by its signal interrupted, with its tests Interrupted, not Not run', async () => {
    const stop = new AbortController();
    stop.abort();
    const stopped = await runJob({
      planFile: join(env.dir, 'plan.yaml'), env: env.lake.env, uid: 4_000_000, registry: builtinScenarios(),
      dbPath: join(env.dir, 'results.db'), outDir: join(env.dir, 'reports'), reporters: [], log: () => {}, signal: stop.signal,
    });
    expect(stopped.passed).toBe(false);
    const ska = stopped.reports[0]!.report;
    expect(ska.verdict).toBe('Interrupted');
    expect(ska.tests.map((t) => t.verdict)).toEqual(['Interrupted', 'Interrupted', 'Interrupted']);
    expect(ska.tests[0]?.reasons[0]).toBe(`run ${stopped.run.runId} was interrupted before this test recorded anything`);
    expect(ska.observations.map((o) => o.title)).toEqual([`Run ${stopped.run.runId} was interrupted`]);
  });

  it('regenerates the same report from the store: same folder, same files', async () => {
    const { reportJob } = await import('../../src/jobs/report.js');
    const { ResultsStore } = await import('../../src/results/store.js');
    const store = new ResultsStore(join(env.dir, 'results.db'));
    try {
      const again = await reportJob({ store, outDir: join(env.dir, 'reports'), runs: [result.run.runId] });
      expect(again.written?.dir).toBe(result.reportDir);
      expect(again.written?.divertedFrom).toBeUndefined();
      expect(again.report.experiments[0]?.tests.map((t) => t.verdict)).toEqual(result.reports[0]!.report.tests.map((t) => t.verdict));
    } finally {
      store.close();
    }
  });
});
