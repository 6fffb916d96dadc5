import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportJob } from '../../src/jobs/report.js';
import { challengeReportSchema, type ChallengeReport, type ExperimentReport } from '../../src/report/schema.js';
import { slotSecondsFor } from '../../src/report/availability.js';
import { ResultsStore } from '../../src/results/store.js';
import { MiB, at, knownPlan, knownStore } from './known-store.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lakeprobe-challenge-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

async function known(options: { slotSeconds?: number } = {}): Promise<{ report: ChallengeReport; ska: ExperimentReport; out: string }> {
  const store = knownStore(join(dir, 'r.db'));
  try {
    const { report, written } = await reportJob({ store, outDir: join(dir, 'reports'), runs: ['run-1'], slotSeconds: options.slotSeconds ?? 300 });
    return { report, ska: report.experiments[0] as ExperimentReport, out: written?.dir ?? '' };
  } finally {
    store.close();
  }
}

describe('challenge report from a store with known operations', () => {
  it('gives each test its description, criteria, counts, volume and verdict', async () => {
    const { ska } = await known();
    expect(ska.verdict).toBe('Partially');
    expect(ska.description).toBe('SKA data challenge, March');
    expect(ska.tests.map((t) => [t.test, t.verdict, t.operations, t.failures, t.files, t.bytes, t.rses.join(' '), t.links.join(' ')])).toEqual([
      ['upload', 'Completed', 10, 3, 6, 6 * MiB, 'SITE_A SITE_B', ''],
      ['replicate', 'Partially', 7, 1, 5, 20 * MiB, 'SITE_A SITE_B SITE_C', 'SITE_A→SITE_B SITE_A→SITE_C'],
      ['embargo', 'Failed', 4, 1, 1, MiB, 'SITE_A', ''],
      ['never', 'Not run', 0, 0, 0, 0, '', ''],
    ]);
    const [upload, replicate, embargo] = ska.tests;
    expect(upload?.criteria).toEqual([{ text: '≥ 75 % of transfers succeeded', met: true, status: 'met', actual: '6 of 8 succeeded (75.0 %)', implicit: false, fullScale: '' }]);
    expect(upload?.qos).toBe('QOS=FAST');
    expect(replicate?.criteria).toEqual([
      { text: 'no operation failed', met: false, status: 'missed', actual: '1 of 7 failed (14.3 %)', implicit: false, fullScale: '' },
      { text: '3 files replicated within 600 s', met: true, status: 'met', actual: '5 files / 20.0 MiB within 600 s', implicit: false, fullScale: '' },
    ]);
    expect(replicate?.reasons).toEqual(['no operation failed: 1 of 7 failed (14.3 %)']);
    expect(embargo?.reasons).toEqual(['1 critical result', 'no operation failed: 1 of 4 failed (25.0 %)']);
    expect(replicate?.dataRateMBps).toBe((20 * MiB) / 1260 / 1e6);
    expect(embargo?.topErrors).toEqual([{ errorClass: 'embargo_violation', count: 1, example: 'an identity outside the embargo group read https://se-a.example/embargo/f1', where: 'SITE_A' }]);
  });

  it('derives the observations, critical first, each with its count and when it started and stopped', async () => {
    const { ska } = await known();
    expect(ska.observations.map((o) => [o.severity, o.kind, o.title, o.count, o.firstAt, o.lastAt])).toEqual([
      ['critical', 'embargo_violation', 'Embargo violated on SITE_A: identity "nonmember" read embargoed data over davs', 1, at(1800), at(1800.2)],
      ['error', 'error_class', '2× connection_refused (2× upload [x509] on SITE_B)', 2, at(361), at(661.007)],
      ['error', 'error_class', '1× auth_invalid (1× auth [token])', 1, at(1), at(1.03)],
      ['error', 'error_class', '1× rule_stuck (1× replicate [x509] on SITE_B)', 1, at(1200), at(1260)],
      ['error', 'stuck_rule', '1 rule stuck or not OK in time on SITE_A→SITE_B', 1, at(1200), at(1260)],
      ['error', 'credential', 'token login failed 1× in test upload (auth_invalid): the test did not run with this method', 1, at(1), at(1.03)],
      ['info', 'slowest_link', 'Slowest link SITE_A→SITE_C', 2, '', ''],
      ['info', 'fastest_link', 'Fastest link SITE_A→SITE_B', 4, '', ''],
    ]);
    expect(ska.observations[1]?.detail).toContain('Example: PUT https://se-b.example:1094/store/f2: connect ECONNREFUSED 10.0.0.5:1094');
    expect(ska.observations[4]?.detail).toContain('Rules: 6f1a0c2e-1111-4222-8333-444455556666.');
    expect(ska.observations[6]?.detail).toBe('SITE_A→SITE_C: 1.05 MB/s, p95 1 s per file, 100.0 % ok');
  });

  it('groups why things failed by class and normalised message, critical first, then by total', async () => {
    const { ska } = await known();
    expect(ska.failures.map((g) => [g.errorClass, g.severity, g.count, g.message])).toEqual([
      ['embargo_violation', 'critical', 1, 'an identity outside the embargo group read <url>'],
      ['connection_refused', 'error', 2, 'PUT <url> connect ECONNREFUSED <address>'],
      ['auth_invalid', 'error', 1, 'token from <url> rejected: <n>'],
      ['rule_stuck', 'error', 1, 'rule <id> went STUCK: no source available'],
    ]);
    expect(ska.failures[1]?.where).toEqual([{ operation: 'upload', authMethod: 'x509', rse: 'SITE_B', count: 2 }]);
  });

  it('computes the link matrix, throughput per size class and time-to-replicate percentiles', async () => {
    const { ska } = await known();
    expect(ska.links).toEqual([
      { src: 'SITE_A', dst: 'SITE_B', attempts: 4, successes: 3, successRate: 0.75, p50Ms: 4000, p95Ms: 8000, bytes: 18 * MiB, mbPerS: (18 * MiB) / 14 / 1e6 },
      { src: 'SITE_A', dst: 'SITE_C', attempts: 2, successes: 2, successRate: 1, p50Ms: 1000, p95Ms: 1000, bytes: 2 * MiB, mbPerS: (2 * MiB) / 2 / 1e6 },
    ]);
    expect(ska.linkSizes.map((s) => [s.src, s.dst, s.sizeClass, s.attempts, s.successes, s.mbPerS, s.best])).toEqual([
      ['SITE_A', 'SITE_B', '1MiB', 3, 2, (2 * MiB) / 6 / 1e6, false],
      ['SITE_A', 'SITE_B', '16MiB', 1, 1, (16 * MiB) / 8 / 1e6, true],
      ['SITE_A', 'SITE_C', '1MiB', 2, 2, (2 * MiB) / 2 / 1e6, true],
    ]);
    expect(ska.replication).toEqual([
      { src: 'SITE_A', dst: 'SITE_B', attempts: 4, count: 3, p50Ms: 4000, p90Ms: 8000, p95Ms: 8000, p99Ms: 8000, maxMs: 8000 },
      { src: 'SITE_A', dst: 'SITE_C', attempts: 2, count: 2, p50Ms: 1000, p90Ms: 1000, p95Ms: 1000, p99Ms: 1000, maxMs: 1000 },
    ]);
  });

  it('computes availability as the share of exercised 5-minute slots with a success, per RSE and per test', async () => {
    const { ska, report } = await known();
    expect(report.slotSeconds).toBe(300);
    expect(ska.availabilityByRse.map((a) => [a.key, a.upSlots, a.slots])).toEqual([['SITE_A', 5, 6], ['SITE_B', 2, 5], ['SITE_C', 1, 1]]);
    expect(ska.availabilityByRse[1]?.availability).toBe(0.4);
    expect(ska.availabilityByTest.map((a) => [a.key, a.upSlots, a.slots])).toEqual([['embargo', 1, 2], ['replicate', 2, 3], ['upload', 4, 4]]);
    // SITE_A: 4 uploads + embargo upload, access ok, access violated; SITE_B: 4 uploads (2 refused) + 4 replications in (1 stuck).
    expect(ska.daily).toEqual([
      { day: '2026-03-01', rse: 'SITE_A', attempts: 7, successes: 6, successRate: 6 / 7 },
      { day: '2026-03-01', rse: 'SITE_B', attempts: 8, successes: 5, successRate: 5 / 8 },
      { day: '2026-03-01', rse: 'SITE_C', attempts: 2, successes: 2, successRate: 1 },
    ]);
    expect(ska.successOverTime.map((b) => [b.start, b.successes, b.attempts])).toEqual([
      [at(0), 7, 8], [at(300), 3, 4], [at(600), 1, 2], [at(900), 2, 2], [at(1200), 0, 1], [at(1500), 3, 3], [at(1800), 0, 1],
    ]);
  });

  it('has the auth matrix per test, login failures and the embargo matrix', async () => {
    const { ska } = await known();
    expect(ska.authFailures).toEqual([
      { test: 'embargo', authMethod: 'x509', attempts: 1, failures: 0, errorClasses: [], loggedIn: true },
      { test: 'replicate', authMethod: 'x509', attempts: 1, failures: 0, errorClasses: [], loggedIn: true },
      { test: 'upload', authMethod: 'token', attempts: 1, failures: 1, errorClasses: ['auth_invalid'], loggedIn: false },
      { test: 'upload', authMethod: 'x509', attempts: 1, failures: 0, errorClasses: [], loggedIn: true },
    ]);
    expect(ska.authMatrix.filter((c) => c.test === 'upload')).toEqual([
      { test: 'upload', authMethod: 'x509', rse: 'SITE_A', operation: 'upload', attempts: 4, failures: 0, errorClasses: [] },
      { test: 'upload', authMethod: 'x509', rse: 'SITE_B', operation: 'upload', attempts: 4, failures: 2, errorClasses: ['connection_refused'] },
    ]);
    expect(ska.embargo).toEqual([
      { identity: 'default', operation: 'access', accessPath: 'davs', rse: 'SITE_A', attempts: 1, ok: 1, violations: 0, otherFailures: 0 },
      { identity: 'default', operation: 'upload', accessPath: 'davs', rse: 'SITE_A', attempts: 1, ok: 1, violations: 0, otherFailures: 0 },
      { identity: 'nonmember', operation: 'access', accessPath: 'davs', rse: 'SITE_A', attempts: 1, ok: 0, violations: 1, otherFailures: 0 },
    ]);
  });

  it('writes the challenge table in the shape of the DAC21 one', async () => {
    const { report } = await known();
    expect(report.summary).toEqual([
      { experiment: 'SKA', test: 'upload', description: 'upload 1 MiB files to every RSE', successMetric: '≥ 75 % of transfers succeeded', volume: '6 files / 6.0 MiB', dataRate: '6.54 kB/s', qos: 'QOS=FAST', rses: 'SITE_A, SITE_B', scale: '1', completed: 'Completed' },
      { experiment: 'SKA', test: 'replicate', description: 'replicate from SITE_A', successMetric: 'no operation failed; 3 files replicated within 600 s', volume: '5 files / 20.0 MiB', dataRate: '16.6 kB/s', qos: '–', rses: 'SITE_A, SITE_B, SITE_C', scale: '1', completed: 'Partially' },
      { experiment: 'SKA', test: 'embargo', description: 'outsiders cannot read embargoed data', successMetric: 'no operation failed', volume: '1 file / 1.0 MiB', dataRate: '103 kB/s', qos: '–', rses: 'SITE_A', scale: '1', completed: 'Failed' },
      { experiment: 'SKA', test: 'never', description: '', successMetric: 'no operation failed', volume: '0 files / 0 B', dataRate: '–', qos: '–', rses: '', scale: '1', completed: 'Not run' },
    ]);
  });

  it('writes every format, and report.json validates against the report schema', async () => {
    const { out } = await known();
    const files = readdirSync(out).sort();
    for (const f of ['summary.md', 'summary.csv', 'summary.html', 'report.json', 'junit.xml', 'SKA.md', 'SKA.html', 'SKA.csv', 'SKA.json', 'SKA.junit.xml',
      'SKA.links.csv', 'SKA.link-sizes.csv', 'SKA.time-to-replicate.csv', 'SKA.success-over-time.csv', 'SKA.availability-rse.csv',
      'SKA.availability-test.csv', 'SKA.daily.csv', 'SKA.auth.csv', 'SKA.embargo.csv', 'SKA.observations.csv', 'SKA.failures.csv', 'SKA.tests.csv']) {
      expect(files).toContain(f);
    }
    const parsed = challengeReportSchema.safeParse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
    expect(parsed.success).toBe(true);
    expect(readFileSync(join(out, 'SKA.availability-rse.csv'), 'utf8')).toBe('rse,slots,up_slots,availability\nSITE_A,6,5,0.8333\nSITE_B,5,2,0.4000\nSITE_C,1,1,1.0000\n');
  });

  it('chooses the slot length from the window: at most 200 slots', () => {
    expect(slotSecondsFor(0, 30 * 60_000)).toBe(60);
    expect(slotSecondsFor(0, 7 * 86_400_000)).toBe(3600);
    expect(slotSecondsFor(0, 366 * 86_400_000)).toBe(7 * 86400);
  });
});

describe('regenerating an earlier run\'s report (stored plan)', () => {
  it('keeps the verdicts of the criteria stored with the run, whatever plan is given later, and says so', async () => {
    const store = knownStore(join(dir, 'r.db'));
    try {
      const first = await reportJob({ store, outDir: join(dir, 'a'), runs: ['run-1'] });
      // The plan file changed since: upload now wants 100 % of transfers.
      const again = await reportJob({ store, outDir: join(dir, 'b'), runs: ['run-1'], plan: knownPlan({ upload: 1 }) });
      expect(again.report.experiments[0]?.tests.map((t) => t.verdict)).toEqual(first.report.experiments[0]?.tests.map((t) => t.verdict));
      expect(again.report.notes[0]).toMatch(/^Run run-1 was recorded with plan [0-9a-f]{12}; \/plans\/dac-mini\.yaml is now [0-9a-f]{12}: its verdicts use the criteria stored with the run\.$/);
      expect(again.report.selection.runs[0]?.planHash).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      store.close();
    }
  });

  it('writes the same files again into the same folder, and never overwrites a report with a different one', async () => {
    const store = knownStore(join(dir, 'r.db'));
    try {
      const first = await reportJob({ store, outDir: join(dir, 'reports'), runs: ['run-1'] });
      const md = readFileSync(join(first.written!.dir, 'SKA.md'), 'utf8');
      const same = await reportJob({ store, outDir: join(dir, 'reports'), runs: ['run-1'] });
      expect(same.written?.dir).toBe(first.written?.dir);
      expect(same.written?.divertedFrom).toBeUndefined();
      // Something changes what the report says (here: a hand edit standing in for newer results).
      writeFileSync(join(first.written!.dir, 'SKA.md'), `${md}\nedited by hand\n`);
      const lines: string[] = [];
      const other = await reportJob({ store, outDir: join(dir, 'reports'), runs: ['run-1'], log: (l) => lines.push(l) });
      expect(other.written?.dir).not.toBe(first.written?.dir);
      expect(other.written?.divertedFrom).toBe(first.written?.dir);
      expect(readFileSync(join(first.written!.dir, 'SKA.md'), 'utf8')).toBe(`${md}\nedited by hand\n`);
      expect(readFileSync(join(other.written!.dir, 'SKA.md'), 'utf8')).toBe(md);
      expect(lines.join('\n')).toContain('holds a different report of the same name');
    } finally {
      store.close();
    }
  });

  it('judges a run from before stored plans by the given plan, or by the default criterion, and says which', async () => {
    const store = new ResultsStore(join(dir, 'old.db'));
    try {
      store.onBegin({ runId: 'old', planName: 'dac-mini', planFile: '/plans/dac-mini.yaml', startedAt: at(0) });
      store.onResult(knownStoreResult());
      store.onEnd({ runId: 'old', planName: 'dac-mini', planFile: 'x', startedAt: at(0) }, { total: 1, failed: 0, finishedAt: at(10) });
      const bare = await reportJob({ store, outDir: join(dir, 'r'), runs: ['old'], write: false });
      expect(bare.report.notes).toEqual(['Run old has no stored plan and no --plan was given: tests are judged by the default criterion (no operation failed).']);
      const withPlan = await reportJob({ store, outDir: join(dir, 'r'), runs: ['old'], plan: knownPlan(), write: false });
      expect(withPlan.report.notes).toEqual(['Run old has no stored plan: its descriptions and criteria come from /plans/dac-mini.yaml.']);
      expect(withPlan.report.experiments[0]?.tests[0]?.description).toBe('upload 1 MiB files to every RSE');
    } finally {
      store.close();
    }
  });

  it('says once, for all the runs it concerns, what a report over many runs could not judge', async () => {
    const store = new ResultsStore(join(dir, 'many.db'));
    try {
      const ids = Array.from({ length: 8 }, (_, i) => `old${i}`);
      for (const [i, runId] of ids.entries()) {
        store.onBegin({ runId, planName: 'dac-mini', planFile: '/plans/dac-mini.yaml', startedAt: at(i * 60) });
        store.onResult({ ...knownStoreResult(), runId, start: at(i * 60 + 1) });
        store.onEnd({ runId, planName: 'dac-mini', planFile: 'x', startedAt: at(i * 60) }, { total: 1, failed: 0, finishedAt: at(i * 60 + 10) });
      }
      const bare = await reportJob({ store, outDir: join(dir, 'r'), runs: ids, write: false });
      expect(bare.report.notes).toEqual([
        '8 runs (old0, old1, old2, old3, old4 and 3 more) have no stored plan and no --plan was given: tests are judged by the default criterion (no operation failed).',
      ]);
      const withPlan = await reportJob({ store, outDir: join(dir, 'r'), runs: ids.slice(0, 2), plan: knownPlan(), write: false });
      expect(withPlan.report.notes).toEqual(['2 runs (old0, old1) have no stored plan: their descriptions and criteria come from /plans/dac-mini.yaml.']);
    } finally {
      store.close();
    }
  });
});

function knownStoreResult() {
  return { ...JSON.parse(JSON.stringify({ runId: 'old', experiment: 'SKA', test: 'upload', scenario: 'upload', operation: 'upload',
    rse: 'SITE_A', srcRse: '', dstRse: '', protocol: 'davs', authMethod: 'x509', identityRole: 'default', bytes: MiB, sizeClass: '1MiB',
    start: at(1), durationMs: 100, outcome: 'ok', severity: 'info', errorClass: null, errorMessage: '', ruleId: '', requestId: '' })) };
}

describe('time windows and sets of runs', () => {
  it('reports every run that recorded operations in [from, to), and only those operations', async () => {
    const store = knownStore(join(dir, 'r.db'));
    try {
      const { report, written } = await reportJob({ store, outDir: join(dir, 'w'), from: at(300), to: at(900), slotSeconds: 300 });
      expect(report.selection).toMatchObject({ from: at(300), to: at(900) });
      const ska = report.experiments[0]!;
      expect(ska.rows.reduce((n, r) => n + r.count, 0)).toBe(6);
      expect(ska.tests.map((t) => [t.test, t.operations])).toEqual([['upload', 4], ['replicate', 2], ['embargo', 0], ['never', 0]]);
      expect(written?.dir).toBe(join(dir, 'w', `window-${at(300)}-${at(900)}`.replace(/:/g, '_')));
    } finally {
      store.close();
    }
  });

  it('refuses a time that is not ISO-8601, naming the option', async () => {
    const store = knownStore();
    try {
      await expect(reportJob({ store, outDir: dir, from: 'yesterday' })).rejects.toThrow('--from "yesterday" is not a time');
      await expect(reportJob({ store, outDir: dir, runs: ['nope'] })).rejects.toThrow('no run "nope" in the results store');
    } finally {
      store.close();
    }
  });
});
