import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { normaliseMessage, operationRows, percentile } from '../../src/report/model.js';
import { evaluateCriteria, testReport } from '../../src/report/verdicts.js';
import { failureGroups, placesText } from '../../src/report/failures.js';
import type { TestSnapshot } from '../../src/results/plan-snapshot.js';
import { opResult } from '../helpers/op-result.js';

const MiB = 1024 * 1024;

const result = (overrides: Partial<OpResult>): OpResult => opResult(overrides);

function failed(overrides: Partial<OpResult>): OpResult {
  return result({ outcome: 'failed', severity: 'error', errorClass: 'unknown', errorMessage: 'boom', ...overrides });
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

const rowsReport = (rs: OpResult[]): { rows: ReturnType<typeof operationRows> } => ({ rows: operationRows(rs) });

describe('operationRows', () => {
  it('groups by RSE × operation × auth × protocol and sorts the rows', () => {
    const report = rowsReport([
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

  it('counts failures per error class, and none for successes', () => {
    const report = rowsReport([
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
    const report = rowsReport([
      result({ durationMs: 500 }), result({ durationMs: 1500 }), failed({ durationMs: 100 }),
    ]);
    expect(report.rows[0]?.p50Ms).toBe(500);
    expect(report.rows[0]?.p95Ms).toBe(1500);
  });

  it('computes throughput as bytes / wall time of successful uploads and downloads only, overlaps counted once', () => {
    const t = (seconds: number): string => new Date(Date.parse('2024-03-01T10:00:00.000Z') + seconds * 1000).toISOString();
    const report = rowsReport([
      result({ operation: 'upload', bytes: 1 * MiB, durationMs: 500, start: t(0) }),
      result({ operation: 'upload', bytes: 3 * MiB, durationMs: 1500, start: t(10) }),
      failed({ operation: 'upload', bytes: 8 * MiB, durationMs: 100, start: t(20) }),
      // Two downloads side by side for the same 4 s: 10 MiB over 4 s of wall time, not 8 s.
      result({ operation: 'download', bytes: 4 * MiB, durationMs: 4000, start: t(0) }),
      result({ operation: 'download', bytes: 6 * MiB, durationMs: 4000, start: t(0) }),
      result({ operation: 'download', bytes: 0, durationMs: 3000, start: t(30) }),
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

  it('rates the file transfers of a replication, never its rule-level result (a rule is not a file)', () => {
    const report = rowsReport([
      result({ operation: 'replicate', rse: 'SITE_B', srcRse: 'SITE_A', dstRse: 'SITE_B', protocol: 'rucio', bytes: 8 * MiB, durationMs: 4000, ruleId: 'r1' }),
      ...[1, 2].map((i) => result({
        operation: 'replicate', rse: 'SITE_B', srcRse: 'SITE_A', dstRse: 'SITE_B', protocol: 'https-tpc', bytes: 4 * MiB, durationMs: 4000, ruleId: 'r1', requestId: `q${i}`,
      })),
    ]);
    expect(report.rows.map((r) => [r.protocol, r.count, r.bytes, r.throughputBps])).toEqual([['https-tpc', 2, 8 * MiB, 2 * MiB], ['rucio', 1, 0, 0]]);
  });

  it('reports zero throughput when the successful data operations took no time', () => {
    const report = rowsReport([result({ bytes: MiB, durationMs: 0 })]);
    expect(report.rows[0]?.bytes).toBe(MiB);
    expect(report.rows[0]?.throughputBps).toBe(0);
  });
});

const snapshot = (success: TestSnapshot['success'] = {}): TestSnapshot => ({
  name: 'flaky', scenario: 'upload', description: 'upload to every RSE', auth: null, params: '{}', success,
});

describe('success criteria', () => {
  const results = [
    result({ test: 'flaky', operation: 'auth', rse: '', durationMs: 50 }),
    result({ test: 'flaky', operation: 'upload', bytes: MiB, durationMs: 100 }),
    result({ test: 'flaky', operation: 'upload', bytes: MiB, durationMs: 200 }),
    result({ test: 'flaky', operation: 'upload', bytes: MiB, durationMs: 300 }),
    failed({ test: 'flaky', operation: 'upload', durationMs: 4000 }),
  ];

  it('judges a test without criteria by the default one: no operation failed', () => {
    expect(evaluateCriteria(results, {})).toEqual([
      { text: 'no operation failed', met: false, status: 'missed', actual: '1 of 5 failed (20.0 %)', implicit: true, fullScale: '' },
    ]);
  });

  it('states each criterion as the plan does, with what was measured', () => {
    expect(evaluateCriteria(results, { maxFailureRate: 0.25, minSuccessRate: 0.75, maxP95Ms: 1000, minFiles: 3, minBytes: 4 * MiB })).toEqual([
      { text: '≤ 25 % of operations failed', met: true, status: 'met', actual: '1 of 5 failed (20.0 %)', implicit: false, fullScale: '' },
      { text: '≥ 75 % of transfers succeeded', met: true, status: 'met', actual: '3 of 4 succeeded (75.0 %)', implicit: false, fullScale: '' },
      { text: 'p95 ≤ 1000 ms', met: false, status: 'missed', actual: 'p95 4000 ms', implicit: false, fullScale: '' },
      { text: '3 files / 4.0 MiB uploaded', met: false, status: 'missed', actual: '3 files / 3.0 MiB', implicit: false, fullScale: '' },
    ]);
  });

  it('counts volume only within within_seconds of the test\'s first operation in each run', () => {
    const t0 = Date.parse('2024-03-01T10:00:00.000Z');
    const at = (s: number): string => new Date(t0 + s * 1000).toISOString();
    const rs = [
      result({ operation: 'auth', start: at(0) }),
      result({ operation: 'replicate', bytes: MiB, start: at(10), durationMs: 5000 }),
      result({ operation: 'replicate', bytes: MiB, start: at(50), durationMs: 20_000 }),
      result({ runId: 'run-2', operation: 'replicate', bytes: MiB, start: at(1000), durationMs: 1000 }),
    ];
    expect(evaluateCriteria(rs, { minFiles: 3, withinSeconds: 60 }, 'replicate').at(-1)).toEqual({
      text: '3 files replicated within 60 s', met: false, status: 'missed', actual: '2 files / 2.0 MiB within 60 s', implicit: false, fullScale: '',
    });
  });

  it('gives Completed, Partially, Failed and Not run as the criteria and results say', () => {
    const judge = (rs: OpResult[], s: TestSnapshot['success'] = {}) => testReport({ experiment: 'ska', snapshot: snapshot(s), results: rs, interruptedRuns: new Set() });
    expect(judge(results, { maxFailureRate: 0.25 }).verdict).toBe('Completed');
    expect(judge(results).verdict).toBe('Partially');
    expect(judge([result({ operation: 'auth' }), failed({ operation: 'upload' })]).verdict).toBe('Failed');
    expect(judge([]).verdict).toBe('Not run');
    const critical = judge([...results, failed({ test: 'flaky', operation: 'verify', errorClass: 'checksum_mismatch', severity: 'critical' })], { maxFailureRate: 1 });
    expect(critical.verdict).toBe('Failed');
    expect(critical.reasons[0]).toBe('1 critical result');
  });

  it('says Interrupted when a run of the test never finished, whatever the criteria', () => {
    const t = testReport({ experiment: 'ska', snapshot: snapshot({ maxFailureRate: 1 }), results, interruptedRuns: new Set(['run-1']) });
    expect(t.verdict).toBe('Interrupted');
    expect(t.reasons).toEqual(['run run-1 was interrupted']);
  });
});

describe('failure groups', () => {
  it('groups by class and normalised message, whatever URL, id or number they name, largest first', () => {
    const groups = failureGroups([
      failed({ errorClass: 'timeout', errorMessage: 'timed out after 30 s' }),
      ...Array.from({ length: 8 }, (_, i) => failed({ errorClass: 'auth_denied', rse: i % 2 ? 'SITE_B' : 'SITE_A', errorMessage: `PUT https://se${i}.example/f${i}: 403 permission denied` })),
      failed({ operation: 'auth', rse: '', authMethod: 'token', errorClass: 'auth_invalid', errorMessage: 'token 0a1b2c3d4e5f6a7b rejected' }),
      failed({ errorClass: 'timeout', errorMessage: 'timed out after 60 s' }),
    ]);
    expect(groups.map((g) => [g.errorClass, g.message, g.count])).toEqual([
      ['auth_denied', 'PUT <url> <n> permission denied', 8],
      ['timeout', 'timed out after <n> s', 2],
      ['auth_invalid', 'token <id> rejected', 1],
    ]);
    expect(placesText(groups[0]!)).toBe('4× upload [x509] on SITE_A, 4× upload [x509] on SITE_B');
    expect(placesText(groups[2]!)).toBe('1× auth [token]');
    expect(groups[0]?.example).toBe('PUT https://se0.example/f0: 403 permission denied');
  });

  it('puts critical groups first, however few', () => {
    const groups = failureGroups([
      failed({ errorClass: 'timeout' }), failed({ errorClass: 'timeout' }),
      failed({ operation: 'access', errorClass: 'embargo_violation', severity: 'critical', errorMessage: 'read it' }),
    ]);
    expect(groups.map((g) => [g.errorClass, g.severity])).toEqual([['embargo_violation', 'critical'], ['timeout', 'error']]);
  });

  it('normalises URLs, times, uuids, hex ids and numbers', () => {
    expect(normaliseMessage('GET root://se.example:1094//a/b?x=1 at 2026-03-01T10:00:00.123Z rule 6f1a0c2e-1111-4222-8333-444455556666 req deadbeef99 took 12.5 s'))
      .toBe('GET <url> at <time> rule <id> req <id> took <n> s');
  });

  it('never cuts a word or a name apart: x509, adler32 and an address stay whole', () => {
    expect(normaliseMessage("the outsider's x509 credential was refused by 127.0.0.1:33299 (adler32 mismatch, 3 of 4)"))
      .toBe("the outsider's x509 credential was refused by <address> (adler32 mismatch, <n> of <n>)");
    expect(normaliseMessage('at Wed, 25 Nov 2026 00:04:25 UTC after 250ms, 12.5%')).toBe('at <time> after <n>ms, <n>%');
  });

  it('makes one section of one root cause over many files, rules, RSEs and addresses, counting every place', () => {
    const transfer = (i: number): OpResult => failed({
      runId: 'run-7', operation: 'replicate', protocol: 'https-tpc', errorClass: 'rule_stuck', rse: `SITE_${i % 14}`, srcRse: 'SITE_X', dstRse: `SITE_${i % 14}`,
      start: new Date(Date.parse('2024-03-01T10:00:00.000Z') + i * 1000).toISOString(), durationMs: 500,
      errorMessage: `transfer ${i.toString(16).padStart(32, 'a')} of user.root:lakeprobe.run-7.t.x509.f${i} to SITE_${i % 14} is FAILED: `
        + `copy from https://10.0.0.${i % 3}:${1094 + i}/data/f${i} refused by 10.0.0.${i % 3}:${1094 + i}`,
    });
    const groups = failureGroups(Array.from({ length: 26 }, (_, i) => transfer(i)));
    expect(groups.map((g) => [g.errorClass, g.count, g.places])).toEqual([['rule_stuck', 26, 14]]);
    expect(groups[0]?.message).toBe('transfer <id> of <did> to <rse> is FAILED: copy from <url> refused by <address>');
    expect([groups[0]?.firstAt, groups[0]?.lastAt]).toEqual(['2024-03-01T10:00:00.000Z', '2024-03-01T10:00:25.500Z']);
    // 12 places listed (2× each), the 2 others counted, not dropped.
    expect(placesText(groups[0]!)).toMatch(/^2× replicate \[x509\] on SITE_0, .* and 2 more places: 2×$/);
  });
});
