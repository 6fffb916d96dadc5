// Checks and loads the user scenarios a parsed plan names, for every command alike:
// found, inside the plan's folder (or a folder the plan lists in `scenario_dirs`),
// free of syntax and type errors, then loaded and registered under the name the plan
// uses. Each problem is placed at the plan's `scenario` field; compiler errors also at
// their own line in the scenario file. A module with errors is never imported.
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Scenario } from '../engine/scenario.js';
import type { Diagnostic } from './diagnostics.js';
import { typecheckFiles, type TypeProblem } from './typecheck.js';
import {
  loadUserScenario, locateUserScenario, MAX_USER_SCENARIOS, userScenarioPath, UserScenarioError, userScenarioRefs, type UserScenarioRef,
} from './user-scenarios.js';
import type { PlanIssue } from './validate.js';

export interface UserScenarioCheck {
  issues: PlanIssue[];
  /** Compiler errors, at their place in the scenario files. */
  diagnostics: Diagnostic[];
  /** The references that could not be loaded (already reported: not "unknown" as well). */
  failed: Set<string>;
}

interface Located extends UserScenarioRef { file: string; shown: string }

export async function checkUserScenarios(
  plan: unknown, planFile: string, register: (scenario: Scenario<unknown>) => void,
): Promise<UserScenarioCheck> {
  const refs = userScenarioRefs(plan);
  const result: UserScenarioCheck = { issues: [], diagnostics: [], failed: new Set() };
  const fail = (ref: UserScenarioRef, message: string): void => {
    result.failed.add(ref.ref);
    result.issues.push({ path: ref.path, message, severity: 'error' });
  };
  if (refs.length > MAX_USER_SCENARIOS) {
    refs.forEach((r, i) => (i === MAX_USER_SCENARIOS ? fail(r, `at most ${MAX_USER_SCENARIOS} user scenarios per plan`) : result.failed.add(r.ref)));
    return result;
  }
  if (refs.length === 0) return result;
  const roots = await scenarioRoots(plan, planFile, result.issues);

  const located: Located[] = [];
  for (const ref of refs) {
    const shown = userScenarioPath(planFile, ref.ref);
    const found = await locateUserScenario(shown, roots);
    if ('problem' in found) fail(ref, `cannot use user scenario: ${found.problem}`);
    else located.push({ ...ref, file: found.file, shown });
  }

  const problems = await typecheckFiles(located.map((l) => l.file));
  const broken = brokenRefs(located, problems);
  for (const p of problems) {
    const own = located.find((l) => l.file === p.file);
    result.diagnostics.push({ file: own?.shown ?? p.file ?? located[0]?.shown ?? planFile, line: p.line, column: p.column, path: '', message: p.message, severity: 'error' });
  }
  for (const l of located) {
    const count = broken.get(l.ref);
    if (count !== undefined) {
      fail(l, count > 0
        ? `user scenario ${l.shown} does not compile: ${count === 1 ? '1 error, at its line' : `${count} errors, at their lines`} in ${l.shown}`
        : `user scenario ${l.shown} does not compile: errors in what it imports (listed with their files)`);
      continue;
    }
    try {
      register({ ...(await loadUserScenario(l.file)), name: l.ref });
    } catch (e) {
      if (!(e instanceof UserScenarioError)) throw e;
      fail(l, `cannot use user scenario: ${e.message.replace(l.file, l.shown)}`);
    }
  }
  return result;
}

/** Refs with compiler errors: the count in their own file (0: the errors are in files they import). */
function brokenRefs(located: readonly Located[], problems: readonly TypeProblem[]): Map<string, number> {
  const broken = new Map<string, number>();
  let elsewhere = false;
  for (const p of problems) {
    const own = located.find((l) => l.file === p.file);
    if (own) broken.set(own.ref, (broken.get(own.ref) ?? 0) + 1);
    else elsewhere = true;
  }
  if (elsewhere) for (const l of located) if (!broken.has(l.ref)) broken.set(l.ref, 0);
  return broken;
}

/** The plan's folder and the folders in `scenario_dirs` (relative to the plan); a listed folder that is none is an issue. */
async function scenarioRoots(plan: unknown, planFile: string, issues: PlanIssue[]): Promise<string[]> {
  const planDir = resolve(dirname(planFile));
  const listed = (plan as { scenario_dirs?: unknown }).scenario_dirs;
  const roots = [planDir];
  if (!Array.isArray(listed)) return roots;
  for (const [i, dir] of listed.entries()) {
    if (typeof dir !== 'string') continue; // the schema reports it
    const folder = isAbsolute(dir) ? dir : resolve(planDir, dir);
    const isDir = await stat(folder).then((s) => s.isDirectory(), () => false);
    if (isDir) roots.push(folder);
    else issues.push({ path: ['scenario_dirs', i], message: `${folder}: not a folder`, severity: 'error' });
  }
  return roots;
}
