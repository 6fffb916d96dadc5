import type { ResolvedPlan } from '../plan/index.js';
import type { KnownTest } from './registry.js';

/** Every test of the plan with the label values its series start with. */
export function knownTests(plan: ResolvedPlan): KnownTest[] {
  return plan.experiments.flatMap((e) => e.tests.map((t) => ({
    experiment: e.name, test: t.name, embargo: t.scenario === 'embargo', rses: (t.rses ?? plan.rses).names ?? [],
  })));
}
