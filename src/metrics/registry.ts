import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { performed, type OpResult, type RunInfo, type RunSummary, type Sink } from '../engine/op-result.js';
import { AGENT_LABEL, DATA_OPERATIONS, METRICS, SKIP_REASONS, type MetricKey, type MetricSpec, type SkipReason } from './catalogue.js';
import { LinkMetrics } from './link-metrics.js';
import { InFlightMetrics } from './in-flight-metrics.js';
import { isFileResult } from '../report/figures.js';

/** Anything that renders a Prometheus text exposition. */
export interface Exposition {
  readonly contentType: string;
  metrics(): Promise<string>;
  /** The same text as bytes, when the source can produce them without building a string. */
  metricsBuffer?(): Promise<Buffer>;
}

/** Rendered by LinkMetrics, not by prom-client (see link-metrics.ts). */
const LINK_KEYS = new Set<MetricKey>(['linkTransfers', 'linkBytes', 'linkThroughput', 'transferDuration']);

export interface KnownTest {
  experiment: string;
  test: string;
  /** RSEs the plan names for it, when it names them (for series that exist from the start). */
  rses?: readonly string[];
  embargo?: boolean;
}

type Labels = Record<string, string>;

/**
 * Metrics sink: builds prom-client metrics from the catalogue on its own
 * registry (never the global one) and updates them from OpResults. "Last run"
 * gauges are reset at each run of a test, so a long-lived daemon never adds
 * them up across runs.
 */
export class MetricsSink implements Sink, Exposition {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly links: LinkMetrics;
  private readonly counters = new Map<MetricKey, Counter>();
  private readonly gauges = new Map<MetricKey, Gauge>();
  private readonly histograms = new Map<MetricKey, Histogram>();
  private readonly runOfTest = new Map<string, { runId: string; failed: number; labels: Labels }>();
  /** Absent in the coordinator's sink, which exports only the agents' health. */
  private readonly inFlight?: InFlightMetrics;

  /** `agent`: every series carries it as its `agent` label; `coordinator`: only the agent-health series. */
  constructor(options: { daemon?: boolean; agent?: string; coordinator?: boolean } = {}) {
    if (options.agent !== undefined) this.registry.setDefaultLabels({ [AGENT_LABEL]: options.agent });
    this.links = new LinkMetrics(options.agent === undefined ? {} : { [AGENT_LABEL]: options.agent });
    for (const [key, spec] of Object.entries(METRICS) as [MetricKey, MetricSpec][]) {
      if (options.coordinator ? spec.source !== 'coordinator' : spec.source === 'coordinator') continue;
      if ((spec.source === 'daemon' && !options.daemon) || LINK_KEYS.has(key)) continue;
      const config = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [this.registry] };
      if (spec.type === 'counter') this.counters.set(key, new Counter(config));
      else if (spec.type === 'gauge') this.gauges.set(key, new Gauge(config));
      else this.histograms.set(key, new Histogram({ ...config, buckets: [...(spec.buckets ?? [])] }));
    }
    if (!options.coordinator) {
      this.inFlight = new InFlightMetrics(this.gauge('linkInFlightMax'), this.gauge('linkInFlightMean'), this.counter('linkRecoveredFailures'));
    }
  }

  counter(key: MetricKey): Counter {
    return need(this.counters.get(key), key);
  }

  gauge(key: MetricKey): Gauge {
    return need(this.gauges.get(key), key);
  }

  histogram(key: MetricKey): Histogram {
    return need(this.histograms.get(key), key);
  }

  /** Creates the series of known label values at 0, so dashboards and alerts see them before the first event. */
  declareTests(tests: readonly KnownTest[]): void {
    for (const t of tests) {
      const labels = { experiment: t.experiment, test: t.test };
      if (t.embargo) for (const rse of t.rses ?? []) this.counter('embargoViolations').inc({ ...labels, rse }, 0);
      if (!this.counters.has('skippedRuns')) continue;
      for (const reason of SKIP_REASONS) this.counter('skippedRuns').inc({ ...labels, reason }, 0);
      this.counter('missedRuns').inc(labels, 0);
      this.counter('scheduledRuns').inc(labels, 0);
      this.gauge('runsInProgress').set(labels, 0);
    }
  }

  /** Drops the per-test series of a test that no longer exists in the plan. */
  forgetTest(experiment: string, test: string): void {
    const labels = { experiment, test };
    for (const key of ['testSuccess', 'testLastRun', 'testDuration', 'runFailures', 'nextRun', 'runsInProgress'] as const) {
      this.gauges.get(key)?.remove(labels);
    }
    for (const key of ['missedRuns', 'scheduledRuns'] as const) this.counters.get(key)?.remove(labels);
    for (const reason of SKIP_REASONS) this.counters.get('skippedRuns')?.remove({ ...labels, reason });
    this.runOfTest.delete(`${experiment}\u0000${test}`);
  }

  skipped(experiment: string, test: string, reason: SkipReason): void {
    this.counter('skippedRuns').inc({ experiment, test, reason });
  }

  /** `issuedAt`: when the credential became valid, so its full lifetime is known (null: not known). */
  setCredentialExpiry(authMethod: string, expiresAt: Date | null, issuedAt: Date | null = null): void {
    const labels = { auth_method: authMethod };
    if (expiresAt) this.gauge('credentialExpiry').set(labels, expiresAt.getTime() / 1000);
    else this.gauge('credentialExpiry').remove(labels);
    if (expiresAt && issuedAt && issuedAt < expiresAt) this.gauge('credentialLifetime').set(labels, (expiresAt.getTime() - issuedAt.getTime()) / 1000);
    else this.gauge('credentialLifetime').remove(labels);
  }

  /** Whether lakeprobe's own renewal of the credential works (null: nothing renews it). */
  setCredentialRenewalOk(authMethod: string, ok: boolean | null): void {
    const labels = { auth_method: authMethod };
    if (ok === null) this.gauge('credentialRenewalOk').remove(labels);
    else this.gauge('credentialRenewalOk').set(labels, ok ? 1 : 0);
  }

  /** The last renewal per audience (the latest when several tokens share one); stale audiences go. */
  setCredentialRenewals(renewals: { authMethod: string; audience: string; at: Date }[]): void {
    const gauge = this.gauge('credentialLastRenewal');
    gauge.reset();
    const latest = new Map<string, { authMethod: string; audience: string; at: Date }>();
    for (const r of renewals) {
      const key = `${r.authMethod}\u0000${r.audience}`;
      const seen = latest.get(key);
      if (!seen || seen.at < r.at) latest.set(key, r);
    }
    for (const r of latest.values()) gauge.set({ auth_method: r.authMethod, audience: r.audience }, r.at.getTime() / 1000);
  }

  onResult(r: OpResult): void {
    // A skipped step was not performed: it is in no operation count, duration, rate or failure series.
    if (!performed(r)) return;
    const base = {
      experiment: r.experiment, test: r.test, operation: r.operation, rse: r.rse || 'none',
      protocol: r.protocol || 'none', auth_method: r.authMethod,
    };
    const seconds = r.durationMs / 1000;
    const errorClass = r.errorClass ?? 'none';
    this.counter('operations').inc({ ...base, outcome: r.outcome, error_class: errorClass });
    this.histogram('operationDuration').observe({ ...base, size_class: r.sizeClass }, seconds);
    this.gauge('lastResult').set({ ...base, outcome: r.outcome }, (Date.parse(r.start) + r.durationMs) / 1000);
    // A rule-level result is not a file: its bytes are the transfers' beside it (README "How figures are counted").
    if (r.outcome === 'ok' && DATA_OPERATIONS.has(r.operation) && r.bytes > 0 && isFileResult(r)) {
      this.counter('transferredBytes').inc(base, r.bytes);
      if (r.durationMs > 0) this.gauge('throughput').set({ ...base, size_class: r.sizeClass }, r.bytes / seconds);
    }
    const testLabels = { experiment: r.experiment, test: r.test };
    if (r.scenario === 'embargo' && r.rse) this.counter('embargoViolations').inc({ ...testLabels, rse: r.rse }, 0);
    if (r.outcome === 'failed') {
      this.counter('failures').inc({
        ...testLabels, operation: r.operation, rse: base.rse, error_class: errorClass, severity: r.severity,
      });
      if (r.errorClass === 'embargo_violation') this.counter('embargoViolations').inc({ ...testLabels, rse: base.rse });
    }
    if (r.check?.kind === 'cache' && r.check.cache && r.outcome === 'ok') this.counter('cacheReads').inc({ ...testLabels, rse: base.rse, result: r.check.cache });
    if (r.operation === 'replicate' && r.srcRse && r.dstRse) this.onReplication(r, seconds);
    const key = `${r.experiment}\u0000${r.test}`;
    let entry = this.runOfTest.get(key);
    if (!entry || entry.runId !== r.runId) {
      entry = { runId: r.runId, failed: 0, labels: testLabels };
      this.runOfTest.set(key, entry);
    }
    if (r.outcome === 'failed') entry.failed++;
  }

  /** Per-link series come from replicate results: rule time to OK, and the transfer when a request id is known. */
  private onReplication(r: OpResult, seconds: number): void {
    if (isFileResult(r)) this.links.replicated(r.srcRse, r.dstRse, r.sizeClass, r.outcome === 'ok' ? 'ok' : 'failed', r.bytes, seconds, Boolean(r.requestId));
    if (isFileResult(r)) this.inFlight?.add(r);
    if (r.outcome === 'ok') this.histogram('ruleTimeToOk').observe({ dst_rse: r.dstRse, size_class: r.sizeClass }, seconds);
  }

  /** Sets the last-run gauges of every test this run touched, once its run is complete. */
  onEnd(run: RunInfo, summary: RunSummary): void {
    const finished = Date.parse(summary.finishedAt);
    const seconds = Math.max(0, (finished - Date.parse(run.startedAt)) / 1000);
    for (const entry of this.runOfTest.values()) {
      if (entry.runId !== run.runId) continue;
      this.gauge('runFailures').set(entry.labels, entry.failed);
      this.gauge('testSuccess').set(entry.labels, entry.failed === 0 && !summary.scenarioCrashes ? 1 : 0);
      this.gauge('testLastRun').set(entry.labels, finished / 1000);
      this.gauge('testDuration').set(entry.labels, seconds);
    }
  }

  async metrics(): Promise<string> {
    this.inFlight?.refresh();
    return (await this.registry.metrics()) + this.links.render();
  }

  async metricsBuffer(): Promise<Buffer> {
    this.inFlight?.refresh();
    return Buffer.concat([Buffer.from(await this.registry.metrics()), this.links.renderBuffer()]);
  }
}

function need<T extends Metric>(metric: T | undefined, key: MetricKey): T {
  if (!metric) throw new Error(`metric ${METRICS[key].name} is not registered in this sink`);
  return metric;
}
