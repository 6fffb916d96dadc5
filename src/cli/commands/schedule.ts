import type { Argv, CommandModule } from 'yargs';
import { builtinScenarios } from '../../scenarios.js';
import { loadPlanOrThrow } from '../../job.js';
import { scheduledTests, upcomingFires } from '../../schedule/fire-plan.js';
import { CliError, EXIT } from '../exit-codes.js';
import { out, processEnv, uid } from '../common.js';

interface ScheduleArgs { plan: string; count: number; from?: string }

/** Prints the next fire times of every scheduled test. */
export function scheduleCommand(setExit: (code: number) => void): CommandModule<object, ScheduleArgs> {
  return {
    command: 'schedule <plan>',
    describe: 'print the next fire times of the scheduled tests of a plan',
    builder: (y) => y
      .positional('plan', { type: 'string', demandOption: true, describe: 'plan YAML file' })
      .option('count', { type: 'number', default: 5, describe: 'fire times per test (1-100)' })
      .option('from', { type: 'string', describe: 'start from this ISO-8601 time instead of now' }) as unknown as Argv<ScheduleArgs>,
    handler: async (args) => {
      const count = Math.trunc(args.count);
      if (!(count >= 1 && count <= 100)) throw new CliError('--count must be between 1 and 100', EXIT.invalidInput);
      const from = args.from ? new Date(args.from) : new Date();
      if (Number.isNaN(from.getTime())) throw new CliError(`--from: "${args.from}" is not an ISO-8601 time`, EXIT.invalidInput);
      const { plan, warnings } = await loadPlanOrThrow({ planFile: args.plan, env: processEnv(), uid: uid(), registry: builtinScenarios() });
      for (const w of warnings) out(w);
      const tests = scheduledTests(plan);
      try {
        if (tests.length === 0) out('no test of the plan has a schedule');
        for (const f of upcomingFires(tests, from, count)) {
          const s = f.test.schedule;
          const extra = [
            s.timezone && s.timezone !== 'UTC' ? `cron in ${s.timezone}` : '',
            f.at.getTime() !== f.cronTime.getTime() ? `cron ${f.cronTime.toISOString()} +${(f.at.getTime() - f.cronTime.getTime()) / 1000}s` : '',
            f.cycle ? `${f.cycle.param}=${f.cycle.value}` : '',
          ].filter(Boolean).join(', ');
          out(`${f.at.toISOString()}  ${f.test.key}${extra ? `  (${extra})` : ''}`);
        }
      } finally {
        for (const t of tests) t.matcher.dispose();
      }
      setExit(EXIT.ok);
    },
  };
}
