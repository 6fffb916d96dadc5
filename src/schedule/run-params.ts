// The parameters a test runs with, computed alike for `lakeprobe run` and the daemon:
// the plan's params with the value its schedule's cycle gives the run. The daemon passes
// the fire it runs; `run` takes the fire due next, so a sweep that cycles sizes never
// falls back to its scenario's default cycle outside the daemon.
import type { ResolvedPlan, ResolvedTest } from '../plan/index.js';
import type { ScenarioRegistry } from '../engine/scenario.js';
import { CronMatcher } from './cron-matcher.js';
import { nextFire, type Fire, type ScheduledTest } from './fire-plan.js';

export type CycleValue = NonNullable<Fire['cycle']>;

/** The cycle position of the fire due next at `at` (undefined when the schedule does not cycle). */
export function cycleAt(key: string, experiment: string, test: ResolvedTest, at: Date): CycleValue | undefined {
  const schedule = test.schedule;
  if (!schedule?.cycle) return undefined;
  const matcher = new CronMatcher(schedule.cron, schedule.timezone ?? 'UTC');
  try {
    const scheduled: ScheduledTest = { key, experiment, test: test.name, schedule, locks: [], matcher };
    return nextFire(scheduled, new Date(at.getTime() - 1)).cycle;
  } finally {
    matcher.dispose();
  }
}

/** A test's params with `cycle` applied, through the scenario's own schema. */
export function testParams(test: ResolvedTest, registry: ScenarioRegistry, cycle: CycleValue | undefined): unknown {
  if (!cycle) return test.params;
  const raw = { ...(test.params as Record<string, unknown> | undefined), [cycle.param]: cycle.value };
  const schema = registry.get(test.scenario)?.params;
  return schema ? schema.parse(raw) : raw;
}

/**
 * The plan as a run at `at` executes it: each test whose schedule cycles a parameter gets
 * that parameter's value for the run — `fire`'s own for the test the daemon fires, else the
 * value of the fire due next.
 */
export function planForRun(plan: ResolvedPlan, registry: ScenarioRegistry, at: Date, fire?: Pick<Fire, 'cycle'> & { test: { key: string } }): ResolvedPlan {
  return {
    ...plan,
    experiments: plan.experiments.map((e) => ({
      ...e,
      tests: e.tests.map((t) => {
        if (!t.schedule?.cycle) return t;
        const key = `${e.name}/${t.name}`;
        const cycle = fire?.test.key === key ? fire.cycle : cycleAt(key, e.name, t, at);
        return { ...t, params: testParams(t, registry, cycle) };
      }),
    })),
  };
}
