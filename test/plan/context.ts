// A PlanContext for tests: two scenarios, an empty rucio.cfg and an unused uid unless overridden.
import { resolve } from 'node:path';
import { z } from 'zod';
import type { PlanContext } from '../../src/plan/index.js';

export const FIXTURES = resolve('test/fixtures/plans');
export const fixture = (name: string): string => `test/fixtures/plans/${name}`;
/** No /tmp/x509up_u… or /tmp/bt_u… exists for it unless a test creates one. */
export const TEST_UID = 700_000 + (process.pid % 100_000);

const scenarios: Record<string, z.ZodType> = {
  upload: z.strictObject({ size: z.int().positive(), count: z.int().min(1).default(1) }),
  replicate: z.strictObject({}),
};

export function planContext(env: Record<string, string | undefined> = {}): PlanContext {
  return {
    env: { RUCIO_CONFIG: `${FIXTURES}/empty-rucio.cfg`, FIXTURES, ...env },
    uid: TEST_UID,
    scenarioParams: (name) => scenarios[name],
    knownScenarios: Object.keys(scenarios),
  };
}
