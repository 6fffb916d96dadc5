import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startSandboxLake, type SandboxLake } from '../../src/sandbox/lake.js';
import { DEFAULT_SANDBOX_CONFIG, type SandboxConfig } from '../../src/sandbox/sandbox-config.js';
import { loadPlanFile, type ResolvedPlan } from '../../src/plan/index.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { runPlan } from '../../src/engine/runner.js';
import { ResultsStore } from '../../src/results/store.js';
import type { OpResult } from '../../src/engine/op-result.js';

/** The integration suite runs against both: lakeprobe's own WebDAV storage and real XRootD. */
export const STORAGE_KINDS = ['builtin', 'xrootd'] as const;
export type StorageKind = (typeof STORAGE_KINDS)[number];

/** A sandbox lake in a fresh temporary folder, for one test file. */
export async function startTestLake(
  storage: StorageKind = 'builtin', config: Partial<SandboxConfig> = {},
): Promise<{ lake: SandboxLake; dir: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-it-'));
  const lake = await startSandboxLake({
    dir, housekeepingSeconds: 1, config: { ...DEFAULT_SANDBOX_CONFIG, transfers: { ...DEFAULT_SANDBOX_CONFIG.transfers, poll_ms: 200 }, ...config, storage },
  });
  return {
    lake, dir,
    stop: async () => {
      await lake.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type TestLake = Awaited<ReturnType<typeof startTestLake>>;

/**
 * One sandbox lake for the enclosing describe block: started before its tests, its faults
 * cleared after each test, stopped after all of them.
 */
export function useTestLake(storage: StorageKind = 'builtin'): TestLake {
  let env: TestLake | undefined;
  beforeAll(async () => {
    env = await startTestLake(storage);
  });
  afterEach(async () => {
    env?.lake.faults.clear();
    await env?.lake.faults.settled();
  });
  afterAll(() => env?.stop());
  const current = (): TestLake => {
    if (!env) throw new Error('the test lake is used before it started');
    return env;
  };
  return { get lake() { return current().lake; }, get dir() { return current().dir; }, stop: () => current().stop() };
}

/** Loads a plan text as the CLI would, with the sandbox's env snippet in the environment. */
export async function loadTestPlan(lake: SandboxLake, dir: string, yaml: string, extraEnv: Record<string, string> = {}): Promise<ResolvedPlan> {
  const file = join(dir, `plan-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, yaml);
  const registry = builtinScenarios();
  const result = await loadPlanFile(file, {
    env: { ...lake.env, ...extraEnv }, uid: 4_000_000, knownScenarios: registry.names(),
    scenarioParams: (name) => registry.get(name)?.params,
  });
  if (!result.ok) throw new Error(`plan invalid:\n${result.diagnostics.map((d) => `${d.line}:${d.column} ${d.path} ${d.message}`).join('\n')}`);
  return result.plan;
}

/** Runs a plan through the engine into an in-memory results store; returns every OpResult. */
export async function runTestPlan(plan: ResolvedPlan): Promise<{ results: OpResult[]; store: ResultsStore; runId: string }> {
  const store = new ResultsStore(':memory:');
  const { run } = await runPlan({ plan, registry: builtinScenarios(), sinks: [store], ledger: store });
  return { results: store.results(run.runId), store, runId: run.runId };
}

/** Past the longest lifetime a scenario gives a rule (30 days). */
const BEYOND_LIFETIMES_MS = 31 * 86_400_000;

/**
 * The lake's own removal, without waiting for the clock: the judge-cleaner runs past every
 * rule's expiry (a deleted rule only expires within the hour, core/rule.py delete_rule), then
 * housekeeping passes (reaper) run once a second until `done` says so, at most 30 times.
 * The judge-evaluator runs first: in those weeks it would have given the files attached last
 * their locks (and so, when the rules go, their tombstones) within seconds of the attach.
 */
export async function runOutRules(lake: SandboxLake, done: () => Promise<boolean> | boolean): Promise<void> {
  lake.catalogue.admin.runJudgeEvaluator();
  lake.catalogue.admin.expire(new Date(Date.now() + BEYOND_LIFETIMES_MS));
  for (let i = 0; i < 30 && !(await done()); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    await lake.housekeeping();
  }
}
