// `lakeprobe run --scale F`: a whole challenge plan rehearsed small. Each scenario says
// how its params shrink (Scenario.scale); these helpers keep every value usable. The
// criteria that depend on the work (files, bytes, the times they take) shrink with it;
// rates, shares and latencies are kept; the plan's own targets stay alongside.
import type { ResolvedPlan, ResolvedSuccess, ResolvedTest } from '../plan/index.js';
import type { Scenario, ScenarioRegistry } from './scenario.js';

export const MIN_SCALE = 1e-6;

/**
 * A scaled time target never drops below this: a rule needs a few of the lake's poll cycles
 * (judge, conveyor) whatever its volume; 600 s is the rule timeout the scenarios default to.
 */
export const SCALED_TIME_FLOOR_SECONDS = 600;

/** A count scaled down, at least 1. */
export function scaleCount(n: number, factor: number): number {
  return Math.max(1, Math.ceil(n * factor));
}

/** A size scaled down, at least 1 KiB (or the size itself when smaller). */
export function scaleSize(bytes: number, factor: number): number {
  return Math.min(bytes, Math.max(1024, Math.round(bytes * factor)));
}

/** A duration scaled down, at least `floor` seconds (or itself when shorter). */
export function scaleSeconds(seconds: number, factor: number, floor = 0): number {
  return Math.min(seconds, Math.max(floor, seconds * factor));
}

export function checkScale(factor: number): string | null {
  return Number.isFinite(factor) && factor >= MIN_SCALE && factor <= 1 ? null : `--scale must be a number in [${MIN_SCALE}, 1], got ${factor}`;
}

/** How much the work shrank, in files and in bytes (the scenario's own measure, else the factor and its square). */
function workRatios(scenario: Scenario<unknown> | undefined, full: unknown, scaled: unknown, factor: number): { files: number; bytes: number } {
  const before = scenario?.work?.(full);
  const after = scenario?.work?.(scaled);
  if (before && after && before.files > 0 && before.bytes > 0) {
    return { files: Math.min(1, after.files / before.files), bytes: Math.min(1, after.bytes / before.bytes) };
  }
  // Counts and sizes both shrink by the factor: the volume by its square.
  return { files: factor, bytes: factor * factor };
}

/** Up to rounding noise: a target equal to the work stays equal to the scaled work. */
const up = (x: number): number => Math.max(1, Math.ceil(x * (1 - 1e-12)));

/** The criteria scaled with the work: files and bytes by its ratios, times by the bytes' (never below the floor). */
export function scaleSuccess(s: ResolvedSuccess, ratios: { files: number; bytes: number }): ResolvedSuccess {
  const time = (t: number): number => Math.min(t, Math.max(SCALED_TIME_FLOOR_SECONDS, Math.ceil(t * ratios.bytes)));
  return {
    ...s,
    ...(s.minFiles !== undefined ? { minFiles: up(s.minFiles * ratios.files) } : {}),
    ...(s.minBytes !== undefined ? { minBytes: up(s.minBytes * ratios.bytes) } : {}),
    ...(s.withinSeconds !== undefined ? { withinSeconds: time(s.withinSeconds) } : {}),
    ...(s.maxRuleSeconds !== undefined ? { maxRuleSeconds: time(s.maxRuleSeconds) } : {}),
  };
}

function scaleTest(t: ResolvedTest, scenario: Scenario<unknown> | undefined, factor: number): ResolvedTest {
  if (!scenario?.scale) return t; // the work does not shrink, nor do its criteria
  const params = scenario.scale(t.params, factor);
  if (!t.success) return { ...t, params };
  const success = scaleSuccess(t.success, workRatios(scenario, t.params, params, factor));
  return { ...t, params, success, fullScaleSuccess: t.success };
}

/** The plan with each test's params scaled by its scenario (tests of scenarios without a scale() keep theirs), and its criteria with them. */
export function scalePlan(plan: ResolvedPlan, registry: ScenarioRegistry, factor: number | undefined): ResolvedPlan {
  if (factor === undefined || factor === 1) return plan;
  const problem = checkScale(factor);
  if (problem) throw new RangeError(problem);
  return {
    ...plan,
    scale: factor,
    experiments: plan.experiments.map((e) => ({ ...e, tests: e.tests.map((t) => scaleTest(t, registry.get(t.scenario), factor)) })),
  };
}
