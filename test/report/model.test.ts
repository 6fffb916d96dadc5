import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { buildExperimentReport, percentile } from '../../src/report/model.js';
import { opResult } from '../helpers/op-result.js';

const MiB = 1024 * 1024;

const result = (overrides: Partial<OpResult>): OpResult => opResult(overrides);

function failed(overrides: Partial<OpResult>): OpResult {
  return result({ outcome: 'failed', errorClass: 'unknown', errorMessage: 'boom', ...overrides });
}

describe('percentile (nearest rank)', () => {
  const oneToTwenty = [13, 2, 20, 7, 1, 19, 4, 11, 16, 5, 9, 18, 3, 14, 8, 17, 6, 12, 15, 10];

  it('picks the value at rank ceil(p/100 × n) of the sorted list', () => {
    expect(percentile(oneToTwenty, 50)).toBe(10);
    expect(percentile(oneToTwenty, 95)).toBe(19);
    expect(percentile(oneToTwenty, 100)).toBe(20);
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile([100, 500, 1500], 95)).toBe(1500);
  });

  it('returns the smallest value for p = 0 and the only value of a single-element list', () => {
    expect(percentile(oneToTwenty, 0)).toBe(1);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 95)).toBe(7);
  });

  it('returns 0 for an empty list', () => {
    expect(percentile([], 95)).toBe(0);
  });

  it('sorts numerically, not as text, and leaves the input alone', () => {
    const values = [100, 9, 20];
    expect(percentile(values, 50)).toBe(20);
    expect(values).toEqual([100, 9, 20]);
  });
});

describe('buildExperimentReport rows', () => {
  it('groups by RSE × operation × auth × protocol and sorts the rows', () => {
    const report = buildExperimentReport('run-1', 'ska', [
      result({ rse: 'SITE_B', operation: 'upload' }),
      result({ rse: 'SITE_A', operation: 'upload', authMethod: 'token' }),
      result({ rse: 'SITE_A', operation: 'upload' }),
      result({ rse: 'SITE_A', operation: 'upload', protocol: 'root' }),
      result({ rse: 'SITE_A', operation: 'download' }),
      result({ rse: 'SITE_A', operation: 'upload' }),
      result({ rse: '', operation: 'auth', protocol: 'rucio' }),
    ]);
    expect(report.rows.map((r) => [r.rse, r.operation, r.authMethod, r.protocol, r.count])).toEqual([
      ['-', 'auth', 'x509', 'rucio', 1],
      ['SITE_A', 'download', 'x509', 'davs', 1],
      ['SITE_A', 'upload', 'token', 'davs', 1],
      ['SITE_A', 'upload', 'x509', 'davs', 2],
      ['SITE_A', 'upload', 'x509', 'root', 1],
      ['SITE_B', 'upload', 'x509', 'davs', 1],
    ]);
  });

  it('ignores results of other experiments', () => {
    const report = buildExperimentReport('run-1', 'ska', [
      result({ experiment: 'cta', durationMs: 999 }),
      result({ durationMs: 10 }),
    ]);
    expect(report.experiment).toBe('ska');
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0]?.count).toBe(1);
    expect(report.rows[0]?.p95Ms).toBe(10);
  });

  it('counts failures per error class, and none for successes', () => {
    const report = buildExperimentReport('run-1', 'ska', [
      result({ operation: 'rule' }),
      failed({ operation: 'rule', errorClass: 'quota' }),
      failed({ operation: 'rule', errorClass: 'auth_denied' }),
      failed({ operation: 'rule', errorClass: 'quota' }),
      result({ operation: 'rule' }),
    ]);
    const [row] = report.rows;
    expect(row?.count).toBe(5);
    expect(row?.failures).toBe(3);
    expect(row?.failuresByClass).toEqual({ quota: 2, auth_denied: 1 });
  });

  it('takes p50 and p95 over all durations of the row, failed ones included', () => {
    const report = buildExperimentReport('run-1', 'ska', [
      result({ durationMs: 500 }), result({ durationMs: 1500 }), failed({ durationMs: 100 }),
    ]);
    expect(report.rows[0]?.p50Ms).toBe(500);
    expect(report.rows[0]?.p95Ms).toBe(1500);
  });

  it('computes throughput as bytes / summed duration of successful uploads and downloads only', () => {
    const report = buildExperimentReport('run-1', 'ska', [
      result({ operation: 'upload', bytes: 1 * MiB, durationMs: 500 }),
      result({ operation: 'upload', bytes: 3 * MiB, durationMs: 1500 }),
      failed({ operation: 'upload', bytes: 8 * MiB, durationMs: 100 }),
      result({ operation: 'download', bytes: 10 * MiB, durationMs: 4000 }),
      result({ operation: 'download', bytes: 0, durationMs: 3000 }),
      result({ operation: 'verify', bytes: 1 * MiB, durationMs: 200 }),
    ]);
    const byOp = Object.fromEntries(report.rows.map((r) => [r.operation, r]));
    // 4 MiB in 2 s; the failed 8 MiB upload moves nothing.
    expect(byOp.upload?.bytes).toBe(4 * MiB);
    expect(byOp.upload?.throughputBps).toBe(2 * MiB);
    // 10 MiB in 4 s; an operation that moved no bytes does not dilute the rate.
    expect(byOp.download?.bytes).toBe(10 * MiB);
    expect(byOp.download?.throughputBps).toBe(2.5 * MiB);
    // verify reads a checksum, it does not move the file.
    expect(byOp.verify?.bytes).toBe(0);
    expect(byOp.verify?.throughputBps).toBe(0);
  });

  it('also rates successful replications, like the transferred-bytes metric does', () => {
    const report = buildExperimentReport('run-1', 'ska', [
      result({ operation: 'replicate', rse: 'SITE_B', srcRse: 'SITE_A', dstRse: 'SITE_B', protocol: 'rucio', bytes: 8 * MiB, durationMs: 4000 }),
    ]);
    expect(report.rows[0]).toMatchObject({ operation: 'replicate', bytes: 8 * MiB, throughputBps: 2 * MiB });
  });

  it('reports zero throughput when the successful data operations took no time', () => {
    const report = buildExperimentReport('run-1', 'ska', [result({ bytes: MiB, durationMs: 0 })]);
    expect(report.rows[0]?.bytes).toBe(MiB);
    expect(report.rows[0]?.throughputBps).toBe(0);
  });

  it('starts at the first result of the experiment, and is empty without results', () => {
    const report = buildExperimentReport('run-1', 'ska', [
      result({ experiment: 'cta', start: '2024-01-01T00:00:00.000Z' }),
      result({ start: '2024-03-01T10:00:05.000Z' }),
      result({ start: '2024-03-01T10:00:09.000Z' }),
    ]);
    expect(report.startedAt).toBe('2024-03-01T10:00:05.000Z');
    const empty = buildExperimentReport('run-1', 'ska', []);
    expect(empty).toEqual({ runId: 'run-1', experiment: 'ska', startedAt: '', rows: [], tests: [], failureSamples: [] });
  });
});

describe('buildExperimentReport verdicts', () => {
  const results = [
    result({ test: 'clean', scenario: 'upload', durationMs: 50 }),
    result({ test: 'clean', scenario: 'upload', durationMs: 60 }),
    result({ test: 'flaky', scenario: 'replication', durationMs: 100 }),
    result({ test: 'flaky', scenario: 'replication', durationMs: 200 }),
    result({ test: 'flaky', scenario: 'replication', durationMs: 300 }),
    failed({ test: 'flaky', scenario: 'replication', durationMs: 4000 }),
  ];

  it('fails any test with a failure when no criteria are given (default max failure rate 0)', () => {
    const { tests } = buildExperimentReport('run-1', 'ska', results);
    expect(tests).toEqual([
      { test: 'clean', scenario: 'upload', count: 2, failures: 0, failureRate: 0, p95Ms: 60, passed: true, reasons: [] },
      {
        test: 'flaky', scenario: 'replication', count: 4, failures: 1, failureRate: 0.25, p95Ms: 4000,
        passed: false, reasons: ['failure rate 25.0% > 0.0%'],
      },
    ]);
  });

  it('passes a test whose failure rate is at most maxFailureRate', () => {
    const { tests } = buildExperimentReport('run-1', 'ska', results, { flaky: { maxFailureRate: 0.25 } });
    expect(tests[1]).toMatchObject({ test: 'flaky', passed: true, reasons: [] });
  });

  it('fails a test above maxFailureRate, saying by how much', () => {
    const { tests } = buildExperimentReport('run-1', 'ska', results, { flaky: { maxFailureRate: 0.2 } });
    expect(tests[1]).toMatchObject({ passed: false, reasons: ['failure rate 25.0% > 20.0%'] });
  });

  it('fails a test whose p95 exceeds maxP95Ms, with every reason listed', () => {
    const { tests } = buildExperimentReport('run-1', 'ska', results, {
      clean: { maxP95Ms: 60 },
      flaky: { maxFailureRate: 0.1, maxP95Ms: 1000 },
    });
    expect(tests[0]).toMatchObject({ test: 'clean', passed: true });
    expect(tests[1]).toMatchObject({
      test: 'flaky', passed: false, reasons: ['failure rate 25.0% > 10.0%', 'p95 4000 ms > 1000 ms'],
    });
  });

  it('applies criteria only to the test they are given for', () => {
    const { tests } = buildExperimentReport('run-1', 'ska', results, { clean: { maxFailureRate: 1 } });
    expect(tests.map((t) => t.passed)).toEqual([true, false]);
  });
});

describe('buildExperimentReport failure samples', () => {
  it('groups identical failures, counts them and puts the most frequent first', () => {
    const denied = 'PUT https://se.example/f: 403 permission denied';
    const report = buildExperimentReport('run-1', 'ska', [
      failed({ operation: 'rule', errorClass: 'quota', errorMessage: 'no quota left' }),
      failed({ operation: 'upload', errorClass: 'auth_denied', errorMessage: denied }),
      failed({ operation: 'upload', errorClass: 'auth_denied', errorMessage: denied }),
      failed({ operation: 'upload', errorClass: 'auth_denied', errorMessage: denied, rse: 'SITE_B' }),
      failed({ operation: 'upload', errorClass: 'auth_denied', errorMessage: denied }),
      failed({ operation: 'auth', rse: '', errorClass: 'auth_expired', errorMessage: 'proxy expired' }),
      result({ operation: 'upload' }),
    ]);
    expect(report.failureSamples).toEqual([
      { errorClass: 'auth_denied', operation: 'upload', rse: 'SITE_A', message: denied, count: 3 },
      { errorClass: 'quota', operation: 'rule', rse: 'SITE_A', message: 'no quota left', count: 1 },
      { errorClass: 'auth_denied', operation: 'upload', rse: 'SITE_B', message: denied, count: 1 },
      { errorClass: 'auth_expired', operation: 'auth', rse: '-', message: 'proxy expired', count: 1 },
    ]);
  });

  it('keeps different messages of the same class apart', () => {
    const report = buildExperimentReport('run-1', 'ska', [
      failed({ errorClass: 'timeout', errorMessage: 'timed out after 30 s' }),
      failed({ errorClass: 'timeout', errorMessage: 'timed out after 60 s' }),
    ]);
    expect(report.failureSamples.map((s) => [s.message, s.count])).toEqual([
      ['timed out after 30 s', 1], ['timed out after 60 s', 1],
    ]);
  });
});
