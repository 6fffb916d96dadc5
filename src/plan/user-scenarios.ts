// User scenarios: a plan may name a TypeScript module beside it (`scenario: ./mine.ts`).
// It is loaded at run time with jiti 2: ts-node's ESM loader fails on Node 20
// (ERR_UNKNOWN_FILE_EXTENSION), and jiti loads a module in ~260 ms against ~1 s for tsx,
// in-process, without a loader flag. The module's default export is normalised (ESM
// default, CJS `module.exports`, a doubled `default`) and checked for the Scenario shape.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createJiti } from 'jiti';
import { parseDocument } from 'yaml';
import type { Scenario, ScenarioRegistry } from '../engine/scenario.js';

export const USER_SCENARIO_PATTERN = /\.(?:ts|mts)$/;
const MAX_USER_SCENARIOS = 50;

export class UserScenarioError extends Error {
  override readonly name = 'UserScenarioError';
}

/** The `scenario:` values of a plan that name TypeScript modules, as written, without duplicates. */
export function userScenarioRefs(planText: string): string[] {
  const data = parseDocument(planText).toJS({ maxAliasCount: 100 }) as { experiments?: { tests?: { scenario?: unknown }[] }[] } | null;
  const refs = new Set<string>();
  for (const e of Array.isArray(data?.experiments) ? data.experiments : []) {
    for (const t of Array.isArray(e?.tests) ? e.tests : []) {
      if (typeof t?.scenario === 'string' && USER_SCENARIO_PATTERN.test(t.scenario)) refs.add(t.scenario);
    }
  }
  return [...refs];
}

export const userScenarioPath = (planFile: string, ref: string): string => (isAbsolute(ref) ? ref : resolve(dirname(planFile), ref));

/** A module's default export as a Scenario, or an error naming the file and what is missing. */
export function normaliseScenario(mod: unknown, file: string): Scenario<unknown> {
  let value = mod as Record<string, unknown> | undefined;
  for (let i = 0; i < 2 && value && typeof value === 'object' && 'default' in value; i++) value = value.default as Record<string, unknown>;
  const problems: string[] = [];
  if (!value || typeof value !== 'object') problems.push('no default export');
  else {
    if (typeof value.name !== 'string' || value.name === '') problems.push('name (a string)');
    if (typeof (value.params as { safeParse?: unknown } | undefined)?.safeParse !== 'function') problems.push('params (a zod schema)');
    if (typeof value.run !== 'function') problems.push('run(ctx, params)');
  }
  if (problems.length) {
    throw new UserScenarioError(`${file}: the default export must be defineScenario({ name, params, run }); missing: ${problems.join(', ')}`);
  }
  const s = value as unknown as Scenario<unknown>;
  return { ...s, description: typeof s.description === 'string' ? s.description : '' };
}

/** Loads one user scenario module. */
export async function loadUserScenario(file: string): Promise<Scenario<unknown>> {
  const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false });
  let mod: unknown;
  try {
    mod = await jiti.import(file);
  } catch (e) {
    throw new UserScenarioError(`${file}: cannot load the scenario module: ${(e as Error).message.split('\n')[0]}`);
  }
  return normaliseScenario(mod, file);
}

/**
 * Registers every user scenario a plan names, under the name the plan uses (its path as
 * written), so tests find it as they find the built-ins.
 */
export async function registerUserScenarios(registry: ScenarioRegistry, planFile: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(planFile, 'utf8');
  } catch {
    return []; // the plan loader reports an unreadable plan
  }
  const refs = userScenarioRefs(text);
  if (refs.length > MAX_USER_SCENARIOS) throw new UserScenarioError(`${planFile}: at most ${MAX_USER_SCENARIOS} user scenarios per plan`);
  const files: string[] = [];
  for (const ref of refs) {
    const file = userScenarioPath(planFile, ref);
    const scenario = await loadUserScenario(file);
    registry.register({ ...scenario, name: ref });
    files.push(file);
  }
  return files;
}
