import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { builtinScenarios } from '../../scenarios.js';
import { loadPlanOrThrow } from '../../job.js';
import { ResultsStore } from '../../results/store.js';
import { cleanupLedger } from '../../engine/cleanup.js';
import { openLakeSession, type LakeSession } from '../../engine/lake-session.js';
import type { AuthMethod } from '../../engine/op-result.js';
import { CliError, EXIT } from '../exit-codes.js';
import { sandboxForRun } from '../sandbox-env.js';
import { abs, DEFAULTS, out, processEnv, uid } from '../common.js';

interface CleanupArgs { plan: string; db: string; run?: string; 'sandbox-dir': string }

export function cleanupCommand(setExit: (code: number) => void): CommandModule<object, CleanupArgs> {
  return {
    command: 'cleanup <plan>',
    describe: 'remove what earlier runs created and did not remove (from the cleanup ledger), nothing else',
    builder: (y) => y
      .positional('plan', { type: 'string', demandOption: true, describe: 'the plan the runs used (for the lake and credentials)' })
      .option('db', { type: 'string', default: DEFAULTS.db, describe: 'results store holding the ledger' })
      .option('run', { type: 'string', describe: 'only this run id' })
      .option('sandbox-dir', { type: 'string', default: DEFAULTS.sandboxDir }),
    handler: async (args) => {
      const dbPath = abs(args.db);
      if (!existsSync(dbPath)) throw new CliError(`no results store at ${dbPath}`, EXIT.invalidInput);
      const registry = builtinScenarios();
      const env = processEnv();
      let { plan } = await loadPlanOrThrow({ planFile: args.plan, env, uid: uid(), registry });
      const sandbox = plan.sandbox ? await sandboxForRun(args['sandbox-dir'], out, plan.lake.sandboxConfig) : undefined;
      const store = new ResultsStore(dbPath);
      try {
        if (sandbox) ({ plan } = await loadPlanOrThrow({ planFile: args.plan, env: { ...env, ...sandbox.env }, uid: uid(), registry }));
        const sessions = new Map<AuthMethod, Promise<LakeSession>>();
        const session = (m: AuthMethod): Promise<LakeSession> => {
          let s = sessions.get(m);
          if (!s) sessions.set(m, (s = openLakeSession(plan, m)));
          return s;
        };
        const outcomes = await cleanupLedger(store, session, args.run);
        for (const o of outcomes) out(`${o.ok ? 'ok  ' : 'FAIL'} ${o.entry.kind} ${o.entry.rse} ${o.entry.target}: ${o.message}`);
        out(`${outcomes.length} ledger entries processed, ${outcomes.filter((o) => !o.ok).length} failed`);
        setExit(outcomes.every((o) => o.ok) ? EXIT.ok : EXIT.testsFailed);
      } finally {
        store.close();
        await sandbox?.release();
      }
    },
  };
}
