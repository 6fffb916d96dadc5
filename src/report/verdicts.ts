// Per test: the plan's success criteria measured against the recorded operations, and the verdict.
import { formatBytes } from '../engine/sizes.js';
import type { OpResult } from '../engine/op-result.js';
import type { TestSnapshot } from '../results/plan-snapshot.js';
import { filesMoved } from './figures.js';
import { DATA_OPS, endOf, groupBy, minMax, percentile } from './model.js';
import type { Criterion, TestReport, Verdict } from './schema.js';

const files = (n: number): string => `${n} file${n === 1 ? '' : 's'}`;
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const trimPct = (x: number): string => `${Number((x * 100).toFixed(2))} %`;

/** A test that replicates is judged by its replications (its uploads only feed them); any other by its uploads. */
const isReplication = (rs: OpResult[], scenario: string): boolean => scenario === 'replicate' || rs.some((r) => r.operation === 'replicate');

/**
 * Files and bytes that reached their destination (replicated, or uploaded by a test that does not replicate),
 * counting only what landed within `withinSeconds` of each run's first operation of the test.
 */
function volume(rs: OpResult[], scenario: string, withinSeconds?: number): { files: number; bytes: number } {
  const kind = isReplication(rs, scenario) ? 'replicate' : 'upload';
  let files = 0;
  let bytes = 0;
  for (const run of groupBy(rs, (r) => r.runId).values()) {
    const t0 = minMax(run.map((r) => Date.parse(r.start))).min;
    for (const r of filesMoved(run, new Set([kind]))) {
      if (withinSeconds !== undefined && Date.parse(endOf(r)) - t0 > withinSeconds * 1000) continue;
      files++;
      bytes += r.bytes;
    }
  }
  return { files, bytes };
}

export function evaluateCriteria(rs: OpResult[], s: TestSnapshot['success'], scenario = ''): Criterion[] {
  const out: Criterion[] = [];
  const failures = rs.filter((r) => r.outcome === 'failed').length;
  const failureRate = rs.length ? failures / rs.length : 0;
  const transfers = rs.filter((r) => DATA_OPS.has(r.operation));
  const okTransfers = transfers.filter((r) => r.outcome === 'ok').length;
  // The failure rate is always judged (no failure allowed unless the plan says otherwise), except
  // when the plan states the success rate of transfers instead.
  if (s.maxFailureRate !== undefined || s.minSuccessRate === undefined) {
    const max = s.maxFailureRate ?? 0;
    out.push({
      text: max === 0 ? 'no operation failed' : `≤ ${trimPct(max)} of operations failed`,
      met: failureRate <= max, actual: `${failures} of ${rs.length} failed (${pct(failureRate)})`, implicit: s.maxFailureRate === undefined,
    });
  }
  if (s.minSuccessRate !== undefined) {
    const rate = transfers.length ? okTransfers / transfers.length : 0;
    out.push({
      text: `≥ ${trimPct(s.minSuccessRate)} of transfers succeeded`, met: transfers.length > 0 && rate >= s.minSuccessRate,
      actual: `${okTransfers} of ${transfers.length} succeeded (${pct(rate)})`, implicit: false,
    });
  }
  if (s.maxP95Ms !== undefined) {
    const p95 = percentile(rs.map((r) => r.durationMs), 95);
    out.push({ text: `p95 ≤ ${s.maxP95Ms} ms`, met: p95 <= s.maxP95Ms, actual: `p95 ${p95.toFixed(0)} ms`, implicit: false });
  }
  if (s.minFiles !== undefined || s.minBytes !== undefined) {
    const v = volume(rs, scenario, s.withinSeconds);
    const within = s.withinSeconds !== undefined ? ` within ${s.withinSeconds} s` : '';
    const wanted = [s.minFiles !== undefined ? files(s.minFiles) : '', s.minBytes !== undefined ? formatBytes(s.minBytes) : '']
      .filter(Boolean).join(' / ');
    out.push({
      text: `${wanted} ${isReplication(rs, scenario) ? 'replicated' : 'uploaded'}${within}`,
      met: v.files >= (s.minFiles ?? 0) && v.bytes >= (s.minBytes ?? 0),
      actual: `${files(v.files)} / ${formatBytes(v.bytes)}${within}`, implicit: false,
    });
  }
  return out;
}

export interface TestInput {
  experiment: string;
  snapshot: TestSnapshot;
  results: OpResult[];
  interruptedRuns: ReadonlySet<string>;
  /** Interrupted runs whose plan had this test: with nothing recorded, it was stopped before it started. */
  interruptedBefore?: string[];
}

const qosOf = (t: TestSnapshot): string => /QOS\s*=\s*([A-Za-z0-9_-]+)/i.exec(t.rses?.expression ?? '')?.[1] ?? '';

function topErrors(rs: OpResult[]): TestReport['topErrors'] {
  const failed = rs.filter((r) => r.outcome === 'failed' && r.errorClass);
  return [...groupBy(failed, (r) => String(r.errorClass)).entries()]
    .sort(([a, x], [b, y]) => y.length - x.length || a.localeCompare(b)).slice(0, 3)
    .map(([errorClass, list]) => ({
      errorClass, count: list.length, example: list[0]?.errorMessage ?? '',
      where: [...new Set(list.map((r) => (r.srcRse && r.dstRse ? `${r.srcRse}→${r.dstRse}` : r.rse)).filter(Boolean))].sort().join(', '),
    }));
}

/** Bytes over the wall time of each run's part of the test (summed over runs), in MB/s. */
function dataRate(rs: OpResult[], bytes: number): number {
  let ms = 0;
  for (const run of groupBy(rs, (r) => r.runId).values()) {
    ms += minMax(run.map((r) => Date.parse(endOf(r)))).max - minMax(run.map((r) => Date.parse(r.start))).min;
  }
  return ms > 0 ? bytes / (ms / 1000) / 1e6 : 0;
}

export function testReport({ experiment, snapshot: t, results: rs, interruptedRuns, interruptedBefore = [] }: TestInput): TestReport {
  const criteria = evaluateCriteria(rs, t.success, t.scenario);
  const transfers = rs.filter((r) => DATA_OPS.has(r.operation));
  const replication = isReplication(rs, t.scenario);
  const dataOk = rs.some((r) => r.outcome === 'ok' && (replication ? r.operation === 'replicate' : r.operation !== 'auth' && r.operation !== 'list'));
  const criticals = rs.filter((r) => r.severity === 'critical').length;
  const runs = [...new Set(rs.map((r) => r.runId))].sort();
  const interrupted = runs.filter((id) => interruptedRuns.has(id));
  const reasons = criteria.filter((c) => !c.met).map((c) => `${c.text}: ${c.actual}`);
  if (criticals) reasons.unshift(`${criticals} critical result${criticals > 1 ? 's' : ''}`);
  if (interrupted.length) reasons.unshift(`run ${interrupted.join(', ')} was interrupted`);
  let verdict: Verdict;
  if (rs.length === 0 && interruptedBefore.length) {
    verdict = 'Interrupted';
    reasons.unshift(`run ${interruptedBefore.join(', ')} was interrupted before this test recorded anything`);
  } else if (rs.length === 0) verdict = 'Not run';
  else if (interrupted.length) verdict = 'Interrupted';
  else if (criticals || !dataOk) verdict = 'Failed';
  else verdict = criteria.every((c) => c.met) ? 'Completed' : 'Partially';
  if (verdict === 'Failed' && !criticals && !dataOk) reasons.push(replication ? 'no replication succeeded' : 'no operation beyond login and listing succeeded');
  const v = volume(rs, t.scenario);
  const starts = rs.map((r) => r.start).sort();
  const ends = rs.map(endOf).sort();
  const rses = new Set<string>();
  for (const r of rs) for (const x of [r.rse, r.srcRse, r.dstRse]) if (x) rses.add(x);
  const links = new Set(rs.filter((r) => r.srcRse && r.dstRse).map((r) => `${r.srcRse}→${r.dstRse}`));
  return {
    experiment, test: t.name, scenario: t.scenario, description: t.description,
    auth: t.auth ?? [...new Set(rs.map((r) => r.authMethod))].sort(), params: t.params, qos: qosOf(t),
    rseSelection: t.rses?.names?.join(', ') ?? t.rses?.expression ?? '',
    runs, operations: rs.length, failures: rs.filter((r) => r.outcome === 'failed').length, criticals,
    transfers: transfers.length, transfersOk: transfers.filter((r) => r.outcome === 'ok').length,
    files: v.files, bytes: v.bytes, dataRateMBps: dataRate(rs, v.bytes), rses: [...rses].sort(), links: [...links].sort(),
    firstAt: starts[0] ?? '', lastAt: ends[ends.length - 1] ?? '', p95Ms: percentile(rs.map((r) => r.durationMs), 95),
    criteria, verdict, reasons, topErrors: topErrors(rs),
  };
}

/** The experiment's verdict from its tests'. */
export function experimentVerdict(tests: TestReport[]): Verdict {
  const ran = tests.filter((t) => t.verdict !== 'Not run');
  if (ran.length === 0) return 'Not run';
  if (ran.some((t) => t.verdict === 'Interrupted')) return 'Interrupted';
  if (tests.every((t) => t.verdict === 'Completed')) return 'Completed';
  if (ran.every((t) => t.verdict === 'Failed')) return 'Failed';
  return 'Partially';
}
