// User scenarios: a plan may name a TypeScript module beside it (`scenario: ./mine.ts`).
// It is loaded with jiti 2: ts-node's ESM loader fails on Node 20
// (ERR_UNKNOWN_FILE_EXTENSION), and jiti loads a module in ~260 ms against ~1 s for tsx,
// in-process, without a loader flag. The module's default export is normalised (ESM
// default, CJS `module.exports`, a doubled `default`) and checked for the Scenario shape.
// The references are read from the plan the loader parsed, never from the file again.
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createJiti } from 'jiti';
import type { Scenario } from '../engine/scenario.js';
import type { PathSegment } from './diagnostics.js';
import { fileProblem } from './files.js';

export const USER_SCENARIO_PATTERN = /\.(?:ts|mts)$/;
export const MAX_USER_SCENARIOS = 50;
/** A scenario module is source code a person wrote: above this it is not one. */
export const MAX_USER_SCENARIO_BYTES = 1024 * 1024;

export class UserScenarioError extends Error {
  override readonly name = 'UserScenarioError';
}

/** A `scenario:` value naming a TypeScript module, with the first place the plan names it. */
export interface UserScenarioRef {
  ref: string;
  path: PathSegment[];
}

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `scenario:` values of a parsed plan that name TypeScript modules, as written, each once. */
export function userScenarioRefs(plan: unknown): UserScenarioRef[] {
  const refs = new Map<string, UserScenarioRef>();
  const experiments = isRecord(plan) && Array.isArray(plan.experiments) ? plan.experiments : [];
  experiments.forEach((experiment: unknown, i) => {
    const tests = isRecord(experiment) && Array.isArray(experiment.tests) ? experiment.tests : [];
    tests.forEach((test: unknown, j) => {
      const ref = isRecord(test) ? test.scenario : undefined;
      if (typeof ref === 'string' && USER_SCENARIO_PATTERN.test(ref) && !refs.has(ref)) {
        refs.set(ref, { ref, path: ['experiments', i, 'tests', j, 'scenario'] });
      }
    });
  });
  return [...refs.values()];
}

/** Where a reference points, as a reader of the plan would write it (relative to the plan's folder). */
export const userScenarioPath = (planFile: string, ref: string): string => (isAbsolute(ref) ? ref : join(dirname(planFile), ref));

/**
 * The real path of a user scenario module, or why it cannot be one: missing, a dangling
 * link, a directory, too large, or (after links are followed) outside every folder in `roots`.
 */
export async function locateUserScenario(file: string, roots: readonly string[]): Promise<{ file: string } | { problem: string }> {
  let link = false;
  try {
    link = (await lstat(file)).isSymbolicLink();
  } catch (e) {
    return { problem: `${file}: ${fileProblem(e)}` };
  }
  let info;
  try {
    info = await stat(file);
  } catch (e) {
    if (link) return { problem: `${file}: a symbolic link to ${await readlink(file).catch(() => '?')}, which does not exist` };
    return { problem: `${file}: ${fileProblem(e)}` };
  }
  if (info.isDirectory()) return { problem: `${file}: is a directory; scenario names a TypeScript file (.ts)` };
  if (!info.isFile()) return { problem: `${file}: not a regular file` };
  if (info.size > MAX_USER_SCENARIO_BYTES) return { problem: `${file}: ${info.size} bytes; a scenario module has at most ${MAX_USER_SCENARIO_BYTES}` };
  const real = await realpath(file);
  const inside = await Promise.all(roots.map(async (root) => within(real, await realpath(root).catch(() => resolve(root)))));
  if (!inside.some(Boolean)) {
    const where = link ? ` (a link to ${real})` : real === resolve(file) ? '' : ` (${real})`;
    return {
      problem: `${file}${where} is outside the plan's folder ${roots[0]}: keep user scenarios beside the plan, or list their folder in scenario_dirs`,
    };
  }
  return { file: real };
}

function within(file: string, folder: string): boolean {
  const rel = relative(folder, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** A module's default export as a Scenario, or an error naming the file and what is missing. */
export function normaliseScenario(mod: unknown, file: string): Scenario<unknown> {
  let value = mod as Record<string, unknown> | undefined;
  for (let i = 0; i < 2 && value && typeof value === 'object' && 'default' in value; i++) value = value.default as Record<string, unknown>;
  const problems: string[] = [];
  const exported = value && typeof value === 'object' ? Object.keys(value) : [];
  if (!value || typeof value !== 'object') problems.push('no default export');
  else if (!['name', 'params', 'run'].some((k) => k in value)) {
    problems.push(`no default export${exported.length ? ` (it exports ${exported.slice(0, 5).join(', ')})` : ''}`);
  } else {
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

/** Loads one user scenario module (its top-level code runs). */
export async function loadUserScenario(file: string): Promise<Scenario<unknown>> {
  const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false });
  let mod: unknown;
  try {
    mod = await jiti.import(file);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new UserScenarioError(`${file}: cannot load the scenario module: ${message.split('\n')[0]}`);
  }
  return normaliseScenario(mod, file);
}
