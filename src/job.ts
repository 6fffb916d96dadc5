import { loadPlanFile, formatDiagnostic, type ResolvedPlan } from './plan/index.js';
import { ResultsStore } from './results/store.js';
import { MetricsSink } from './metrics/registry.js';
import { serveMetrics } from './metrics/server.js';
import { knownTests } from './metrics/known-tests.js';
import { pushOrWarn } from './metrics/push.js';
import { hostname } from 'node:os';
import { runPlan } from './engine/runner.js';
import type { ScenarioRegistry } from './engine/scenario.js';
import type { OpResult, RunInfo, RunSummary, Sink } from './engine/op-result.js';
import { writeReports, type WrittenReport } from './report/write.js';
import type { SuccessCriteria } from './report/model.js';
import { CliError, EXIT } from './cli/exit-codes.js';

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

export interface JobOptions extends PlanInput {
  dbPath: string;
  outDir: string;
  metricsPort?: number;
  pushgateway?: string;
  /** This agent's name in the Pushgateway grouping key (default: the host name). */
  agent?: string;
  only?: { experiment?: string; test?: string };
  reporters: Sink[];
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface JobResult {
  run: RunInfo;
  summary: RunSummary;
  reports: WrittenReport[];
  dbPath: string;
  metricsUrl?: string;
  passed: boolean;
  /** Results of severity `critical` (embargo violations, checksum mismatches), in run order. */
  criticals: OpResult[];
}

/** The main job: validate the plan, run it, record every result, write the reports, push metrics. */
export async function runJob(options: JobOptions): Promise<JobResult> {
  const { plan } = await loadPlanOrThrow(options);
  let store: ResultsStore;
  try {
    store = new ResultsStore(options.dbPath);
  } catch (e) {
    throw new CliError(`cannot open results store ${options.dbPath}: ${(e as Error).message}`, EXIT.setupFailed);
  }
  const metrics = new MetricsSink();
  metrics.declareTests(knownTests(plan));
  let server: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  try {
    if (options.metricsPort !== undefined) {
      server = await serveMetrics(metrics, options.metricsPort).catch((e: Error) => {
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
    const results = store.results(run.runId);
    const reports = await writeReports(options.outDir, run.runId, results, criteria);
    if (options.pushgateway) {
      const tests = plan.experiments.flatMap((e) => e.tests.map((t) => ({ experiment: e.name, test: t.name })));
      const target = { url: options.pushgateway, plan: plan.name, agent: options.agent ?? hostname() };
      await pushOrWarn(metrics, target, tests, options.log);
    }
    const passed = summary.total > 0 && !summary.scenarioCrashes && reports.every((r) => r.report.tests.every((t) => t.passed));
    const criticals = results.filter((r) => r.severity === 'critical');
    return { run, summary, reports, dbPath: options.dbPath, metricsUrl: server?.url, passed, criticals };
  } finally {
    await server?.close();
    store.close();
  }
}
