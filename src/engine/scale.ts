// `lakeprobe run --scale F`: a whole challenge plan rehearsed small. Each scenario says
// how its params shrink (Scenario.scale); these helpers keep every value usable.
import type { ResolvedPlan } from '../plan/index.js';
import type { ScenarioRegistry } from './scenario.js';

export const MIN_SCALE = 1e-6;

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

/** The plan with each test's params scaled by its scenario (tests of scenarios without a scale() keep theirs). */
export function scalePlan(plan: ResolvedPlan, registry: ScenarioRegistry, factor: number | undefined): ResolvedPlan {
  if (factor === undefined || factor === 1) return plan;
  const problem = checkScale(factor);
  if (problem) throw new RangeError(problem);
  return {
    ...plan,
    experiments: plan.experiments.map((e) => ({
      ...e,
      tests: e.tests.map((t) => {
        const scenario = registry.get(t.scenario);
        return scenario?.scale ? { ...t, params: scenario.scale(t.params, factor) } : t;
      }),
    })),
  };
}
