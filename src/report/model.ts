import type { OpResult } from '../engine/op-result.js';
import type { OperationRow } from './schema.js';

export type ReportRow = OperationRow;

/** Nearest-rank percentile of an unsorted list (0 for an empty list). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Operations that move file content; their bytes count as volume and throughput. */
export const DATA_OPS: ReadonlySet<string> = new Set(['upload', 'download', 'replicate']);

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

export const endOf = (r: OpResult): string => new Date(Date.parse(r.start) + r.durationMs).toISOString();

/** Bytes and seconds of the successful data-moving operations of a list. */
export function moved(rs: OpResult[]): { files: number; bytes: number; seconds: number } {
  const ok = rs.filter((r) => r.outcome === 'ok' && DATA_OPS.has(r.operation) && r.bytes > 0);
  return { files: ok.length, bytes: ok.reduce((s, r) => s + r.bytes, 0), seconds: ok.reduce((s, r) => s + r.durationMs, 0) / 1000 };
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
      bytes: m.bytes, throughputBps: m.seconds > 0 ? m.bytes / m.seconds : 0,
    };
  });
  return rows.sort((a, b) => a.rse.localeCompare(b.rse) || a.operation.localeCompare(b.operation)
    || a.authMethod.localeCompare(b.authMethod) || a.protocol.localeCompare(b.protocol));
}

/** Messages normalised for grouping: URLs, times, ids and numbers become placeholders. */
export function normaliseMessage(message: string): string {
  return message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`<>]+/gi, '<url>')
    .replace(/\d{4}-\d{2}-\d{2}T[\d:.]+Z?/g, '<time>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<id>')
    .replace(/\d+(\.\d+)?/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}
