// Reads the summary k6 hands to handleSummary() (the `data` object, as our scripts write it
// to LAKEPROBE_K6_SUMMARY): metrics with their type and aggregated values, each threshold's
// verdict, the checks. It holds aggregates only, so it is stored as a load summary beside
// the run, never turned into invented per-operation results.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

export const MAX_K6_METRICS = 2000;
const MAX_NAME = 300;

const metricSchema = z.object({
  type: z.enum(['counter', 'gauge', 'rate', 'trend']),
  contains: z.enum(['default', 'time', 'data']).optional(),
  values: z.record(z.string().max(40), z.number()),
  thresholds: z.record(z.string().max(MAX_NAME), z.object({ ok: z.boolean() })).optional(),
});

interface RawGroup {
  name?: string;
  checks?: { name: string; passes: number; fails: number }[];
  groups?: RawGroup[];
}

const groupSchema: z.ZodType<RawGroup> = z.lazy(() => z.object({
  name: z.string().max(MAX_NAME).optional(),
  checks: z.array(z.object({ name: z.string().max(MAX_NAME), passes: z.int().min(0), fails: z.int().min(0) })).max(1000).optional(),
  groups: z.array(groupSchema).max(1000).optional(),
}));

const summarySchema = z.object({
  state: z.object({ testRunDurationMs: z.number().min(0) }).partial().optional(),
  metrics: z.record(z.string().max(MAX_NAME), metricSchema)
    .refine((m) => Object.keys(m).length <= MAX_K6_METRICS, { message: `more than ${MAX_K6_METRICS} metrics` }),
  root_group: groupSchema.optional(),
});

export interface LoadMetric {
  /** The metric name without its tag filter, e.g. http_req_duration. */
  name: string;
  /** The submetric's tags, e.g. { operation: 'upload' } for lakeprobe_op_duration{operation:upload}. */
  tags: Record<string, string>;
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  /** 'time' values are milliseconds, 'data' values bytes. */
  contains: 'default' | 'time' | 'data';
  values: Record<string, number>;
}

export interface LoadSummary {
  tool: 'k6';
  durationMs: number | null;
  metrics: LoadMetric[];
  thresholds: { metric: string; expression: string; ok: boolean }[];
  checks: { name: string; passes: number; fails: number }[];
}

function splitName(key: string): { name: string; tags: Record<string, string> } {
  const m = /^([^{]+)(?:\{(.*)\})?$/.exec(key);
  const tags: Record<string, string> = {};
  for (const part of (m?.[2] ?? '').split(',')) {
    const i = part.indexOf(':');
    if (i > 0) tags[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return { name: m?.[1] ?? key, tags };
}

function checksOf(group: RawGroup | undefined, prefix = ''): LoadSummary['checks'] {
  if (!group) return [];
  const here = prefix ? `${prefix}::` : '';
  return [
    ...(group.checks ?? []).map((c) => ({ name: `${here}${c.name}`, passes: c.passes, fails: c.fails })),
    ...(group.groups ?? []).flatMap((g) => checksOf(g, `${here}${g.name ?? ''}`)),
  ];
}

/** Parses summary data; errors name the file and the first bad field. */
export function parseK6Summary(data: unknown, file: string): LoadSummary {
  const parsed = summarySchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'not a k6 summary'}`);
  }
  const { metrics, state, root_group } = parsed.data;
  const out: LoadSummary = { tool: 'k6', durationMs: state?.testRunDurationMs ?? null, metrics: [], thresholds: [], checks: checksOf(root_group) };
  for (const [key, metric] of Object.entries(metrics)) {
    out.metrics.push({ ...splitName(key), type: metric.type, contains: metric.contains ?? 'default', values: metric.values });
    for (const [expression, verdict] of Object.entries(metric.thresholds ?? {})) {
      out.thresholds.push({ metric: key, expression, ok: verdict.ok });
    }
  }
  return out;
}

/**
 * The summary with `redact` applied to every text k6 took from the script or the traffic
 * (metric names and tags, threshold expressions, check and group names): a tag can hold a
 * URL with a password in its query, a check name whatever the script put in it.
 */
export function redactLoadSummary(summary: LoadSummary, redact: (text: string) => string): LoadSummary {
  return {
    ...summary,
    metrics: summary.metrics.map((m) => ({
      ...m, name: redact(m.name),
      tags: Object.fromEntries(Object.entries(m.tags).map(([k, v]) => [redact(k), redact(v)])),
    })),
    thresholds: summary.thresholds.map((t) => ({ ...t, metric: redact(t.metric), expression: redact(t.expression) })),
    checks: summary.checks.map((c) => ({ ...c, name: redact(c.name) })),
  };
}

export async function readK6Summary(file: string): Promise<LoadSummary> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read k6 summary: ${(e as Error).message}`);
  }
  return parseK6Summary(data, file);
}
