import type { Argv, CommandModule } from 'yargs';
import { loadPlanOrThrow } from '../../job.js';
import { builtinScenarios } from '../../scenarios.js';
import { importK6Summary, k6Secrets, runK6, type K6ImportResult } from '../../jobs/k6.js';
import { EXIT, CliError } from '../exit-codes.js';
import { abs, dbOption, out, processEnv, storeDb, uid } from '../common.js';

interface K6Args {
  action: string;
  file: string;
  plan?: string;
  db?: string;
  var?: string[];
  script?: string;
}

function parseVars(pairs: string[] = []): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new CliError(`-e ${pair}: expected NAME=VALUE`, EXIT.invalidInput);
    vars[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return vars;
}

function printImport(r: K6ImportResult): void {
  out(`k6 summary stored as run ${r.runId}: ${r.summary.metrics.length} metrics, ${r.summary.thresholds.length} thresholds, ${r.summary.checks.length} checks`);
  for (const t of r.summary.thresholds) out(`  ${t.ok ? 'ok    ' : 'FAILED'} ${t.metric}: ${t.expression}`);
}

export function k6Command(setExit: (code: number) => void): CommandModule<object, K6Args> {
  return {
    command: 'k6 <action> <file>',
    describe: 'load with k6: `run <script>` (k6 on PATH) with the plan\'s thresholds, or `import <summary.json>`; '
      + 'exit 5 when a k6 threshold failed',
    builder: (y) => (y as Argv<K6Args>)
      .positional('action', { choices: ['run', 'import'] as const, demandOption: true, describe: 'run a script, or import a summary' })
      .positional('file', { type: 'string', demandOption: true, describe: 'k6 script (run) or summary JSON (import)' })
      .option('plan', { type: 'string', describe: 'plan whose thresholds the script gets, and whose name the run takes' })
      .option('db', dbOption)
      .option('var', { alias: 'e', type: 'string', array: true, describe: 'NAME=VALUE for the script, in its environment (no secrets: those come from the environment or the plan)' })
      .option('script', { type: 'string', describe: 'import: the script the summary came from (recorded with it)' }),
    handler: async (args) => {
      const env = processEnv();
      const plan = args.plan ? (await loadPlanOrThrow({ planFile: args.plan, env, uid: uid(), registry: builtinScenarios() })).plan : undefined;
      if (args.action === 'import') {
        const r = await importK6Summary({
          dbPath: storeDb(args.db, plan), summaryFile: abs(args.file), planName: plan?.name ?? 'k6', script: args.script ?? '',
          secrets: await k6Secrets(plan, env),
        });
        printImport(r);
        setExit(r.failedThresholds.length ? EXIT.thresholdFailed : EXIT.ok);
        return;
      }
      const r = await runK6({ script: abs(args.file), dbPath: storeDb(args.db, plan), plan, vars: parseVars(args.var), env, log: out });
      for (const line of r.notApplicable) out(`not applicable to k6: ${line}`);
      printImport(r);
      setExit(r.failedThresholds.length || r.k6Exit !== 0 ? EXIT.thresholdFailed : EXIT.ok);
    },
  };
}
