import type { Argv, CommandModule } from 'yargs';
import { loadPlanOrThrow } from '../../job.js';
import { builtinScenarios } from '../../scenarios.js';
import { publishPlan, startCoordinator } from '../../jobs/coordinator.js';
import { MAX_STALE_AFTER_MS, MIN_STALE_AFTER_MS } from '../../agents/coordination.js';
import { isPostgresUrl, storeLabel } from '../../results/postgres.js';
import { abs, out, processEnv, uid } from '../common.js';
import { CliError, EXIT } from '../exit-codes.js';

interface CoordinatorArgs { db: string; plan?: string; port: number; host: string; 'stale-after-seconds'?: number }

/** The shared store's URL, refused when it is not PostgreSQL (agents coordinate only through a shared store). */
export function sharedStoreUrl(db: string): string {
  if (!isPostgresUrl(db)) throw new CliError(`--db must be a PostgreSQL URL (postgresql://…), not ${db.slice(0, 200)}`, EXIT.invalidInput);
  return db;
}

/** Seconds on the command line to a bounded stale bound in ms. */
export function staleAfterMs(seconds: number | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  const ms = seconds * 1000;
  if (!(ms >= MIN_STALE_AFTER_MS && ms <= MAX_STALE_AFTER_MS)) {
    throw new CliError(`--stale-after-seconds must be within ${MIN_STALE_AFTER_MS / 1000}..${MAX_STALE_AFTER_MS / 1000}`, EXIT.invalidInput);
  }
  return ms;
}

export function coordinatorCommand(setExit: (code: number) => void): CommandModule<object, CoordinatorArgs> {
  return {
    command: 'coordinator',
    describe: 'serve the challenge view of a shared store: every agent, its heartbeat and clock offset, every test and its last verdict; /metrics for alerts',
    builder: (y) => y
      .option('db', { type: 'string', demandOption: true, describe: 'the shared results store (postgresql://…; libpq conventions, PGPASSFILE for the password)' })
      .option('plan', { type: 'string', describe: 'judge coverage by this plan (default: the latest published plan)' })
      .option('port', { type: 'number', default: 9465, describe: 'port for the page, /metrics and /healthz (0: any)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
      .option('stale-after-seconds', { type: 'number', describe: 'an agent whose heartbeat is older is down (default 60)' }) as unknown as Argv<CoordinatorArgs>,
    handler: async (args) => {
      const coordinator = await startCoordinator({
        url: sharedStoreUrl(args.db), planFile: args.plan && abs(args.plan), port: args.port, host: args.host,
        staleAfterMs: staleAfterMs(args['stale-after-seconds']), log: out,
      });
      out(`coordinator: ${storeLabel(args.db)}; page ${coordinator.url}/ metrics ${coordinator.url}/metrics`);
      await new Promise<void>((resolve) => {
        const onStop = (): void => { void coordinator.stop().then(resolve); };
        process.once('SIGTERM', onStop);
        process.once('SIGINT', onStop);
      });
      setExit(EXIT.ok);
    },
  };
}

export function publishPlanCommand(setExit: (code: number) => void): CommandModule<object, { plan: string; db: string }> {
  return {
    command: 'publish-plan <plan>',
    describe: 'validate a plan and publish it to the shared store as its next version; agents run it from their next heartbeat',
    builder: (y) => y
      .positional('plan', { type: 'string', demandOption: true, describe: 'plan YAML file' })
      .option('db', { type: 'string', demandOption: true, describe: 'the shared results store (postgresql://…)' }) as unknown as Argv<{ plan: string; db: string }>,
    handler: async (args) => {
      const url = sharedStoreUrl(args.db);
      const { plan } = await loadPlanOrThrow({ planFile: abs(args.plan), env: processEnv(), uid: uid(), registry: builtinScenarios() });
      const { version, hash } = await publishPlan({ url, planFile: abs(args.plan), planName: plan.name });
      out(`published ${plan.name} as version ${version} (sha256 ${hash.slice(0, 12)}) to ${storeLabel(url)}`);
      setExit(EXIT.ok);
    },
  };
}
