import type { OpResult } from '../engine/op-result.js';
import { moved, percentile } from './figures.js';
import type { OperationRow } from './schema.js';

export { DATA_OPS, endOf, percentile } from './figures.js';
export { normaliseMessage } from './message-shape.js';

export type ReportRow = OperationRow;

/** Groups results by a key, keeping first-seen order. */
export function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Smallest and largest of a list without spreading it (a week of results would overflow the stack). */
export function minMax(values: Iterable<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** One row per RSE × operation × auth method × protocol, sorted. */
export function operationRows(results: OpResult[]): ReportRow[] {
  const groups = groupBy(results, (r) => [r.rse || '-', r.operation, r.authMethod, r.protocol].join('\u0000'));
  const rows: ReportRow[] = [...groups.values()].map((rs) => {
    const first = rs[0] as OpResult;
    const failuresByClass: Record<string, number> = {};
    for (const r of rs) if (r.errorClass) failuresByClass[r.errorClass] = (failuresByClass[r.errorClass] ?? 0) + 1;
    const m = moved(rs);
    const durations = rs.map((r) => r.durationMs);
    return {
      rse: first.rse || '-', operation: first.operation, authMethod: first.authMethod, protocol: first.protocol,
      count: rs.length, failures: rs.filter((r) => r.outcome === 'failed').length, failuresByClass,
      p50Ms: percentile(durations, 50), p95Ms: percentile(durations, 95),
      bytes: m.bytes, throughputBps: m.bytesPerSecond,
    };
  });
  return rows.sort((a, b) => a.rse.localeCompare(b.rse) || a.operation.localeCompare(b.operation)
    || a.authMethod.localeCompare(b.authMethod) || a.protocol.localeCompare(b.protocol));
}
