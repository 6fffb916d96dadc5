// Evaluates thresholds over the recorded results of a run. A threshold over nothing
// (no matching operation, no sample) fails: a probe that measured nothing has not passed.
import type { OpResult } from '../engine/op-result.js';
import { percentile } from '../report/model.js';
import { compare, type Threshold, type ThresholdTag } from './threshold.js';

export interface ThresholdOutcome {
  threshold: Threshold;
  /** Where the threshold came from: '' for the plan, else the test's name. */
  scope: string;
  passed: boolean;
  /** The measured aggregate, null when there was nothing to measure. */
  value: number | null;
  samples: number;
  message: string;
}

const DATA_OPERATIONS = new Set(['upload', 'download', 'replicate']);

const TAG_FIELDS: Record<Exclude<ThresholdTag, 'link'>, (r: OpResult) => string> = {
  test: (r) => r.test,
  operation: (r) => r.operation,
  rse: (r) => r.rse,
  src_rse: (r) => r.srcRse,
  dst_rse: (r) => r.dstRse,
  size_class: (r) => r.sizeClass,
  auth: (r) => r.authMethod,
  protocol: (r) => r.protocol,
};

export function matches(result: OpResult, tags: Threshold['tags']): boolean {
  for (const [tag, want] of Object.entries(tags) as [ThresholdTag, string][]) {
    if (tag === 'link') {
      const [src, dst] = want.split('->');
      if (result.srcRse !== src || result.dstRse !== dst) return false;
    } else if (TAG_FIELDS[tag](result) !== want) return false;
  }
  return true;
}

/** Duration of successful operations, in ms. */
export function durations(results: readonly OpResult[]): number[] {
  return results.filter((r) => r.outcome === 'ok').map((r) => r.durationMs);
}

/** Per-operation throughput of successful data-moving operations, in bytes per second. */
export function throughputs(results: readonly OpResult[]): number[] {
  return results
    .filter((r) => r.outcome === 'ok' && DATA_OPERATIONS.has(r.operation) && r.bytes > 0 && r.durationMs > 0)
    .map((r) => r.bytes / (r.durationMs / 1000));
}

function aggregate(values: number[], t: Threshold): number | null {
  if (values.length === 0) return null;
  switch (t.aggregate) {
    case 'avg': return values.reduce((s, v) => s + v, 0) / values.length;
    case 'min': return Math.min(...values);
    case 'max': return Math.max(...values);
    case 'med': return percentile(values, 50);
    case 'p': return percentile(values, t.percentile ?? 95);
    default: return null;
  }
}

function measure(t: Threshold, selected: OpResult[]): { value: number | null; samples: number } {
  switch (t.metric) {
    case 'operations': return { value: selected.length, samples: selected.length };
    case 'failure_rate': {
      const failed = selected.filter((r) => r.outcome === 'failed').length;
      return { value: selected.length ? failed / selected.length : null, samples: selected.length };
    }
    case 'duration': {
      const values = durations(selected);
      return { value: aggregate(values, t), samples: values.length };
    }
    case 'throughput': {
      const values = throughputs(selected);
      return { value: aggregate(values, t), samples: values.length };
    }
  }
}

export function formatValue(t: Threshold, value: number): string {
  if (t.metric === 'duration') return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`;
  if (t.metric === 'throughput') return `${(value / 1e6).toFixed(2)} MB/s`;
  if (t.metric === 'failure_rate') return `${(value * 100).toFixed(2)} %`;
  return String(value);
}

/** Evaluates each threshold; `scope` restricts a test's own thresholds to that test's results. */
export function evaluateThresholds(
  results: readonly OpResult[], thresholds: readonly { scope: string; threshold: Threshold }[],
): ThresholdOutcome[] {
  return thresholds.map(({ scope, threshold }) => {
    const selected = results.filter((r) => (scope === '' || r.test === scope) && matches(r, threshold.tags));
    const { value, samples } = measure(threshold, selected);
    const where = scope ? `${scope}: ` : '';
    const name = `${where}${threshold.key} ${threshold.expression}`;
    if (value === null) {
      return { threshold, scope, passed: false, value, samples, message: `${name}: nothing to measure (no matching successful operation)` };
    }
    const passed = compare(value, threshold.comparator, threshold.limit);
    const message = `${name}: measured ${formatValue(threshold, value)} over ${samples} sample${samples === 1 ? '' : 's'}${passed ? '' : ' — threshold crossed'}`;
    return { threshold, scope, passed, value, samples, message };
  });
}
