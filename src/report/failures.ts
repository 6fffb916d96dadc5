// "Why things failed": one section per root cause (error class and message shape), largest first,
// with its count, every place it struck and its time span.
import { SEVERITIES, type OpResult, type Severity } from '../engine/op-result.js';
import { endOf, groupBy } from './model.js';
import { normaliseMessage } from './message-shape.js';
import type { FailureGroup } from './schema.js';

/** At most this many groups and places per group: a report stays readable after a bad week. */
export const MAX_FAILURE_GROUPS = 30;
const MAX_PLACES = 12;

export const worstSeverity = (rs: { severity: Severity }[]): Severity =>
  SEVERITIES.find((s) => rs.some((r) => r.severity === s)) ?? 'info';

/** The shape of a failure's message: the RSEs it acted on and its run's probe names count as places, not as causes. */
export const messageShape = (r: OpResult): string =>
  normaliseMessage(r.errorMessage, { rses: [r.rse, r.srcRse, r.dstRse].filter(Boolean), runId: r.runId });

export type Place = FailureGroup['where'][number];

/** Where a list of failures happened (operation × auth method × RSE), most first; `total` counts every place. */
export function placesOf(rs: OpResult[]): { where: Place[]; total: number } {
  const places = [...groupBy(rs, (r) => [r.operation, r.authMethod, r.rse || '-'].join('\u0000')).values()]
    .map((p) => ({ operation: p[0]!.operation, authMethod: p[0]!.authMethod, rse: p[0]!.rse || '-', count: p.length }))
    .sort((a, b) => b.count - a.count || a.rse.localeCompare(b.rse) || a.operation.localeCompare(b.operation)
      || a.authMethod.localeCompare(b.authMethod));
  return { where: places.slice(0, MAX_PLACES), total: places.length };
}

export function failureGroups(results: OpResult[]): FailureGroup[] {
  const failed = results.filter((r) => r.outcome === 'failed' && r.errorClass);
  const groups = groupBy(failed, (r) => `${r.errorClass}\u0000${messageShape(r)}`);
  const out = [...groups.values()].map((rs): FailureGroup => {
    const first = rs[0] as OpResult;
    const { where, total } = placesOf(rs);
    const starts = rs.map((r) => r.start).sort();
    const ends = rs.map(endOf).sort();
    return {
      errorClass: String(first.errorClass), severity: worstSeverity(rs), message: messageShape(first),
      example: first.errorMessage, count: rs.length, firstAt: starts[0] ?? '', lastAt: ends[ends.length - 1] ?? '', where, places: total,
    };
  });
  const rank = (s: Severity): number => SEVERITIES.indexOf(s);
  return out
    .sort((a, b) => rank(a.severity) - rank(b.severity) || b.count - a.count || a.errorClass.localeCompare(b.errorClass)
      || a.message.localeCompare(b.message))
    .slice(0, MAX_FAILURE_GROUPS);
}

/**
 * "3× upload [x509] on SITE_A, 1× auth [token]": where failures happened, the login without "on -";
 * places beyond those listed are counted ("and 4 more places: 9×").
 */
export function placesText(g: { where: Place[]; places: number; count: number }): string {
  const listed = g.where.map((w) => `${w.count}× ${w.operation} [${w.authMethod}]${w.rse === '-' ? '' : ` on ${w.rse}`}`);
  const more = g.places - g.where.length;
  const rest = g.count - g.where.reduce((n, w) => n + w.count, 0);
  return more > 0 ? `${listed.join(', ')} and ${more} more place${more > 1 ? 's' : ''}: ${rest}×` : listed.join(', ');
}
