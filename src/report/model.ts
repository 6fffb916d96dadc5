import type { ErrorClass } from '../engine/taxonomy.js';
import type { OpResult } from '../engine/op-result.js';

/** One row of a challenge report: an RSE × operation × auth method × protocol cell. */
export interface ReportRow {
  rse: string;
  operation: string;
  authMethod: string;
  protocol: string;
  count: number;
  failures: number;
  failuresByClass: Partial<Record<ErrorClass, number>>;
  p50Ms: number;
  p95Ms: number;
  bytes: number;
  /** Bytes per second over successful data-moving operations (0 when none moved data). */
  throughputBps: number;
}

export interface SuccessCriteria {
  maxFailureRate?: number;
  maxP95Ms?: number;
}

export interface TestVerdict {
  test: string;
  scenario: string;
  count: number;
  failures: number;
  failureRate: number;
  p95Ms: number;
  passed: boolean;
  reasons: string[];
}

export interface ExperimentReport {
  runId: string;
  experiment: string;
  startedAt: string;
  rows: ReportRow[];
  tests: TestVerdict[];
  /** Distinct failure messages per class, for the "why" section (already redacted). */
  failureSamples: { errorClass: ErrorClass; operation: string; rse: string; message: string; count: number }[];
}

/** Nearest-rank percentile of an unsorted list (0 for an empty list). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

const DATA_OPS = new Set(['upload', 'download', 'replicate']);

export function buildExperimentReport(
  runId: string, experiment: string, results: OpResult[],
  criteria: Record<string, SuccessCriteria | undefined> = {},
): ExperimentReport {
  const mine = results.filter((r) => r.experiment === experiment);
  const groups = new Map<string, OpResult[]>();
  for (const r of mine) {
    const key = [r.rse || '-', r.operation, r.authMethod, r.protocol].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: ReportRow[] = [...groups.values()].map((rs) => {
    const first = rs[0] as OpResult;
    const failuresByClass: ReportRow['failuresByClass'] = {};
    for (const r of rs) if (r.errorClass) failuresByClass[r.errorClass] = (failuresByClass[r.errorClass] ?? 0) + 1;
    const moved = rs.filter((r) => r.outcome === 'ok' && DATA_OPS.has(r.operation) && r.bytes > 0);
    const bytes = moved.reduce((s, r) => s + r.bytes, 0);
    const seconds = moved.reduce((s, r) => s + r.durationMs, 0) / 1000;
    const durations = rs.map((r) => r.durationMs);
    return {
      rse: first.rse || '-', operation: first.operation, authMethod: first.authMethod, protocol: first.protocol,
      count: rs.length, failures: rs.filter((r) => r.outcome === 'failed').length, failuresByClass,
      p50Ms: percentile(durations, 50), p95Ms: percentile(durations, 95),
      bytes, throughputBps: seconds > 0 ? bytes / seconds : 0,
    };
  });
  rows.sort((a, b) => a.rse.localeCompare(b.rse) || a.operation.localeCompare(b.operation)
    || a.authMethod.localeCompare(b.authMethod) || a.protocol.localeCompare(b.protocol));

  const tests = [...new Set(mine.map((r) => r.test))].sort().map((test) => {
    const rs = mine.filter((r) => r.test === test);
    const failures = rs.filter((r) => r.outcome === 'failed').length;
    const failureRate = rs.length ? failures / rs.length : 0;
    const p95Ms = percentile(rs.map((r) => r.durationMs), 95);
    const c = criteria[test] ?? {};
    const reasons: string[] = [];
    const maxRate = c.maxFailureRate ?? 0;
    if (failureRate > maxRate) reasons.push(`failure rate ${(failureRate * 100).toFixed(1)}% > ${(maxRate * 100).toFixed(1)}%`);
    if (c.maxP95Ms !== undefined && p95Ms > c.maxP95Ms) reasons.push(`p95 ${p95Ms.toFixed(0)} ms > ${c.maxP95Ms} ms`);
    return { test, scenario: rs[0]?.scenario ?? '', count: rs.length, failures, failureRate, p95Ms, passed: reasons.length === 0, reasons };
  });

  const samples = new Map<string, ExperimentReport['failureSamples'][number]>();
  for (const r of mine) {
    if (!r.errorClass) continue;
    const key = [r.errorClass, r.operation, r.rse, r.errorMessage].join('\u0000');
    const s = samples.get(key);
    if (s) s.count++;
    else samples.set(key, { errorClass: r.errorClass, operation: r.operation, rse: r.rse || '-', message: r.errorMessage, count: 1 });
  }
  return {
    runId, experiment, startedAt: mine[0]?.start ?? '', rows, tests,
    failureSamples: [...samples.values()].sort((a, b) => b.count - a.count),
  };
}
