// Transfers in flight per link as metrics: the figures of src/report/figures.ts (linkInFlight)
// over the latest run that replicated over each link, computed when scraped, not per result.
import type { Counter, Gauge } from 'prom-client';
import type { OpResult } from '../engine/op-result.js';
import { linkInFlight } from '../report/figures.js';

/** Transfers kept per link for the figures; beyond it the oldest go (a run's early transfers have long ended). */
export const MAX_TRANSFERS_PER_LINK = 10_000;

interface LinkRun { runId: string; transfers: OpResult[]; dirty: boolean }

export class InFlightMetrics {
  private readonly links = new Map<string, LinkRun>();

  constructor(private readonly max: Gauge, private readonly mean: Gauge, private readonly recovered: Counter) {}

  /** A file's replicate result: its transfer timeline joins its link's latest run. */
  add(r: OpResult): void {
    if (!r.transfer || !r.srcRse || !r.dstRse) return;
    const labels = { src_rse: r.srcRse, dst_rse: r.dstRse };
    this.recovered.inc(labels, r.outcome === 'ok' && r.transfer.failedAttempts > 0 ? 1 : 0);
    const key = `${r.srcRse}\u0000${r.dstRse}`;
    let link = this.links.get(key);
    if (!link || link.runId !== r.runId) {
      link = { runId: r.runId, transfers: [], dirty: true };
      this.links.set(key, link);
    }
    link.transfers.push(r);
    if (link.transfers.length > MAX_TRANSFERS_PER_LINK) link.transfers.shift();
    link.dirty = true;
  }

  /** Sets the gauges of links whose transfers changed since the last scrape. */
  refresh(): void {
    for (const link of this.links.values()) {
      if (!link.dirty) continue;
      link.dirty = false;
      for (const f of linkInFlight(link.transfers)) {
        for (const [state, most, mean] of [['queued', f.queuedMax, f.queuedMean], ['active', f.activeMax, f.activeMean]] as const) {
          const labels = { src_rse: f.src, dst_rse: f.dst, state };
          this.max.set(labels, most);
          this.mean.set(labels, mean);
        }
      }
    }
  }
}
