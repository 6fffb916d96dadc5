// Regression baselines: the figures of an earlier, accepted run per test × operation × RSE
// (or link) × size class, and the rules that compare a new run against them.
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { OpResult } from '../engine/op-result.js';
import { percentile } from '../report/model.js';
import { durations, throughputs } from './evaluate.js';

export const BASELINE_VERSION = 1;
/** A baseline larger than this is not a probe suite's; refuse it rather than compare for minutes. */
export const MAX_BASELINE_ENTRIES = 10_000;

const entrySchema = z.strictObject({
  test: z.string().max(200),
  operation: z.string().max(50),
  rse: z.string().max(200),
  src_rse: z.string().max(200),
  dst_rse: z.string().max(200),
  size_class: z.string().max(20),
  count: z.int().min(0),
  failures: z.int().min(0),
  p95_ms: z.number().min(0).nullable(),
  median_throughput_bps: z.number().min(0).nullable(),
  error_classes: z.array(z.string().max(50)).max(100),
});
export type BaselineEntry = z.output<typeof entrySchema>;

const baselineSchema = z.strictObject({
  version: z.literal(BASELINE_VERSION),
  plan: z.string().max(200),
  run_id: z.string().max(100),
  created_at: z.string().max(40),
  entries: z.array(entrySchema).max(MAX_BASELINE_ENTRIES),
});
export type Baseline = z.output<typeof baselineSchema>;

export interface RegressionRules {
  /** Fail when the median throughput fell by more than this many percent. */
  throughputDropPercent?: number;
  /** Fail when the p95 duration rose by more than this many percent. */
  p95RisePercent?: number;
  /** Fail on an error class the baseline did not have for the same test. */
  newErrorClass?: boolean;
  /** Compare a group only when both runs have at least this many samples. */
  minSamples: number;
}

export interface Regression {
  metric: 'throughput' | 'p95' | 'error_class';
  where: string;
  baseline: string;
  value: string;
  message: string;
}

type Key = Pick<BaselineEntry, 'test' | 'operation' | 'rse' | 'src_rse' | 'dst_rse' | 'size_class'>;

function keyOf(r: OpResult): Key {
  return { test: r.test, operation: r.operation, rse: r.rse, src_rse: r.srcRse, dst_rse: r.dstRse, size_class: r.sizeClass };
}

function keyText(k: Key): string {
  const place = k.src_rse && k.dst_rse ? `${k.src_rse}->${k.dst_rse}` : k.rse || '-';
  return `${k.test} ${k.operation} on ${place} (${k.size_class})`;
}

/** The baseline figures of a run's results. */
export function buildBaseline(plan: string, runId: string, results: readonly OpResult[], now = new Date()): Baseline {
  const groups = new Map<string, OpResult[]>();
  for (const r of results) {
    const k = JSON.stringify(keyOf(r));
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  if (groups.size > MAX_BASELINE_ENTRIES) {
    throw new Error(`the run has ${groups.size} groups; a baseline holds at most ${MAX_BASELINE_ENTRIES}`);
  }
  const entries = [...groups.entries()].map(([k, rs]) => {
    const d = durations(rs);
    const t = throughputs(rs);
    return {
      ...(JSON.parse(k) as Key),
      count: rs.length,
      failures: rs.filter((r) => r.outcome === 'failed').length,
      p95_ms: d.length ? percentile(d, 95) : null,
      median_throughput_bps: t.length ? percentile(t, 50) : null,
      error_classes: [...new Set(rs.flatMap((r) => (r.errorClass ? [r.errorClass] : [])))].sort(),
    };
  });
  entries.sort((a, b) => keyText(a).localeCompare(keyText(b)));
  return { version: BASELINE_VERSION, plan, run_id: runId, created_at: now.toISOString(), entries };
}

export async function writeBaseline(file: string, baseline: Baseline): Promise<void> {
  await writeFile(file, `${JSON.stringify(baseline, null, 2)}\n`);
}

/** Reads and checks a baseline file; errors name the file and the field. */
export async function readBaseline(file: string): Promise<Baseline> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read baseline: ${(e as Error).message}`);
  }
  const parsed = baselineSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') || '(top)';
    throw new Error(`${file}: ${path}: ${issue?.message ?? 'invalid baseline'}`);
  }
  return parsed.data;
}

const pct = (v: number): string => `${v.toFixed(1)} %`;
const mbps = (v: number): string => `${(v / 1e6).toFixed(2)} MB/s`;
const ms = (v: number): string => `${v.toFixed(0)} ms`;

/** Compares a run's figures with a baseline under the rules; one Regression per crossed rule. */
export function findRegressions(baseline: Baseline, current: Baseline, rules: RegressionRules): Regression[] {
  const before = new Map(baseline.entries.map((e) => [keyText(e), e]));
  const out: Regression[] = [];
  const reported = new Set<string>();
  const classesBefore = new Map<string, Set<string>>();
  for (const e of baseline.entries) {
    const set = classesBefore.get(e.test) ?? new Set<string>();
    for (const c of e.error_classes) set.add(c);
    classesBefore.set(e.test, set);
  }
  for (const now of current.entries) {
    const where = keyText(now);
    const was = before.get(where);
    const enough = was !== undefined && was.count >= rules.minSamples && now.count >= rules.minSamples;
    if (enough && rules.throughputDropPercent !== undefined && was.median_throughput_bps && now.median_throughput_bps !== null) {
      const drop = (1 - now.median_throughput_bps / was.median_throughput_bps) * 100;
      if (drop > rules.throughputDropPercent) {
        out.push({
          metric: 'throughput', where, baseline: mbps(was.median_throughput_bps), value: mbps(now.median_throughput_bps),
          message: `median throughput of ${where} fell ${pct(drop)} (limit ${pct(rules.throughputDropPercent)}): baseline ${mbps(was.median_throughput_bps)}, now ${mbps(now.median_throughput_bps)}`,
        });
      }
    }
    if (enough && rules.p95RisePercent !== undefined && was.p95_ms && now.p95_ms !== null) {
      const rise = (now.p95_ms / was.p95_ms - 1) * 100;
      if (rise > rules.p95RisePercent) {
        out.push({
          metric: 'p95', where, baseline: ms(was.p95_ms), value: ms(now.p95_ms),
          message: `p95 duration of ${where} rose ${pct(rise)} (limit ${pct(rules.p95RisePercent)}): baseline ${ms(was.p95_ms)}, now ${ms(now.p95_ms)}`,
        });
      }
    }
    if (rules.newErrorClass) {
      const known = classesBefore.get(now.test) ?? new Set<string>();
      const had = [...known].sort().join(', ') || 'none';
      for (const c of now.error_classes) {
        if (known.has(c) || reported.has(`${now.test}\u0000${c}`)) continue;
        reported.add(`${now.test}\u0000${c}`);
        out.push({
          metric: 'error_class', where, baseline: had, value: c,
          message: `new error class ${c} in ${where} (the baseline's ${now.test} had: ${had})`,
        });
      }
    }
  }
  return out;
}
