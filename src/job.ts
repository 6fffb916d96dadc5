import { loadPlanFile, formatDiagnostic, type ResolvedPlan } from './plan/index.js';
import { ResultsStore } from './results/store.js';
import { MetricsSink } from './metrics/registry.js';
import { serveMetrics } from './metrics/server.js';
import { pushMetrics } from './metrics/push.js';
import { runPlan } from './engine/runner.js';
import { checkScale, scalePlan } from './engine/scale.js';
import type { ScenarioRegistry } from './engine/scenario.js';
import type { RunInfo, RunSummary, Sink } from './engine/op-result.js';
import { writeReports, type WrittenReport } from './report/write.js';
import type { SuccessCriteria } from './report/model.js';
import { CliError, EXIT } from './cli/exit-codes.js';
import { builtinScenarios } from './scenarios.js';
import { registerUserScenarios, UserScenarioError } from './plan/user-scenarios.js';
import { typecheckUserScenarios } from './plan/typecheck.js';

export interface PlanInput {
  planFile: string;
  env: Record<string, string | undefined>;
  uid: number;
  registry: ScenarioRegistry;
}

/** Loads and validates a plan; every problem at once, as formatted lines, in a CliError. */
export async function loadPlanOrThrow(input: PlanInput): Promise<{ plan: ResolvedPlan; warnings: string[] }> {
  const result = await loadPlanFile(input.planFile, {
    env: input.env, uid: input.uid, knownScenarios: input.registry.names(),
    scenarioParams: (name) => input.registry.get(name)?.params,
  });
  if (!result.ok) throw new CliError(result.diagnostics.map(formatDiagnostic).join('\n'), EXIT.invalidInput);
  return { plan: result.plan, warnings: result.diagnostics.map(formatDiagnostic) };
}

/** The built-in scenarios plus the TypeScript scenario modules the plan names. */
export async function scenariosForPlan(planFile: string): Promise<ScenarioRegistry> {
  const registry = builtinScenarios();
  try {
    await registerUserScenarios(registry, planFile);
  } catch (e) {
    if (e instanceof UserScenarioError) throw new CliError(e.message, EXIT.invalidInput);
    throw e;
  }
  return registry;
}

/** Type errors in the plan's user scenarios, as a CliError (invalid input). */
export async function typecheckPlanScenarios(planFile: string): Promise<void> {
  const problems = await typecheckUserScenarios(planFile);
  if (problems.length) throw new CliError(problems.join('\n'), EXIT.invalidInput);
}

export interface JobOptions extends PlanInput {
  dbPath: string;
  outDir: string;
  metricsPort?: number;
  pushgateway?: string;
  only?: { experiment?: string; test?: string };
  reporters: Sink[];
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Shrink counts, sizes and durations of every test by this factor (a rehearsal run). */
  scale?: number;
}

export interface JobResult {
  run: RunInfo;
  summary: RunSummary;
  reports: WrittenReport[];
  dbPath: string;
  metricsUrl?: string;
  passed: boolean;
}

/** The main job: validate the plan, run it, record every result, write the reports, push metrics. */
export async function runJob(options: JobOptions): Promise<JobResult> {
  const { plan: loaded } = await loadPlanOrThrow(options);
  const scaleProblem = options.scale === undefined ? null : checkScale(options.scale);
  if (scaleProblem) throw new CliError(scaleProblem, EXIT.invalidInput);
  const plan = scalePlan(loaded, options.registry, options.scale);
  let store: ResultsStore;
  try {
    store = new ResultsStore(options.dbPath);
  } catch (e) {
    throw new CliError(`cannot open results store ${options.dbPath}: ${(e as Error).message}`, EXIT.setupFailed);
  }
  const metrics = new MetricsSink();
  let server: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  try {
    if (options.metricsPort !== undefined) {
      server = await serveMetrics(metrics.registry, options.metricsPort).catch((e: Error) => {
        throw new CliError(`cannot serve metrics on port ${options.metricsPort}: ${e.message}`, EXIT.setupFailed);
      });
      options.log(`metrics: ${server.url}`);
    }
    const { run, summary } = await runPlan({
      plan, registry: options.registry, sinks: [store, metrics, ...options.reporters], ledger: store,
      only: options.only, signal: options.signal, log: options.log,
    });
    const criteria: Record<string, Record<string, SuccessCriteria | undefined>> = {};
    for (const e of plan.experiments) criteria[e.name] = Object.fromEntries(e.tests.map((t) => [t.name, t.success]));
    const reports = await writeReports(options.outDir, run.runId, store.results(run.runId), criteria);
    if (options.pushgateway) {
      await pushMetrics(metrics.registry, options.pushgateway, plan.name, run.runId).catch((e: Error) => {
        options.log(`warning: push to ${options.pushgateway} failed: ${e.message}`);
      });
    }
    const passed = summary.total > 0 && !summary.scenarioCrashes && reports.every((r) => r.report.tests.every((t) => t.passed));
    return { run, summary, reports, dbPath: options.dbPath, metricsUrl: server?.url, passed };
  } finally {
    await server?.close();
    store.close();
  }
}
