import { METRICS, type MetricSpec } from './catalogue.js';

// Per-link series (source × destination × size class) for a 50-RSE lake are
// 2,450 links × 3 size classes: far more than prom-client renders in the time a
// scrape should take. They are kept here in plain records with their label text
// prepared once, and rendered straight to the exposition format.

interface LinkRecord {
  labels: string;
  /** This record's lines per metric family, rendered when it last changed (null: stale). */
  text: Buffer[] | null;
  ok: number;
  failed: number;
  bytes: number;
  throughput: number | null;
  transfer: Histogram;
}

interface Histogram { counts: Float64Array; sum: number; count: number }

const TRANSFER = METRICS.transferDuration;
const BUCKETS = TRANSFER.buckets;

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function histogram(): Histogram {
  return { counts: new Float64Array(BUCKETS.length), sum: 0, count: 0 };
}

function observe(h: Histogram, seconds: number): void {
  for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
  h.sum += seconds;
  h.count++;
}

function num(v: number): string {
  return Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN';
}

export class LinkMetrics {
  private readonly links = new Map<string, LinkRecord>();
  private readonly fixed: string;

  /** `fixed`: labels every series carries (the agent's name), as the registry's default labels. */
  constructor(fixed: Record<string, string> = {}) {
    this.fixed = Object.entries(fixed).map(([k, v]) => `${k}="${escape(v)}",`).join('');
  }

  private record(src: string, dst: string, sizeClass: string): LinkRecord {
    const key = `${src}\u0000${dst}\u0000${sizeClass}`;
    let r = this.links.get(key);
    if (!r) {
      r = {
        labels: `${this.fixed}src_rse="${escape(src)}",dst_rse="${escape(dst)}",size_class="${escape(sizeClass)}"`, text: null,
        ok: 0, failed: 0, bytes: 0, throughput: null, transfer: histogram(),
      };
      this.links.set(key, r);
    }
    return r;
  }

  /** One replication: its outcome, and on success its bytes and (with a request id) its transfer time. */
  replicated(src: string, dst: string, sizeClass: string, outcome: 'ok' | 'failed', bytes: number, seconds: number, hasRequest: boolean): void {
    const r = this.record(src, dst, sizeClass);
    r.text = null;
    if (outcome === 'failed') { r.failed++; return; }
    r.ok++;
    if (hasRequest) observe(r.transfer, seconds);
    if (bytes > 0) {
      r.bytes += bytes;
      if (seconds > 0) r.throughput = bytes / seconds;
    }
  }

  /** The exposition text; a record is formatted again only after it changed, so a scrape mostly copies strings. */
  render(): string {
    return this.renderBuffer().toString('utf8');
  }

  /** As render(), without decoding: what a scrape writes out. */
  renderBuffer(): Buffer {
    const families: MetricSpec[] = [METRICS.linkTransfers, METRICS.linkBytes, METRICS.linkThroughput, TRANSFER];
    const parts: Buffer[][] = families.map((m) => [Buffer.from(`# HELP ${m.name} ${m.help}\n# TYPE ${m.name} ${m.type}\n`)]);
    for (const r of this.links.values()) {
      r.text ??= formatRecord(r).map((t) => Buffer.from(t));
      for (let i = 0; i < parts.length; i++) if (r.text[i]!.length) parts[i]!.push(r.text[i]!);
    }
    return Buffer.concat(parts.flat());
  }
}

function formatRecord(r: LinkRecord): string[] {
  const transfers = (r.ok ? `${METRICS.linkTransfers.name}{${r.labels},outcome="ok"} ${r.ok}\n` : '')
    + (r.failed ? `${METRICS.linkTransfers.name}{${r.labels},outcome="failed"} ${r.failed}\n` : '');
  const bytes = r.ok ? `${METRICS.linkBytes.name}{${r.labels}} ${r.bytes}\n` : '';
  const throughput = r.throughput !== null ? `${METRICS.linkThroughput.name}{${r.labels}} ${num(r.throughput)}\n` : '';
  const hist = (name: string, h: Histogram): string => {
    if (h.count === 0) return '';
    let text = '';
    for (let i = 0; i < BUCKETS.length; i++) text += `${name}_bucket{${r.labels},le="${BUCKETS[i]}"} ${h.counts[i]}\n`;
    return `${text}${name}_bucket{${r.labels},le="+Inf"} ${h.count}\n${name}_sum{${r.labels}} ${num(h.sum)}\n${name}_count{${r.labels}} ${h.count}\n`;
  };
  return [transfers, bytes, throughput, hist(TRANSFER.name, r.transfer)];
}
