import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { builtinScenarios } from '../../scenarios.js';
import { loadPlanOrThrow, openStoreOrThrow } from '../../job.js';
import { isPostgresUrl, urlSecrets } from '../../results/postgres.js';
import { cleanupLines, cleanupWithPlan } from '../../engine/cleanup.js';
import { planSecretSet, SecretSet } from '../../engine/secrets.js';
import { CliError, EXIT } from '../exit-codes.js';
import { sandboxForRun } from '../sandbox-env.js';
import { dbOption, DEFAULTS, out, processEnv, storeDb, uid } from '../common.js';

interface CleanupArgs { plan: string; db?: string; run?: string; 'sandbox-dir': string }

export function cleanupCommand(setExit: (code: number) => void): CommandModule<object, CleanupArgs> {
  return {
    command: 'cleanup <plan>',
    describe: 'remove what earlier runs created and did not remove (from the cleanup ledger), nothing else',
    builder: (y) => y
      .positional('plan', { type: 'string', demandOption: true, describe: 'the plan the runs used (for the lake and credentials)' })
      .option('db', { ...dbOption, describe: `${dbOption.describe} (the ledger: a SQLite file, or the journal of a PostgreSQL store)` })
      .option('run', { type: 'string', describe: 'only this run id' })
      .option('sandbox-dir', { type: 'string', default: DEFAULTS.sandboxDir }),
    handler: async (args) => {
      const registry = builtinScenarios();
      const env = processEnv();
      let { plan } = await loadPlanOrThrow({ planFile: args.plan, env, uid: uid(), registry });
      const dbPath = storeDb(args.db, plan);
      if (!isPostgresUrl(dbPath) && !existsSync(dbPath)) throw new CliError(`no results store at ${dbPath}`, EXIT.invalidInput);
      const sandbox = plan.sandbox ? await sandboxForRun(args['sandbox-dir'], out, plan.lake.sandboxConfig) : undefined;
      const opened = openStoreOrThrow({ dbPath, env, journal: plan.results?.journal }, (line) => out(new SecretSet(urlSecrets(dbPath)).redact(line)));
      const { store } = opened;
      try {
        if (sandbox) ({ plan } = await loadPlanOrThrow({ planFile: args.plan, env: { ...env, ...sandbox.env }, uid: uid(), registry }));
        // A run without an end whose process is gone was killed: it is interrupted, not running.
        for (const r of store.markInterrupted()) out(`run ${r.runId} never finished: marked interrupted (${r.total ?? 0} operations recorded)`);
        const live = new Set(store.runs().filter((r) => r.state === 'running').map((r) => r.runId));
        for (const id of live) if (args.run === undefined || args.run === id) out(`run ${id} is still in progress: its entries are left to it`);
        const outcomes = await cleanupWithPlan(store, plan, args.run, live);
        // A credential's failure may quote another one: every line is redacted with all the plan's secrets.
        const secrets = await planSecretSet(plan);
        for (const line of cleanupLines(outcomes)) out(secrets.redact(line));
        setExit(outcomes.every((o) => o.ok) ? EXIT.ok : EXIT.testsFailed);
      } finally {
        await opened.close();
        await sandbox?.release();
      }
    },
  };
}
