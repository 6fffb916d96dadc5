import { loadPlanFile, formatDiagnostic, type ResolvedPlan } from './plan/index.js';
import type { ResultsStore } from './results/store.js';
import { openResultsStore, type OpenedStore } from './results/open.js';
import { cleanupLines, cleanupWithPlan } from './engine/cleanup.js';
import { storeLabel, urlSecrets } from './results/postgres.js';
import { MetricsSink } from './metrics/registry.js';
import { serveMetrics } from './metrics/server.js';
import { knownTests } from './metrics/known-tests.js';
import { pushOrWarn } from './metrics/push.js';
import { hostname } from 'node:os';
import { runPlan } from './engine/runner.js';
import { environmentSecrets, planSecretSet } from './engine/secrets.js';
import { checkScale, scalePlan } from './engine/scale.js';
import type { ScenarioRegistry } from './engine/scenario.js';
import type { OpResult, RunInfo, RunSummary, Sink } from './engine/op-result.js';
import type { ReportFormat, WrittenReport } from './report/write.js';
import { reportJob, type ReportJobResult } from './jobs/report.js';
import { reportPassed } from './report/challenge.js';
import type { ChallengeReport } from './report/schema.js';
import { planSnapshotSink } from './results/plan-snapshot.js';
import { planForRun } from './schedule/run-params.js';
import { JobError, EXIT } from './jobs/errors.js';
import { nothingAssigned, planForAgent } from './agents/assignment.js';
import { agentNameProblem } from './plan/agent-schema.js';

export interface PlanInput {
  planFile: string;
  env: Record<string, string | undefined>;
  uid: number;
  registry: ScenarioRegistry;
}

/**
 * Loads and validates a plan; every problem at once, as formatted lines, in a JobError.
 * The plan's user scenarios are checked and loaded with it, into a copy of the given
 * registry (`registry`), so a reload gets the modules as they are now.
 */
export async function loadPlanOrThrow(input: PlanInput): Promise<{ plan: ResolvedPlan; warnings: string[]; registry: ScenarioRegistry }> {
  const registry = input.registry.copy();
  const result = await loadPlanFile(input.planFile, {
    env: input.env, uid: input.uid, knownScenarios: input.registry.names(),
    scenarioParams: (name) => registry.get(name)?.params,
    scenarioHooks: (name) => registry.get(name),
    registerScenario: (scenario) => registry.register(scenario),
    scenarioChecks: (name, params) => {
      const scenario = registry.get(name);
      return scenario ? scenario.checks?.(params) ?? [] : undefined;
    },
  });
  if (!result.ok) throw new JobError(result.diagnostics.map(formatDiagnostic).join('\n'), EXIT.invalidInput);
  return { plan: result.plan, warnings: result.diagnostics.map(formatDiagnostic), registry };
}

export interface JobOptions extends PlanInput {
  /** A SQLite file, or a PostgreSQL URL (written through a local journal). */
  dbPath: string;
  outDir: string;
  metricsPort?: number;
  pushgateway?: string;
  /**
   * This agent: runs only the tests the plan assigns to it (when the plan names agents), is
   * recorded on the run and its results, labels every metric, and names the Pushgateway
   * grouping key (default there: the host name).
   */
  agent?: string;
  only?: { experiment?: string; test?: string };
  reporters: Sink[];
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Write the report at the end (default); false: only judge the run. */
  report?: boolean;
  reportFormats?: readonly ReportFormat[];
  /** Shrink counts, sizes and durations of every test by this factor (a rehearsal run). */
  scale?: number;
  /** A scenario crash prints its stack too. */
  debug?: boolean;
}

export interface JobResult {
  plan: ResolvedPlan;
  run: RunInfo;
  summary: RunSummary;
  reports: WrittenReport[];
  /** The folder the run's report went to ('' when none was written). */
  reportDir: string;
  /** Reports written for earlier runs found killed and marked interrupted. */
  interruptedReports: ReportJobResult[];
  /** The local SQLite file holding the run (the store, or the journal of a PostgreSQL store). */
  dbPath: string;
  /** The results store as it may be printed (no password). */
  storeLabel: string;
  metricsUrl?: string;
  passed: boolean;
  /** Results of severity `critical` (embargo violations, checksum mismatches), in run order. */
  criticals: OpResult[];
  /** The run's report model (built even when no report is written). */
  report: ChallengeReport;
}

/** The main job: validate the plan, run it, record every result, write the reports, push metrics. */
export async function runJob(options: JobOptions): Promise<JobResult> {
  const { plan: whole, registry } = await loadPlanOrThrow(options);
  const loaded = agentPlanOrThrow(whole, options.agent);
  const scaleProblem = options.scale === undefined ? null : checkScale(options.scale);
  if (scaleProblem) throw new JobError(scaleProblem, EXIT.invalidInput);
  // A test whose schedule cycles a parameter runs with the value the daemon would give it next.
  const plan = scalePlan(planForRun(loaded, registry, new Date()), registry, options.scale);
  // One set of every secret the plan knows: each line and each stored message is redacted with all of them.
  const secrets = (await planSecretSet(plan)).add(...(await environmentSecrets(options.env, options.uid)), ...urlSecrets(options.dbPath));
  const log = secrets.logger(options.log);
  const opened = openStoreOrThrow({ ...options, journal: plan.results?.journal }, log);
  const { store } = opened;
  const metrics = new MetricsSink({ agent: options.agent });
  metrics.declareTests(knownTests(plan));
  let server: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  try {
    if (options.metricsPort !== undefined) {
      server = await serveMetrics(metrics, options.metricsPort).catch((e: Error) => {
        throw new JobError(`cannot serve metrics on port ${options.metricsPort}: ${e.message}`, EXIT.setupFailed);
      });
      log(`metrics: ${server.url}`);
    }
    const interruptedReports = await reportInterrupted(store, { ...options, log });
    // The plan is stored with the run, so its report can be regenerated with the same verdicts later.
    const planSink = planSnapshotSink(store, plan, registry, () => secrets.values());
    const { run, summary } = await runPlan({
      plan, registry, sinks: [store, planSink, metrics, ...options.reporters], ledger: store, outputs: store,
      only: options.only, signal: options.signal, log, secrets, debug: options.debug,
    }).catch((e: unknown) => {
      // The job failed mid-run: the run did not finish, whatever it recorded stays, marked as such.
      if (planSink.runId) store.interruptRun(planSink.runId);
      throw e;
    });
    // Stopped by its signal: it ended early, so its report must not read as a full run, and the
    // removals its tests did not get to are done now, as `lakeprobe cleanup` would do them.
    if (options.signal?.aborted) {
      store.interruptRun(run.runId);
      if (store.pending(run.runId).length) {
        log(`run ${run.runId} stopped: removing what it made`);
        for (const line of cleanupLines(await cleanupWithPlan(store, plan, run.runId))) log(line);
      }
    }
    // Rules Rucio would not let this account delete stay in the lake with their files: say which, who may remove them, until when.
    for (const r of store.results(run.runId)) {
      if (r.operation === 'delete' && r.severity === 'warning' && r.ruleId) log(`left in the lake: ${r.errorMessage}`);
    }
    const judged = await reportJob({
      store, outDir: options.outDir, runs: [run.runId], formats: options.reportFormats,
      write: options.report !== false, log,
    });
    const reports = judged.written?.experiments ?? [];
    if (options.pushgateway) {
      const tests = plan.experiments.flatMap((e) => e.tests.map((t) => ({ experiment: e.name, test: t.name })));
      const target = { url: options.pushgateway, plan: plan.name, agent: options.agent ?? hostname() };
      await pushOrWarn(metrics, target, tests, log);
    }
    const passed = summary.total > 0 && !summary.scenarioCrashes && reportPassed(judged.report);
    const criticals: OpResult[] = store.results(run.runId).filter((r) => r.severity === 'critical');
    return {
      plan, run, summary, report: judged.report, reports, reportDir: judged.written?.dir ?? '', interruptedReports, dbPath: store.path, storeLabel: opened.label,
      metricsUrl: server?.url, passed, criticals,
    };
  } finally {
    await server?.close();
    await opened.close();
  }
}

/** The store `options.dbPath` names; a PostgreSQL store's journal is LAKEPROBE_JOURNAL, the plan's `results.journal`, or the default. */
export function openStoreOrThrow(options: Pick<JobOptions, 'dbPath' | 'env' | 'agent'> & { journal?: string }, log: (line: string) => void): OpenedStore {
  try {
    const journal = options.env.LAKEPROBE_JOURNAL || options.journal;
    return openResultsStore(options.dbPath, { log, env: options.env, journal, agent: options.agent });
  } catch (e) {
    throw new JobError(`cannot open results store ${storeLabel(options.dbPath)}: ${(e as Error).message}`, EXIT.setupFailed);
  }
}

/** The plan reduced to `agent`'s tests; an agent name that is malformed or assigned nothing is refused. */
export function agentPlanOrThrow(plan: ResolvedPlan, agent: string | undefined): ResolvedPlan {
  if (agent === undefined) return plan;
  const problem = agentNameProblem(agent) ?? nothingAssigned(plan, agent);
  if (problem) throw new JobError(problem, EXIT.invalidInput);
  return planForAgent(plan, agent);
}

/** Runs an earlier process left unfinished (killed) are marked interrupted and get their report now. */
async function reportInterrupted(store: ResultsStore, options: JobOptions): Promise<ReportJobResult[]> {
  const out: ReportJobResult[] = [];
  for (const r of store.markInterrupted()) {
    options.log(`run ${r.runId} never finished: marked interrupted (${r.total ?? 0} operations recorded)`);
    if (options.report !== false) out.push(await reportJob({ store, outDir: options.outDir, runs: [r.runId], formats: options.reportFormats, log: options.log }));
  }
  return out;
}
