import type { Argv, CommandModule } from 'yargs';
import { builtinScenarios } from '../../scenarios.js';
import { loadPlanOrThrow } from '../../job.js';
import { startDaemon } from '../../jobs/daemon.js';
import { sandboxForRun } from '../sandbox-env.js';
import { abs, DEFAULTS, out, processEnv, storeDb, storeOptions, uid } from '../common.js';
import { CliError, EXIT } from '../exit-codes.js';
import { agentNameProblem } from '../../plan/agent-schema.js';
import { isPostgresUrl } from '../../results/postgres.js';
import { staleAfterMs } from './coordinator.js';
import { REPORT_FORMATS } from '../../report/write.js';
import { parseFormats } from './report.js';

interface DaemonArgs {
  plan: string;
  db?: string;
  out: string;
  port: number;
  host: string;
  'stop-grace-seconds': number;
  'sandbox-dir': string;
  report?: boolean;
  format?: string;
  agent?: string;
  'heartbeat-seconds'?: number;
  'stale-after-seconds'?: number;
}

/** Runs the plan's scheduled tests until SIGTERM or SIGINT; SIGHUP (or editing the plan) reloads it. */
export function daemonCommand(setExit: (code: number) => void): CommandModule<object, DaemonArgs> {
  return {
    command: 'daemon <plan>',
    describe: 'run the scheduled tests of a plan on their schedules; serve /metrics, /healthz and a status page',
    builder: (y) => y
      .positional('plan', { type: 'string', demandOption: true, describe: 'plan YAML file' })
      .options(storeOptions)
      .option('port', { type: 'number', default: 9464, describe: 'port for /metrics, /healthz and the status page (0: any)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
      .option('stop-grace-seconds', { type: 'number', default: 30, describe: 'on SIGTERM, wait this long for runs in flight before abandoning them' })
      .option('sandbox-dir', { type: 'string', default: DEFAULTS.sandboxDir, describe: 'sandbox runtime folder' })
      .option('report', { type: 'boolean', default: true, describe: 'write each run\'s report to <out>/<run id>/ (--no-report: only judge it)' })
      .option('agent', { type: 'string', describe: 'run as this agent: only the tests the plan assigns to it; with a PostgreSQL --db it heartbeats there and runs the published plan' })
      .option('heartbeat-seconds', { type: 'number', describe: 'how often an agent heartbeats into the shared store (default 10)' })
      .option('stale-after-seconds', { type: 'number', describe: 'an agent whose heartbeat is older is down (default 60)' })
      .option('format', { type: 'string', default: REPORT_FORMATS.join(','), describe: `report formats, comma-separated (${REPORT_FORMATS.join(', ')})` }) as unknown as Argv<DaemonArgs>,
    handler: async (args) => {
      const problem = args.agent === undefined ? null : agentNameProblem(args.agent);
      if (problem) throw new CliError(problem, EXIT.invalidInput);
      const registry = builtinScenarios();
      const env = processEnv();
      const { plan } = await loadPlanOrThrow({ planFile: args.plan, env, uid: uid(), registry });
      const db = storeDb(args.db, plan);
      const sandbox = plan.sandbox ? await sandboxForRun(args['sandbox-dir'], out, plan.lake.sandboxConfig) : undefined;
      if (sandbox) out(`lake: ${sandbox.description}`);
      try {
        const daemon = await startDaemon({
          planFile: abs(args.plan), env: { ...env, ...sandbox?.env }, uid: uid(), registry,
          dbPath: db, coordinationUrl: isPostgresUrl(db) ? db : undefined, agent: args.agent, port: args.port,
          heartbeatMs: heartbeatMs(args['heartbeat-seconds']), staleAfterMs: staleAfterMs(args['stale-after-seconds']), host: args.host, log: out,
          outDir: args.report === false ? undefined : abs(args.out), reportFormats: parseFormats(args.format),
          stopGraceMs: Math.max(0, args['stop-grace-seconds']) * 1000,
        });
        // The daemon stamps its own lines; these get the same ISO-8601 time prefix.
        const say = (line: string): void => out(`${new Date().toISOString()} ${line}`);
        say(`listening: ${daemon.url}`);
        await new Promise<void>((resolve) => {
          const onStop = (signal: string): void => {
            say(`${signal}: stopping`);
            process.off('SIGHUP', onHup);
            void daemon.stop().then((report) => {
              say(`finished ${report.finished} runs in flight, abandoned ${report.abandoned.length}`);
              resolve();
            });
          };
          const onHup = (): void => { say('SIGHUP: reloading the plan'); void daemon.reload(); };
          process.once('SIGTERM', () => onStop('SIGTERM'));
          process.once('SIGINT', () => onStop('SIGINT'));
          process.on('SIGHUP', onHup);
        });
        setExit(EXIT.ok);
      } finally {
        await sandbox?.release();
      }
    },
  };
}

/**
 * `--db`: a SQLite file, or the shared PostgreSQL store, which the daemon coordinates through
 * (advisory locks, heartbeats, the published plan) while its results go to the local file.
 */
function heartbeatMs(seconds: number | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  if (!(seconds >= 1 && seconds <= 3600)) throw new CliError('--heartbeat-seconds must be within 1..3600', EXIT.invalidInput);
  return seconds * 1000;
}
