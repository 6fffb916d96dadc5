import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OpResult, RunInfo, RunSummary, Sink } from '../engine/op-result.js';
import { DATA_OPERATIONS, METRICS } from './catalogue.js';

/**
 * Metrics sink: builds prom-client metrics from the catalogue on its own
 * registry (never the global one) and updates them from OpResults.
 */
export class MetricsSink implements Sink {
  readonly registry = new Registry();
  private readonly operations = new Counter({ ...spec(METRICS.operations), registers: [this.registry] });
  private readonly duration = new Histogram({
    ...spec(METRICS.operationDuration), buckets: [...METRICS.operationDuration.buckets], registers: [this.registry],
  });
  private readonly bytes = new Counter({ ...spec(METRICS.transferredBytes), registers: [this.registry] });
  private readonly throughput = new Gauge({ ...spec(METRICS.throughput), registers: [this.registry] });
  private readonly lastResult = new Gauge({ ...spec(METRICS.lastResult), registers: [this.registry] });
  private readonly testFailures = new Gauge({ ...spec(METRICS.runFailures), registers: [this.registry] });
  private readonly failuresByTest = new Map<string, { experiment: string; test: string; failed: number }>();

  onResult(r: OpResult): void {
    const base = {
      experiment: r.experiment, test: r.test, operation: r.operation, rse: r.rse || 'none',
      protocol: r.protocol, auth_method: r.authMethod,
    };
    this.operations.inc({ ...base, outcome: r.outcome, error_class: r.errorClass ?? 'none' });
    this.duration.observe({ ...base, size_class: r.sizeClass }, r.durationMs / 1000);
    this.lastResult.set({ ...base, outcome: r.outcome }, (Date.parse(r.start) + r.durationMs) / 1000);
    if (r.outcome === 'ok' && DATA_OPERATIONS.has(r.operation) && r.bytes > 0) {
      this.bytes.inc(base, r.bytes);
      if (r.durationMs > 0) this.throughput.set({ ...base, size_class: r.sizeClass }, r.bytes / (r.durationMs / 1000));
    }
    const key = `${r.experiment}\u0000${r.test}`;
    const entry = this.failuresByTest.get(key) ?? { experiment: r.experiment, test: r.test, failed: 0 };
    if (r.outcome === 'failed') entry.failed++;
    this.failuresByTest.set(key, entry);
    this.testFailures.set({ experiment: entry.experiment, test: entry.test }, entry.failed);
  }

  onEnd(_run: RunInfo, _summary: RunSummary): void {}

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

function spec(m: { name: string; help: string; labels: readonly string[] }) {
  return { name: m.name, help: m.help, labelNames: [...m.labels] };
}
