// Thresholds as data, k6-style: a key names a metric and an optional tag filter,
// `duration{operation:upload,rse:SITE_A}`, and each expression bounds one aggregate of it,
// `p(95) < 30s`, `rate < 0.01`. Parsed (and so validated) when the plan loads.
import { parseSize } from '../engine/sizes.js';

export const THRESHOLD_METRICS = {
  /** Operation duration in milliseconds. */
  duration: { aggregates: ['avg', 'min', 'max', 'med', 'p'], unit: 'ms' },
  /** Share of failed operations, 0..1. */
  failure_rate: { aggregates: ['rate'], unit: '' },
  /** Throughput of successful data-moving operations, bytes per second. */
  throughput: { aggregates: ['avg', 'min', 'max', 'med', 'p'], unit: 'B/s' },
  /** Number of operations. */
  operations: { aggregates: ['count'], unit: '' },
} as const;
export type ThresholdMetric = keyof typeof THRESHOLD_METRICS;
export type Aggregate = 'avg' | 'min' | 'max' | 'med' | 'p' | 'rate' | 'count';

export const THRESHOLD_TAGS = ['test', 'operation', 'rse', 'src_rse', 'dst_rse', 'link', 'size_class', 'auth', 'protocol'] as const;
export type ThresholdTag = (typeof THRESHOLD_TAGS)[number];

type Comparator = '<=' | '>=' | '==' | '!=' | '<' | '>';

export interface Threshold {
  /** As written in the plan, for messages. */
  key: string;
  expression: string;
  metric: ThresholdMetric;
  tags: Partial<Record<ThresholdTag, string>>;
  aggregate: Aggregate;
  /** The percentile for aggregate 'p'. */
  percentile?: number;
  comparator: Comparator;
  /** In the metric's base unit (ms, B/s, a ratio or a count). */
  limit: number;
}

export const MAX_THRESHOLD_KEY = 200;
export const MAX_THRESHOLD_EXPRESSION = 100;

const KEY = /^([a-z_]+)(?:\{([^{}]*)\})?$/;
const EXPRESSION = /^\s*([a-z]+)(?:\(\s*(\d+(?:\.\d+)?)\s*\))?\s*(<=|>=|==|!=|<|>)\s*(\S(?:.*\S)?)\s*$/;
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Parses one `key: [expression]` pair; throws an Error whose message says what is wrong, in plan terms. */
export function parseThreshold(key: string, expression: string): Threshold {
  if (key.length > MAX_THRESHOLD_KEY) throw new Error(`threshold key is longer than ${MAX_THRESHOLD_KEY} characters`);
  if (expression.length > MAX_THRESHOLD_EXPRESSION) {
    throw new Error(`threshold expression is longer than ${MAX_THRESHOLD_EXPRESSION} characters`);
  }
  const k = KEY.exec(key.trim());
  if (!k) throw new Error(`"${key}" is not metric{tag:value,...} (e.g. duration{operation:upload})`);
  const metric = k[1] as string;
  if (!(metric in THRESHOLD_METRICS)) {
    throw new Error(`unknown threshold metric "${metric}" (known: ${Object.keys(THRESHOLD_METRICS).join(', ')})`);
  }
  const spec = THRESHOLD_METRICS[metric as ThresholdMetric];
  const tags = parseTags(k[2]);
  const e = EXPRESSION.exec(expression);
  if (!e) throw new Error(`"${expression}" is not aggregate comparator value (e.g. p(95) < 30s, rate < 0.01)`);
  const aggregate = e[1] as string;
  if (!(spec.aggregates as readonly string[]).includes(aggregate)) {
    throw new Error(`"${aggregate}" does not apply to ${metric} (use ${spec.aggregates.map((a) => (a === 'p' ? 'p(N)' : a)).join(', ')})`);
  }
  const percentile = e[2] === undefined ? undefined : Number(e[2]);
  if (aggregate === 'p' && (percentile === undefined || percentile <= 0 || percentile > 100)) {
    throw new Error('a percentile is p(N) with 0 < N <= 100');
  }
  if (aggregate !== 'p' && percentile !== undefined) throw new Error(`"${aggregate}" takes no argument`);
  return {
    key, expression, metric: metric as ThresholdMetric, tags, aggregate: aggregate as Aggregate, percentile,
    comparator: e[3] as Comparator, limit: parseLimit(metric as ThresholdMetric, e[4] as string),
  };
}

function parseTags(text: string | undefined): Threshold['tags'] {
  const tags: Threshold['tags'] = {};
  if (text === undefined || text.trim() === '') return tags;
  for (const part of text.split(',')) {
    const [name, value, extra] = part.split(':').map((s) => s.trim());
    if (!name || !value || extra !== undefined) throw new Error(`"${part.trim()}" is not tag:value`);
    if (!(THRESHOLD_TAGS as readonly string[]).includes(name)) {
      throw new Error(`unknown tag "${name}" (known: ${THRESHOLD_TAGS.join(', ')})`);
    }
    if (name === 'link' && !/^[^>]+->[^>]+$/.test(value)) throw new Error(`link "${value}" is not SRC->DST`);
    tags[name as ThresholdTag] = value;
  }
  return tags;
}

function parseLimit(metric: ThresholdMetric, text: string): number {
  if (metric === 'duration') {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?$/.exec(text);
    if (!m) throw new Error(`"${text}" is not a duration (e.g. 500ms, 30s, 2m)`);
    return Number(m[1]) * (DURATION_UNITS[m[2] ?? 'ms'] as number);
  }
  if (metric === 'throughput') {
    const m = /^(.+?)\s*\/\s*s$/.exec(text);
    if (!m) throw new Error(`"${text}" is not a rate (e.g. 50MB/s, 1GiB/s)`);
    try {
      return parseSize(m[1] as string);
    } catch {
      throw new Error(`"${text}" is not a rate (e.g. 50MB/s, 1GiB/s)`);
    }
  }
  const value = Number(text);
  if (!Number.isFinite(value) || text.trim() === '') throw new Error(`"${text}" is not a number`);
  if (metric === 'failure_rate' && (value < 0 || value > 1)) throw new Error('a failure rate is between 0 and 1');
  if (metric === 'operations' && (!Number.isInteger(value) || value < 0)) throw new Error('a count is a whole number');
  return value;
}

export function compare(value: number, comparator: Comparator, limit: number): boolean {
  switch (comparator) {
    case '<': return value < limit;
    case '<=': return value <= limit;
    case '>': return value > limit;
    case '>=': return value >= limit;
    case '==': return value === limit;
    case '!=': return value !== limit;
  }
}
