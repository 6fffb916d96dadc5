// Per test: the plan's success criteria measured against the recorded operations, and the one
// verdict the console, the exit code and every report format state.
import { isRseName, type OpResult } from '../engine/op-result.js';
import type { TestSnapshot } from '../results/plan-snapshot.js';
import { ruleSpecsIn } from '../plan/rule-specs.js';
import { dataRate, evaluateCriteria, isReplication, volume } from './criteria.js';
import { DATA_OPS, endOf, groupBy, percentile } from './model.js';
import type { TestReport, Verdict } from './schema.js';

export { evaluateCriteria } from './criteria.js';

export interface TestInput {
  experiment: string;
  snapshot: TestSnapshot;
  results: OpResult[];
  interruptedRuns: ReadonlySet<string>;
  /** Interrupted runs whose plan had this test: with nothing recorded, it was stopped before it started. */
  interruptedBefore?: string[];
  /** Slot length of availability criteria (the report's). */
  slotSeconds?: number;
  /** Why no agent runs the test ("<agent>: agent down since T"); '' or absent when one does or none are known. */
  agentStatus?: string;
}

const days = (s: number): string => (s % 86400 === 0 ? `${s / 86400} d` : s % 3600 === 0 ? `${s / 3600} h` : `${s} s`);

/** The rules the test's params ask for, from its stored params (cut params yield what they still hold). */
function rulesOf(t: TestSnapshot): TestReport['rules'] {
  let params: unknown;
  try {
    params = JSON.parse(t.params);
  } catch {
    return [];
  }
  return ruleSpecsIn(params).map((r) => ({ expression: r.expression, copies: r.copies, lifetimeSeconds: r.lifetime ?? 0 }));
}

/** QoS as the test asks for it: its rules (expression × copies, lifetime), then its RSE expression. */
function qosText(t: TestSnapshot, rules: TestReport['rules']): string {
  const parts = rules.map((r) => `${r.expression} ×${r.copies}${r.lifetimeSeconds ? ` (${days(r.lifetimeSeconds)})` : ''}`);
  if (t.rses?.expression) parts.push(t.rses.expression);
  return [...new Set(parts)].join('; ');
}

function topErrors(rs: OpResult[]): TestReport['topErrors'] {
  const failed = rs.filter((r) => r.outcome === 'failed' && r.errorClass);
  return [...groupBy(failed, (r) => String(r.errorClass)).entries()]
    .sort(([a, x], [b, y]) => y.length - x.length || a.localeCompare(b)).slice(0, 3)
    .map(([errorClass, list]) => ({
      errorClass, count: list.length, example: list[0]?.errorMessage ?? '',
      where: [...new Set(list.map((r) => (r.srcRse && r.dstRse ? `${r.srcRse}→${r.dstRse}` : r.rse)).filter(Boolean))].sort().join(', '),
    }));
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Nothing could be checked: checks by other identities were all inconclusive (an embargo test whose
 * outsider never worked), or every criterion the plan states could not be judged. Returns the reason.
 */
function unverified(rs: OpResult[], criteria: TestReport['criteria']): string | null {
  const inconclusive = rs.filter((r) => r.errorClass === 'inconclusive');
  const decided = rs.filter((r) => r.identityRole !== 'default' && r.operation !== 'auth' && r.errorClass !== 'inconclusive');
  if (inconclusive.length && decided.length === 0) {
    return `nothing could be checked: ${plural(inconclusive.length, 'check')} inconclusive (${inconclusive[0]?.errorMessage ?? ''})`;
  }
  const stated = criteria.filter((c) => !c.implicit);
  if (stated.length && stated.every((c) => c.status === 'inconclusive')) {
    return `nothing could be checked: ${stated.map((c) => `${c.text}: ${c.actual}`).join('; ')}`;
  }
  return null;
}

export function testReport({ experiment, snapshot: t, results: rs, interruptedRuns, interruptedBefore = [], slotSeconds = 300, agentStatus = '' }: TestInput): TestReport {
  const criteria = evaluateCriteria(rs, t.success, t.scenario, { fullScale: t.fullScaleSuccess, slotSeconds });
  const transfers = rs.filter((r) => DATA_OPS.has(r.operation));
  const replication = isReplication(rs, t.scenario);
  const dataOk = rs.some((r) => r.outcome === 'ok' && (replication ? r.operation === 'replicate' : r.operation !== 'auth' && r.operation !== 'list'));
  const criticals = rs.filter((r) => r.severity === 'critical').length;
  // Failures that decide something (an inconclusive check decides nothing).
  const realFailures = rs.filter((r) => r.outcome === 'failed' && r.errorClass !== 'inconclusive').length;
  const runs = [...new Set(rs.map((r) => r.runId))].sort();
  const interrupted = runs.filter((id) => interruptedRuns.has(id));
  const reasons = criteria.filter((c) => !c.met).map((c) => `${c.text}: ${c.actual}`);
  if (criticals) reasons.unshift(`${plural(criticals, 'critical result')}`);
  if (interrupted.length) reasons.unshift(`run ${interrupted.join(', ')} was interrupted`);
  const notVerified = unverified(rs, criteria);
  let verdict: Verdict;
  if (rs.length === 0 && interruptedBefore.length) {
    verdict = 'Interrupted';
    reasons.unshift(`run ${interruptedBefore.join(', ')} was interrupted before this test recorded anything`);
  } else if (rs.length === 0) verdict = 'Not run';
  else if (interrupted.length) verdict = 'Interrupted';
  else if (criticals) verdict = 'Failed';
  else if (notVerified) {
    verdict = 'Not verified';
    reasons.unshift(notVerified);
  } else if (!dataOk && realFailures === 0) {
    verdict = 'Not verified';
    reasons.unshift(replication ? 'nothing could be checked: no replication was made' : 'nothing could be checked: nothing was done beyond logins and listings');
  } else if (!dataOk) {
    verdict = 'Failed';
    reasons.push(replication ? 'no replication succeeded' : 'no operation beyond login and listing succeeded');
  } else verdict = criteria.every((c) => c.met) ? 'Completed' : 'Partially';
  const v = volume(rs, t.scenario);
  const starts = rs.map((r) => r.start).sort();
  const ends = rs.map(endOf).sort();
  const rses = new Set<string>();
  // RSE names only: results of older runs could carry a rule's expression where no RSE was reached.
  for (const r of rs) for (const x of [r.rse, r.srcRse, r.dstRse]) if (x && isRseName(x)) rses.add(x);
  const links = new Set(rs.filter((r) => isRseName(r.srcRse) && isRseName(r.dstRse)).map((r) => `${r.srcRse}→${r.dstRse}`));
  const rules = rulesOf(t);
  return {
    experiment, test: t.name, scenario: t.scenario, description: t.description,
    auth: t.auth ?? [...new Set(rs.map((r) => r.authMethod))].sort(), params: t.params, qos: qosText(t, rules), rules,
    rseSelection: t.rses?.names?.join(', ') ?? t.rses?.expression ?? '',
    runs, operations: rs.length, failures: rs.filter((r) => r.outcome === 'failed').length, criticals,
    transfers: transfers.length, transfersOk: transfers.filter((r) => r.outcome === 'ok').length,
    files: v.files, bytes: v.bytes, dataRateMBps: dataRate(rs, v.bytes), rses: [...rses].sort(), links: [...links].sort(),
    firstAt: starts[0] ?? '', lastAt: ends[ends.length - 1] ?? '', p95Ms: percentile(rs.map((r) => r.durationMs), 95),
    criteria, verdict, reasons, agentStatus, topErrors: topErrors(rs),
  };
}

/** One verdict over several tests (an experiment's, or a whole report's): what the console and the exit code state. */
export function overallVerdict(tests: TestReport[]): Verdict {
  const ran = tests.filter((t) => t.verdict !== 'Not run');
  if (ran.length === 0) return 'Not run';
  if (ran.some((t) => t.verdict === 'Interrupted')) return 'Interrupted';
  if (ran.every((t) => t.verdict === 'Completed')) return 'Completed';
  if (ran.every((t) => t.verdict === 'Failed')) return 'Failed';
  if (ran.every((t) => t.verdict === 'Not verified')) return 'Not verified';
  // Some data moved: a test Completed or Partially (a Failed or Not verified one among them is a criterion missed).
  if (ran.some((t) => t.verdict === 'Completed' || t.verdict === 'Partially')) return 'Partially';
  return 'Failed';
}

/** The experiment's verdict from its tests'. */
export const experimentVerdict = overallVerdict;
