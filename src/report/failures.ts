// "Why things failed": failures grouped by error class and normalised message, largest group first.
import { SEVERITIES, type OpResult, type Severity } from '../engine/op-result.js';
import { endOf, groupBy, normaliseMessage } from './model.js';
import type { FailureGroup } from './schema.js';

/** At most this many groups and places per group: a report stays readable after a bad week. */
export const MAX_FAILURE_GROUPS = 30;
const MAX_PLACES = 12;

export const worstSeverity = (rs: { severity: Severity }[]): Severity =>
  SEVERITIES.find((s) => rs.some((r) => r.severity === s)) ?? 'info';

export function failureGroups(results: OpResult[]): FailureGroup[] {
  const failed = results.filter((r) => r.outcome === 'failed' && r.errorClass);
  const groups = groupBy(failed, (r) => `${r.errorClass}\u0000${normaliseMessage(r.errorMessage)}`);
  const out = [...groups.values()].map((rs): FailureGroup => {
    const first = rs[0] as OpResult;
    const places = groupBy(rs, (r) => [r.operation, r.authMethod, r.rse || '-'].join('\u0000'));
    const where = [...places.values()]
      .map((p) => ({ operation: p[0]!.operation, authMethod: p[0]!.authMethod, rse: p[0]!.rse || '-', count: p.length }))
      .sort((a, b) => b.count - a.count || a.rse.localeCompare(b.rse) || a.operation.localeCompare(b.operation)
        || a.authMethod.localeCompare(b.authMethod))
      .slice(0, MAX_PLACES);
    const starts = rs.map((r) => r.start).sort();
    const ends = rs.map(endOf).sort();
    return {
      errorClass: String(first.errorClass), severity: worstSeverity(rs), message: normaliseMessage(first.errorMessage),
      example: first.errorMessage, count: rs.length, firstAt: starts[0] ?? '', lastAt: ends[ends.length - 1] ?? '', where,
    };
  });
  const rank = (s: Severity): number => SEVERITIES.indexOf(s);
  return out
    .sort((a, b) => rank(a.severity) - rank(b.severity) || b.count - a.count || a.errorClass.localeCompare(b.errorClass)
      || a.message.localeCompare(b.message))
    .slice(0, MAX_FAILURE_GROUPS);
}

/** "3× upload [x509] on SITE_A, 1× auth [token]": where a group happened, the login without "on -". */
export function placesText(g: FailureGroup): string {
  return g.where.map((w) => `${w.count}× ${w.operation} [${w.authMethod}]${w.rse === '-' ? '' : ` on ${w.rse}`}`).join(', ');
}
