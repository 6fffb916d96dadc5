import type { Argv, CommandModule } from 'yargs';
import { loadPlanOrThrow, runJob, type JobOptions, type JobResult } from '../../job.js';
import { builtinScenarios } from '../../scenarios.js';
import { EXIT } from '../exit-codes.js';
import { ProgressSink } from '../progress.js';
import { sandboxForRun } from '../sandbox-env.js';
import { REPORT_FORMATS } from '../../report/write.js';
import { parseFormats } from './report.js';
import { abs, DEFAULTS, out, processEnv, storeDb, storeOptions, uid } from '../common.js';

export interface RunArgs {
  plan: string;
  db?: string;
  out: string;
  'metrics-port'?: number;
  pushgateway?: string;
  agent?: string;
  experiment?: string;
  test?: string;
  'sandbox-dir': string;
  report?: boolean;
  format?: string;
  scale?: number;
  debug?: boolean;
}

export function runOptions<T>(y: Argv<T>) {
  return y
    .positional('plan', { type: 'string', demandOption: true, describe: 'plan YAML file' })
    .options(storeOptions)
    .option('metrics-port', { type: 'number', describe: 'serve Prometheus /metrics on this loopback port during the run (0: any)' })
    .option('pushgateway', { type: 'string', describe: 'push the metrics to this Pushgateway URL at the end' })
    .option('agent', { type: 'string', describe: 'run as this agent: only the tests the plan assigns to it; recorded on the run, its results and metrics (Pushgateway grouping key default: the host name)' })
    .option('experiment', { type: 'string', describe: 'run only this experiment' })
    .option('test', { type: 'string', describe: 'run only this test' })
    .option('sandbox-dir', { type: 'string', default: DEFAULTS.sandboxDir, describe: 'sandbox runtime folder' })
    .option('report', { type: 'boolean', default: true, describe: 'write the report at the end (--no-report: only judge the run)' })
    .option('format', { type: 'string', default: REPORT_FORMATS.join(','), describe: `report formats, comma-separated (${REPORT_FORMATS.join(', ')})` })
    .option('debug', { type: 'boolean', default: false, describe: 'print the stack of a scenario that crashes (redacted), not only its file:line' })
    .option('scale', { type: 'number', describe: 'shrink counts, sizes and durations of every test by this factor (0 < F <= 1), e.g. 0.001 to rehearse a challenge plan in minutes' });
}

/**
 * SIGTERM or SIGINT stops a run as the daemon stops one: its tests stop, clean up what they made
 * and end interrupted, its report is written and the sandbox it started is stopped. A second
 * signal quits at once (the exit handlers still stop the sandbox's XRootD servers).
 */
function stopOnSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      out(`${name} again: quitting now (lakeprobe cleanup <plan> removes what the run left)`);
      process.exit(128 + (name === 'SIGINT' ? 2 : 15));
    }
    out(`${name}: stopping the run and cleaning up (${name} again to quit at once)`);
    controller.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

/** Hands a job the run options of the command line, with the sandbox started first when the plan asks for it. */
export async function withRunLake<T>(args: RunArgs, job: (options: JobOptions) => Promise<T>): Promise<T> {
  const stop = stopOnSignal();
  try {
    return await runWithLake(args, job, stop.signal);
  } finally {
    stop.dispose();
  }
}

async function runWithLake<T>(args: RunArgs, job: (options: JobOptions) => Promise<T>, signal: AbortSignal): Promise<T> {
  const registry = builtinScenarios();
  const env = processEnv();
  const { plan } = await loadPlanOrThrow({ planFile: args.plan, env, uid: uid(), registry });
  const sandbox = plan.sandbox ? await sandboxForRun(args['sandbox-dir'], out, plan.lake.sandboxConfig) : undefined;
  if (sandbox) out(`lake: ${sandbox.description}`);
  try {
    return await job({
      planFile: args.plan, env: { ...env, ...sandbox?.env }, uid: uid(), registry,
      dbPath: storeDb(args.db, plan), outDir: abs(args.out), metricsPort: args['metrics-port'], pushgateway: args.pushgateway, agent: args.agent,
      only: { experiment: args.experiment, test: args.test }, scale: args.scale, debug: args.debug,
      report: args.report !== false, reportFormats: parseFormats(args.format),
      reporters: [new ProgressSink((t) => process.stdout.write(t), Boolean(process.stdout.isTTY))],
      log: out, signal,
    });
  } finally {
    await sandbox?.release();
  }
}

/** Runs a plan once and prints where everything is. */
export async function executeRun(args: RunArgs): Promise<JobResult> {
  const result = await withRunLake(args, runJob);
  printSummary(result);
  return result;
}

/** How many critical results the summary lists one by one (the rest are counted). */
const CRITICALS_LISTED = 20;

/** The run's exit code: a critical result outranks a test not completed, which outranks a pass (every test Completed). */
export function runExitCode(result: Pick<JobResult, 'passed' | 'criticals'>): number {
  if (result.criticals.length > 0) return EXIT.critical;
  return result.passed ? EXIT.ok : EXIT.testsFailed;
}

/** The summary lines: critical results first (they need action whatever the verdict), then the verdict and where things are. */
export function summaryLines(result: JobResult): string[] {
  const lines = [''];
  const { criticals } = result;
  if (criticals.length > 0) {
    lines.push(`CRITICAL: ${criticals.length} critical result${criticals.length === 1 ? '' : 's'}`);
    for (const c of criticals.slice(0, CRITICALS_LISTED)) {
      const where = [c.experiment, c.test, c.operation, c.rse, c.authMethod, c.identityRole !== 'default' ? c.identityRole : '']
        .filter(Boolean).join(' ');
      lines.push(`  ${c.errorClass ?? 'critical'}: ${where}: ${c.errorMessage}`);
    }
    if (criticals.length > CRITICALS_LISTED) lines.push(`  … and ${criticals.length - CRITICALS_LISTED} more (see the report)`);
  }
  // The report's verdict, word for word: the console, the exit code and every report format say the same.
  const { report } = result;
  const crashes = result.summary.scenarioCrashes ?? 0;
  lines.push(`run ${result.run.runId}: ${result.summary.total} operations, ${result.summary.failed} failed — ${report.verdict}${criticals.length > 0 ? ' — CRITICAL' : ''}`);
  if (report.scale) lines.push(`  ${report.scale}`);
  for (const e of report.experiments) {
    for (const t of e.tests) {
      if (t.verdict === 'Completed' || t.verdict === 'Not run') continue;
      lines.push(`  ${e.name}/${t.test}: ${t.verdict}: ${t.reasons.join('; ') || 'see the report'}`);
    }
  }
  if (crashes) lines.push(`  ${crashes} scenario run${crashes === 1 ? '' : 's'} crashed (a bug, see the log above): the run cannot pass`);
  for (const r of result.interruptedReports) lines.push(`report of interrupted run ${r.report.selection.runs[0]?.runId}: ${r.written?.dir}`);
  for (const r of result.reports) {
    lines.push(`report ${r.experiment} (${r.report.verdict}): ${r.markdown || r.html || r.json}`);
    if (r.html) lines.push(`  html: ${r.html}`);
    if (r.csv) lines.push(`  csv: ${r.csv}`);
  }
  if (result.reportDir) lines.push(`report folder: ${result.reportDir}`);
  lines.push(`results store: ${result.storeLabel}`);
  return lines;
}

export function printSummary(result: JobResult): void {
  for (const line of summaryLines(result)) out(line);
}

export function runCommand(setExit: (code: number) => void): CommandModule<object, RunArgs> {
  return {
    command: 'run <plan>',
    describe: 'run every test of a plan once, record results, write reports (exit 1 when a test fails, 4 on a critical result)',
    builder: (y) => runOptions(y) as unknown as Argv<RunArgs>,
    handler: async (args) => {
      const result = await executeRun(args);
      setExit(runExitCode(result));
    },
  };
}
