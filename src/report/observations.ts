// Observations derived from the recorded operations, critical first: what a coordinator
// would otherwise find by reading every failure.
import { CREDENTIAL_CLASSES, ERROR_CLASSES, type ErrorClass } from '../engine/taxonomy.js';
import { SEVERITIES, type OpResult } from '../engine/op-result.js';
import { endOf, groupBy } from './model.js';
import { placesOf, placesText, worstSeverity } from './failures.js';
import { mbps, percent, replicationTime } from './format.js';
import type { AuthFailure, FailureGroup, LinkCell, Observation, RunRef } from './schema.js';

/** The error classes an observation names, most failures first. */
export const MAX_CLASS_OBSERVATIONS = 5;
const MAX_RULE_IDS = 10;

function span(rs: OpResult[]): { firstAt: string; lastAt: string } {
  const starts = rs.map((r) => r.start).sort();
  const ends = rs.map(endOf).sort();
  return { firstAt: starts[0] ?? '', lastAt: ends[ends.length - 1] ?? '' };
}

const when = (o: { firstAt: string; lastAt: string }): string => `from ${o.firstAt} to ${o.lastAt}`;

function embargo(results: OpResult[]): Observation[] {
  const bad = results.filter((r) => r.errorClass === 'embargo_violation');
  return [...groupBy(bad, (r) => `${r.rse}\u0000${r.identityRole}\u0000${r.protocol}`).values()].map((rs) => {
    const r = rs[0] as OpResult;
    const s = span(rs);
    return {
      severity: 'critical', kind: 'embargo_violation', errorClass: 'embargo_violation', count: rs.length, ...s,
      title: `Embargo violated on ${r.rse || '-'}: identity "${r.identityRole}" read embargoed data over ${r.protocol}`,
      detail: `${rs.length}× ${when(s)}. ${ERROR_CLASSES.embargo_violation.remedy}. Example: ${r.errorMessage}`,
    };
  });
}

function errorClasses(results: OpResult[], groups: FailureGroup[]): Observation[] {
  const failed = results.filter((r) => r.outcome === 'failed' && r.errorClass && r.errorClass !== 'embargo_violation');
  const byClass = [...groupBy(failed, (r) => String(r.errorClass)).entries()]
    .sort(([a, x], [b, y]) => y.length - x.length || a.localeCompare(b)).slice(0, MAX_CLASS_OBSERVATIONS);
  return byClass.map(([cls, rs]) => {
    const s = span(rs);
    const top = groups.find((g) => g.errorClass === cls);
    const info = ERROR_CLASSES[cls as ErrorClass];
    const places = placesOf(rs);
    return {
      severity: worstSeverity(rs), kind: 'error_class', errorClass: cls, count: rs.length, ...s,
      title: `${rs.length}× ${cls} (${placesText({ ...places, places: places.total, count: rs.length })})`,
      detail: `${info?.meaning ?? cls}; ${when(s)}. What to do: ${info?.remedy ?? 'read the message'}. Example: ${top?.example ?? rs[0]?.errorMessage ?? ''}`,
    };
  });
}

function stuckRules(results: OpResult[]): Observation[] {
  const stuck = results.filter((r) => r.errorClass === 'rule_stuck' || r.errorClass === 'rule_timeout');
  if (!stuck.length) return [];
  const s = span(stuck);
  const ids = [...new Set(stuck.map((r) => r.ruleId).filter(Boolean))];
  // A rule is one rule however many of its files' transfers failed with it.
  const rules = ids.length + stuck.filter((r) => !r.ruleId).length;
  const links = [...new Set(stuck.map((r) => (r.srcRse && r.dstRse ? `${r.srcRse}→${r.dstRse}` : r.rse || '-')))].sort();
  return [{
    severity: 'error', kind: 'stuck_rule', errorClass: null, count: rules, ...s,
    title: `${rules} rule${rules > 1 ? 's' : ''} stuck or not OK in time on ${links.join(', ')}`,
    detail: `${when(s)}. Rules: ${ids.slice(0, MAX_RULE_IDS).join(', ') || '(no rule id recorded)'}${ids.length > MAX_RULE_IDS ? ` and ${ids.length - MAX_RULE_IDS} more` : ''}.`,
  }];
}

/** Which service refused: a catalogue call's message starts "METHOD /path:", a storage one's names a URL. */
function refusedBy(r: OpResult): 'catalogue' | 'storage' {
  return /^[A-Z]+ \/\S*: \d{3}\b/.test(r.errorMessage) ? 'catalogue' : 'storage';
}

function credentials(results: OpResult[], authFailures: AuthFailure[]): Observation[] {
  const out: Observation[] = [];
  for (const a of authFailures.filter((x) => x.failures > 0)) {
    const rs = results.filter((r) => r.operation === 'auth' && r.test === a.test && r.authMethod === a.authMethod && r.outcome === 'failed');
    const s = span(rs);
    out.push({
      severity: 'error', kind: 'credential', errorClass: a.errorClasses[0] ?? null, count: a.failures, ...s,
      title: `${a.authMethod} login failed ${a.failures}× in test ${a.test} (${a.errorClasses.join(', ')})${a.loggedIn ? '' : ': the test did not run with this method'}`,
      detail: `${when(s)}. Example: ${rs[0]?.errorMessage ?? ''}`,
    });
  }
  // Another identity's logins, named as what they are: its role and the credential it used.
  const others = results.filter((r) => r.operation === 'auth' && r.identityRole !== 'default' && r.outcome === 'failed');
  for (const rs of groupBy(others, (r) => `${r.test}\u0000${r.identityRole}\u0000${r.authMethod}`).values()) {
    const r = rs[0] as OpResult;
    out.push({
      severity: 'error', kind: 'credential', errorClass: r.errorClass, count: rs.length, ...span(rs),
      title: `${r.authMethod} login of ${r.identityRole} failed ${rs.length}× in test ${r.test} (${[...new Set(rs.map((x) => x.errorClass))].join(', ')})`,
      detail: `${when(span(rs))}. Example: ${r.errorMessage}`,
    });
  }
  const later = results.filter((r) => r.operation !== 'auth' && r.outcome === 'failed' && CREDENTIAL_CLASSES.has(String(r.errorClass)));
  for (const rs of groupBy(later, (r) => `${r.authMethod}\u0000${r.errorClass}\u0000${refusedBy(r)}`).values()) {
    const r = rs[0] as OpResult;
    const s = span(rs);
    const operations = [...new Set(rs.map((x) => x.operation))].sort().join(', ');
    out.push({
      severity: 'error', kind: 'credential', errorClass: r.errorClass, count: rs.length, ...s,
      title: `${r.authMethod} credential refused ${rs.length}× by the ${refusedBy(r)} for ${operations} `
        + `(${refusedBy(r) === 'catalogue' ? 'about' : 'at'} ${[...new Set(rs.map((x) => x.rse || '-'))].sort().join(', ')}) (${r.errorClass})`,
      detail: `${when(s)}. Example: ${r.errorMessage}`,
    });
  }
  const warned = results.filter((r) => r.outcome === 'ok' && r.severity === 'warning');
  for (const rs of groupBy(warned, (r) => `${r.authMethod}\u0000${r.errorMessage}`).values()) {
    const r = rs[0] as OpResult;
    out.push({
      severity: 'warning', kind: 'credential', errorClass: null, count: rs.length, ...span(rs),
      title: `${rs.length}× warning for ${r.authMethod} during ${r.operation}`, detail: r.errorMessage,
    });
  }
  return out;
}

function interrupted(runs: RunRef[], results: OpResult[]): Observation[] {
  return runs.filter((r) => r.state === 'interrupted').map((run) => {
    const rs = results.filter((r) => r.runId === run.runId);
    return {
      severity: 'warning', kind: 'interrupted', errorClass: null, count: rs.length, ...span(rs),
      title: `Run ${run.runId} was interrupted`,
      detail: `It started ${run.startedAt} and never finished; ${rs.length} operations were recorded before it stopped.`,
    };
  });
}

function links(cells: LinkCell[]): Observation[] {
  const rated = cells.filter((c) => c.successes > 0 && c.mbPerS > 0).sort((a, b) => a.mbPerS - b.mbPerS);
  if (rated.length < 2) return [];
  const text = (c: LinkCell): string => `${c.src}→${c.dst}: ${mbps(c.mbPerS)}, p95 ${replicationTime(c.p95Ms)} per file, ${percent(c.successRate)} ok`;
  const slow = rated[0] as LinkCell;
  const fast = rated[rated.length - 1] as LinkCell;
  const base = { severity: 'info' as const, errorClass: null, firstAt: '', lastAt: '' };
  return [
    { ...base, kind: 'slowest_link', count: slow.attempts, title: `Slowest link ${slow.src}→${slow.dst}`, detail: text(slow) },
    { ...base, kind: 'fastest_link', count: fast.attempts, title: `Fastest link ${fast.src}→${fast.dst}`, detail: text(fast) },
  ];
}

export function observations(input: {
  results: OpResult[]; groups: FailureGroup[]; links: LinkCell[]; authFailures: AuthFailure[]; runs: RunRef[];
}): Observation[] {
  const all = [
    ...embargo(input.results), ...errorClasses(input.results, input.groups), ...stuckRules(input.results),
    ...credentials(input.results, input.authFailures), ...interrupted(input.runs, input.results), ...links(input.links),
  ];
  const rank = (o: Observation): number => SEVERITIES.indexOf(o.severity);
  // Stable: within a severity the order above (embargo, classes by count, rules, credentials, …) stays.
  return all.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i).map(({ o }) => o);
}
