// Every figure a report, a criterion or a baseline states, each defined once (README "How
// figures are counted"): files and bytes moved, the rate, time to replicate per file and per rule.
import type { OpResult } from '../engine/op-result.js';

/** Operations that move file content; their bytes count as volume and throughput. */
export const DATA_OPS: ReadonlySet<string> = new Set(['upload', 'download', 'replicate']);

/**
 * Rucio's REST API gives its times to the second ("Wed, 25 Nov 2026 00:04:25 UTC"): a time to
 * replicate per file, read from the catalogue, is exact to about this much.
 */
export const CATALOGUE_RESOLUTION_MS = 1000;

export const endOf = (r: OpResult): string => new Date(Date.parse(r.start) + r.durationMs).toISOString();

/** Nearest-rank percentile of an unsorted list (0 for an empty list). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/**
 * A rule-level result: a rule's time to OK on one destination (a catalogue call, protocol
 * "rucio"). It times the rule; its files are described by the per-file results beside it,
 * so it is never a file, bytes or a size class.
 */
export const isRuleResult = (r: OpResult): boolean => r.operation === 'replicate' && r.protocol === 'rucio';

/** A result that describes one file moved (or not) to one place: an upload, a download, a file's transfer. */
export const isFileResult = (r: OpResult): boolean => DATA_OPS.has(r.operation) && !isRuleResult(r);

/**
 * The file copies a list of results describes: one per transfer request (a transfer read
 * twice, e.g. by a second rule on the same destination, is still one copy), one per result
 * without a request id. A copy that succeeded in any of its results counts as succeeded, timed
 * by its earliest reading (the rule that made the transfer).
 */
export function fileCopies(rs: OpResult[], operations: ReadonlySet<string> = DATA_OPS): OpResult[] {
  const byKey = new Map<string, OpResult>();
  const alone: OpResult[] = [];
  for (const r of rs) {
    if (!isFileResult(r) || !operations.has(r.operation)) continue;
    if (!r.requestId) {
      alone.push(r);
      continue;
    }
    const key = `${r.runId}\u0000${r.operation}\u0000${r.requestId}`;
    const seen = byKey.get(key);
    // The copy is timed from the rule that made it: the earliest reading of the request.
    if (!seen || (seen.outcome !== 'ok' && r.outcome === 'ok') || (seen.outcome === r.outcome && r.start < seen.start)) byKey.set(key, r);
  }
  return [...byKey.values(), ...alone];
}

/** The files that reached their place: successful copies with content. */
export function filesMoved(rs: OpResult[], operations: ReadonlySet<string> = DATA_OPS): OpResult[] {
  return fileCopies(rs, operations).filter((r) => r.outcome === 'ok' && r.bytes > 0);
}

/** Wall time covered by the results (overlaps counted once), in milliseconds. */
export function wallMs(rs: OpResult[]): number {
  const spans = rs.map((r) => [Date.parse(r.start), Date.parse(r.start) + r.durationMs] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let open = -Infinity;
  let close = -Infinity;
  for (const [s, e] of spans) {
    if (s > close) {
      if (close > open) total += close - open;
      open = s;
      close = e;
    } else close = Math.max(close, e);
  }
  return close > open ? total + close - open : total;
}

export interface Moved { files: number; bytes: number; seconds: number; bytesPerSecond: number }

/** Files, bytes and the rate (bytes over the wall time of the operations that moved them). */
export function moved(rs: OpResult[], operations: ReadonlySet<string> = DATA_OPS): Moved {
  const files = filesMoved(rs, operations);
  const bytes = files.reduce((s, r) => s + r.bytes, 0);
  const seconds = wallMs(files) / 1000;
  return { files: files.length, bytes, seconds, bytesPerSecond: seconds > 0 ? bytes / seconds : 0 };
}

const REPLICATE: ReadonlySet<string> = new Set(['replicate']);

/** Per file: rule creation until its lock is OK, for every file copy that reached its destination. */
export const fileReplicationTimes = (rs: OpResult[]): OpResult[] =>
  fileCopies(rs, REPLICATE).filter((r) => r.outcome === 'ok');

/** Per rule and destination: rule creation until every lock on it is OK. */
export const ruleResults = (rs: OpResult[]): OpResult[] => rs.filter(isRuleResult);

/** Transfers in flight on one link (source → destination RSE), from the file transfers' timelines. */
export interface LinkInFlight {
  src: string;
  dst: string;
  /** File transfers whose request was seen. */
  transfers: number;
  queuedMax: number;
  /** Time-weighted over `seconds`. */
  queuedMean: number;
  activeMax: number;
  activeMean: number;
  /** From the link's first queued transfer to its last end: the span the means are taken over. */
  seconds: number;
  /** Transfers that failed, were retried and reached their place before the rule went OK. */
  recovered: number;
  /** The failed attempts of those recovered transfers. */
  recoveredAttempts: number;
}

/**
 * Per link: how many transfers were queued (request created, copy not started) and active (copy
 * started, not ended) at once — the most, and the time-weighted mean over the link's busy span —
 * and the failures the transfer tool recovered from. Intervals are half-open: one ending as another
 * starts are never both counted.
 */
export function linkInFlight(rs: OpResult[]): LinkInFlight[] {
  const byLink = new Map<string, OpResult[]>();
  for (const r of fileCopies(rs, REPLICATE)) {
    if (!r.transfer || !r.srcRse || !r.dstRse) continue;
    const key = `${r.srcRse}\u0000${r.dstRse}`;
    byLink.set(key, [...(byLink.get(key) ?? []), r]);
  }
  return [...byLink.values()].map((copies) => {
    const first = copies[0] as OpResult;
    const spans = copies.map((r) => {
      const t = r.transfer as NonNullable<OpResult['transfer']>;
      const queued = Date.parse(t.queuedAt);
      const ended = Math.max(queued, Date.parse(t.endedAt));
      const started = t.startedAt === undefined ? ended : Math.min(Math.max(queued, Date.parse(t.startedAt)), ended);
      return { queued: [queued, started] as const, active: [started, ended] as const };
    });
    const queued = concurrency(spans.map((s) => s.queued));
    const active = concurrency(spans.map((s) => s.active));
    const start = Math.min(...spans.map((s) => s.queued[0]));
    const end = Math.max(...spans.map((s) => s.active[1]));
    const ms = end - start;
    const recovered = copies.filter((r) => r.outcome === 'ok' && (r.transfer?.failedAttempts ?? 0) > 0);
    return {
      src: first.srcRse, dst: first.dstRse, transfers: copies.length,
      queuedMax: queued.max, queuedMean: ms > 0 ? queued.area / ms : queued.max,
      activeMax: active.max, activeMean: ms > 0 ? active.area / ms : active.max,
      seconds: ms / 1000, recovered: recovered.length,
      recoveredAttempts: recovered.reduce((n, r) => n + (r.transfer?.failedAttempts ?? 0), 0),
    };
  }).sort((a, b) => a.src.localeCompare(b.src) || a.dst.localeCompare(b.dst));
}

/** The most intervals open at once, and the sum of their lengths (count × time), for half-open [from, to). */
function concurrency(spans: (readonly [number, number])[]): { max: number; area: number } {
  const events = spans.filter(([a, b]) => b > a).flatMap(([a, b]) => [[a, 1], [b, -1]] as const)
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let max = 0;
  let area = 0;
  let last = 0;
  for (const [at, step] of events) {
    area += open * (at - last);
    last = at;
    open += step;
    max = Math.max(max, open);
  }
  return { max, area };
}
