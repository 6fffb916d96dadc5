// `lakeprobe probe`: run a plan once as a CI check, judge it by its tests' criteria, its
// thresholds and (with a baseline) its regression rules, and write JUnit XML and a short
// Markdown summary. The exit code says which kind of check failed (src/jobs/errors.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { runJob, type JobOptions, type JobResult } from '../job.js';
import { performed, type OpResult } from '../engine/op-result.js';
import { buildBaseline, findRegressions, readBaseline, writeBaseline, type Baseline, type RegressionRules } from '../probe/baseline.js';
import { evaluateThresholds } from '../probe/evaluate.js';
import { probeChecks, probeOutcome, probeSummaryMarkdown, type ProbeCheck, type ProbeOutcome } from '../probe/verdict.js';
import { junitSuitesFromReport, renderJunit, type JunitSuite } from '../report/junit.js';
import { ResultsStore } from '../results/store.js';
import { EXIT, JobError } from './errors.js';

/** Regression rules for a baseline given to a plan that sets none. */
export const DEFAULT_REGRESSION: RegressionRules = {
  throughputDropPercent: 30, p95RisePercent: 100, newErrorClass: true, minSamples: 3,
};

export interface ProbeOptions extends JobOptions {
  junitFile: string;
  summaryFile: string;
  /** Compare with this baseline (regression rules from the plan, else DEFAULT_REGRESSION). */
  baselineFile?: string;
  /** Write this run's figures as a baseline. */
  writeBaselineFile?: string;
}

export interface ProbeResult {
  job: JobResult;
  outcome: ProbeOutcome;
  exitCode: number;
  checks: ProbeCheck[];
}

const EXIT_OF: Record<ProbeOutcome, number> = {
  ok: EXIT.ok, check_failed: EXIT.testsFailed, threshold_failed: EXIT.thresholdFailed,
  critical: EXIT.critical, unreachable: EXIT.unreachable,
};

async function writeText(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

function storedResults(dbPath: string, runId: string): OpResult[] {
  const store = new ResultsStore(dbPath);
  try {
    return store.results(runId).filter(performed);
  } finally {
    store.close();
  }
}

function checkSuites(checks: readonly ProbeCheck[], suite: string, timestamp: string): JunitSuite[] {
  const mine = checks.filter((c) => c.suite === suite);
  if (mine.length === 0) return [];
  return [{
    name: suite, timestamp,
    cases: mine.map((c) => ({
      name: c.name, classname: suite, timeSeconds: 0, systemOut: c.passed ? c.message : undefined,
      failure: c.passed ? undefined : { type: suite === 'regression' ? 'regression' : 'threshold_crossed', message: c.message },
    })),
  }];
}

export async function probeJob(options: ProbeOptions): Promise<ProbeResult> {
  let baseline: Baseline | undefined;
  if (options.baselineFile) {
    try {
      baseline = await readBaseline(options.baselineFile);
    } catch (e) {
      throw new JobError((e as Error).message, EXIT.invalidInput);
    }
  }
  const job = await runJob(options);
  const results = storedResults(job.dbPath, job.run.runId);
  const { plan, report } = job;

  const thresholds = evaluateThresholds(results, [
    ...(plan.thresholds ?? []).map((threshold) => ({ scope: '', threshold })),
    ...plan.experiments.flatMap((e) => e.tests.flatMap((t) => (t.thresholds ?? []).map((threshold) => ({ scope: t.name, threshold })))),
  ]);
  const current = buildBaseline(plan.name, job.run.runId, results);
  const regressions = baseline ? findRegressions(baseline, current, plan.regression ?? DEFAULT_REGRESSION) : [];
  const tests = report.experiments.flatMap((e) => e.tests.map((t) => ({
    experiment: e.name, test: t.test, passed: t.verdict === 'Completed',
    reasons: t.verdict === 'Completed' ? [] : [t.verdict, ...t.reasons],
  })));
  const checks = probeChecks(results, tests, thresholds, regressions);
  const outcome = probeOutcome(results, checks, job.summary.scenarioCrashes ?? 0);

  const suites = [
    ...junitSuitesFromReport(report),
    ...checkSuites(checks, 'thresholds', job.run.startedAt),
    ...checkSuites(checks, 'regression', job.run.startedAt),
  ];
  await writeText(options.junitFile, renderJunit(`lakeprobe probe ${plan.name}`, suites));
  await writeText(options.summaryFile, probeSummaryMarkdown(plan.name, job.run.runId, outcome, checks));
  if (options.writeBaselineFile) {
    await mkdir(dirname(options.writeBaselineFile), { recursive: true });
    await writeBaseline(options.writeBaselineFile, current);
  }
  return { job, outcome, exitCode: EXIT_OF[outcome], checks };
}
