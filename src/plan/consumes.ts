// Tests that consume another test's output (`consumes:`), as DAC21's chains did: PANDA
// reconstruction reads PANDA replication's data, KM3NET002 reads KM3NET001's raw files.
// The reference, its kind and its wait are checked here on the raw plan (file:line:field
// errors): unknown test, self-reference, cycles, kinds the scenarios cannot publish or read.
import { z } from 'zod';
import { didYouMean, type PathSegment } from './diagnostics.js';
import type { PlanIssue } from './validate.js';
import type { ParsedParams } from './checks.js';
import type { PlanContext } from './resolved.js';
import { OUTPUT_KINDS, type OutputKind } from '../engine/outputs.js';

/** A week: a daily upstream (KM3NET001 at 04:20) may be waited for across a weekend's outage at most. */
export const MAX_CONSUME_WAIT_SECONDS = 7 * 86_400;
export const DEFAULT_CONSUME_WAIT_SECONDS = 600;

export const consumesSchema = z.strictObject({
  /** The upstream test: its name in the same experiment, or `EXPERIMENT/test`. */
  test: z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)?$/, {
    error: 'a test name, or EXPERIMENT/test for a test of another experiment',
  }),
  output: z.enum(OUTPUT_KINDS),
  wait_seconds: z.int().min(1).max(MAX_CONSUME_WAIT_SECONDS, { error: `at most ${MAX_CONSUME_WAIT_SECONDS} (a week)` })
    .default(DEFAULT_CONSUME_WAIT_SECONDS),
});

/** A test's input taken from another test, resolved to experiment and test names. */
export interface ResolvedConsumes {
  experiment: string;
  test: string;
  output: OutputKind;
  waitSeconds: number;
}

type Raw = Record<string, unknown>;
interface Node { key: string; experiment: string; test: string; at: PathSegment[]; raw: Raw }

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const listAt = (v: unknown, key: string): unknown[] => (isRecord(v) && Array.isArray(v[key]) ? v[key] : []);

function nodes(plan: unknown): Node[] {
  return listAt(plan, 'experiments').flatMap((e, i) => {
    const experiment = isRecord(e) && typeof e.name === 'string' ? e.name : '';
    return listAt(e, 'tests').flatMap((t, j) => (isRecord(t) && typeof t.name === 'string'
      ? [{ key: `${experiment}/${t.name}`, experiment, test: t.name, at: ['experiments', i, 'tests', j], raw: t }]
      : []));
  });
}

/** `name` → same experiment; `EXP/name` → that experiment. */
export function upstreamKey(experiment: string, ref: string): string {
  return ref.includes('/') ? ref : `${experiment}/${ref}`;
}

/** Every problem of every `consumes` of the plan; `params` are the scenarios' parsed params (for the kinds they publish). */
export function consumesIssues(plan: unknown, ctx: Pick<PlanContext, 'scenarioHooks'>, params: ParsedParams): PlanIssue[] {
  const all = nodes(plan);
  const byKey = new Map(all.map((n) => [n.key, n]));
  const edges = new Map<string, string>();
  const issues: PlanIssue[] = [];
  for (const node of all) {
    const c = node.raw.consumes;
    if (!isRecord(c) || typeof c.test !== 'string') continue;
    const at = [...node.at, 'consumes'];
    const key = upstreamKey(node.experiment, c.test);
    const upstream = byKey.get(key);
    if (key === node.key) {
      issues.push({ path: [...at, 'test'], message: `a test cannot consume its own output ("${c.test}")`, severity: 'error' });
      continue;
    }
    if (!upstream) {
      const candidates = all.filter((n) => n.key !== node.key).map((n) => (n.experiment === node.experiment ? n.test : n.key));
      issues.push({ path: [...at, 'test'], message: `unknown test "${c.test}"${didYouMean(c.test, candidates)} (another experiment's test is EXPERIMENT/test)`, severity: 'error' });
      continue;
    }
    edges.set(node.key, key);
    if (typeof c.output !== 'string') continue;
    issues.push(...kindIssues(node, upstream, c.output, at, ctx, params));
  }
  issues.push(...cycleIssues(edges, byKey));
  return issues;
}

function kindIssues(
  node: Node, upstream: Node, output: string, at: PathSegment[], ctx: Pick<PlanContext, 'scenarioHooks'>, params: ParsedParams,
): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const mine = typeof node.raw.scenario === 'string' ? ctx.scenarioHooks?.(node.raw.scenario) : undefined;
  if (mine && !(mine.consumes ?? []).includes(output as OutputKind)) {
    const reads = mine.consumes?.length ? `reads only ${mine.consumes.join(', ')}` : 'reads no other test\'s output';
    issues.push({ path: [...at, 'output'], message: `scenario "${String(node.raw.scenario)}" ${reads}`, severity: 'error' });
  }
  const theirs = typeof upstream.raw.scenario === 'string' ? ctx.scenarioHooks?.(upstream.raw.scenario) : undefined;
  const upstreamParams = params.get(`${upstream.at[1]}.${upstream.at[3]}`);
  if (theirs && upstreamParams !== undefined) {
    const published = theirs.publishes?.(upstreamParams) ?? [];
    if (!published.includes(output as OutputKind)) {
      const has = published.length ? `publishes only ${published.join(', ')}` : 'publishes no output';
      issues.push({ path: [...at, 'output'], message: `test "${upstream.key}" (scenario ${String(upstream.raw.scenario)}) ${has}`, severity: 'error' });
    }
  }
  return issues;
}

/** Each test's chain is followed once; a chain that comes back to a test is a cycle, reported at every member. */
function cycleIssues(edges: Map<string, string>, byKey: Map<string, Node>): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const reported = new Set<string>();
  for (const start of edges.keys()) {
    const seen: string[] = [];
    let at: string | undefined = start;
    // At most one step per test: the chain either ends or repeats within that many steps.
    while (at !== undefined && !seen.includes(at) && seen.length <= edges.size) {
      seen.push(at);
      at = edges.get(at);
    }
    if (at === undefined || !seen.includes(at)) continue;
    const cycle = seen.slice(seen.indexOf(at));
    for (const key of cycle) {
      if (reported.has(key)) continue;
      reported.add(key);
      const node = byKey.get(key) as Node;
      const ring = [...cycle.slice(cycle.indexOf(key)), ...cycle.slice(0, cycle.indexOf(key)), key].join(' → ');
      issues.push({ path: [...node.at, 'consumes', 'test'], message: `consumes in a cycle: ${ring} (no test of it could ever start)`, severity: 'error' });
    }
  }
  return issues;
}

/** The resolved `consumes` of each test and, for each upstream, the tests that consume it. */
export function resolveConsumes(plan: { experiments: { name: string; tests: { name: string; consumes?: z.output<typeof consumesSchema> }[] }[] }): {
  consumes: Map<string, ResolvedConsumes>; consumedBy: Map<string, { experiment: string; test: string }[]>;
} {
  const consumes = new Map<string, ResolvedConsumes>();
  const consumedBy = new Map<string, { experiment: string; test: string }[]>();
  for (const e of plan.experiments) {
    for (const t of e.tests) {
      if (!t.consumes) continue;
      const key = upstreamKey(e.name, t.consumes.test);
      const [experiment, test] = key.split('/') as [string, string];
      consumes.set(`${e.name}/${t.name}`, { experiment, test, output: t.consumes.output, waitSeconds: t.consumes.wait_seconds });
      consumedBy.set(key, [...(consumedBy.get(key) ?? []), { experiment: e.name, test: t.name }]);
    }
  }
  return { consumes, consumedBy };
}
