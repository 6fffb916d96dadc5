import type { Argv, CommandModule } from 'yargs';
import { loadPlanOrThrow, runJob, scenariosForPlan, type JobResult } from '../../job.js';
import { EXIT } from '../exit-codes.js';
import { ProgressSink } from '../progress.js';
import { sandboxForRun } from '../sandbox-env.js';
import { abs, DEFAULTS, out, processEnv, storeOptions, uid } from '../common.js';

export interface RunArgs {
  plan: string;
  db: string;
  out: string;
  'metrics-port'?: number;
  pushgateway?: string;
  experiment?: string;
  test?: string;
  'sandbox-dir': string;
  scale?: number;
}

export function runOptions<T>(y: Argv<T>) {
  return y
    .positional('plan', { type: 'string', demandOption: true, describe: 'plan YAML file' })
    .options(storeOptions)
    .option('metrics-port', { type: 'number', describe: 'serve Prometheus /metrics on this loopback port during the run (0: any)' })
    .option('pushgateway', { type: 'string', describe: 'push the metrics to this Pushgateway URL at the end' })
    .option('experiment', { type: 'string', describe: 'run only this experiment' })
    .option('test', { type: 'string', describe: 'run only this test' })
    .option('sandbox-dir', { type: 'string', default: DEFAULTS.sandboxDir, describe: 'sandbox runtime folder' })
    .option('scale', { type: 'number', describe: 'shrink counts, sizes and durations of every test by this factor (0 < F <= 1), e.g. 0.001 to rehearse a challenge plan in minutes' });
}

/** Runs a plan once (starting the sandbox first when the plan asks for it) and prints where everything is. */
export async function executeRun(args: RunArgs): Promise<JobResult> {
  const registry = await scenariosForPlan(args.plan);
  const env = processEnv();
  const { plan } = await loadPlanOrThrow({ planFile: args.plan, env, uid: uid(), registry });
  const sandbox = plan.sandbox ? await sandboxForRun(args['sandbox-dir'], out, plan.lake.sandboxConfig) : undefined;
  if (sandbox) out(`lake: ${sandbox.description}`);
  try {
    const result = await runJob({
      planFile: args.plan, env: { ...env, ...sandbox?.env }, uid: uid(), registry,
      dbPath: abs(args.db), outDir: abs(args.out), metricsPort: args['metrics-port'], pushgateway: args.pushgateway,
      only: { experiment: args.experiment, test: args.test }, scale: args.scale,
      reporters: [new ProgressSink((t) => process.stdout.write(t), Boolean(process.stdout.isTTY))],
      log: out,
    });
    printSummary(result);
    return result;
  } finally {
    await sandbox?.release();
  }
}

export function printSummary(result: JobResult): void {
  out('');
  out(`run ${result.run.runId}: ${result.summary.total} operations, ${result.summary.failed} failed — ${result.passed ? 'PASSED' : 'FAILED'}`);
  for (const r of result.reports) {
    const verdict = r.report.tests.every((t) => t.passed) ? 'passed' : 'FAILED';
    out(`report ${r.experiment} (${verdict}): ${r.markdown}`);
    out(`  csv: ${r.csv}`);
  }
  out(`results store: ${result.dbPath}`);
}

export function runCommand(setExit: (code: number) => void): CommandModule<object, RunArgs> {
  return {
    command: 'run <plan>',
    describe: 'run every test of a plan once, record results, write reports (exit 1 when a test fails)',
    builder: (y) => runOptions(y) as unknown as Argv<RunArgs>,
    handler: async (args) => {
      const result = await executeRun(args);
      setExit(result.passed ? EXIT.ok : EXIT.testsFailed);
    },
  };
}
