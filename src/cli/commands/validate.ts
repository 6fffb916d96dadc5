import type { CommandModule } from 'yargs';
import { loadPlanOrThrow, scenariosForPlan, typecheckPlanScenarios } from '../../job.js';
import { EXIT } from '../exit-codes.js';
import { out, processEnv, uid } from '../common.js';

export function validateCommand(setExit: (code: number) => void): CommandModule<object, { plan: string }> {
  return {
    command: 'validate <plan>',
    describe: 'check a plan and report every problem with file:line and field (exit 2 when invalid)',
    builder: (y) => y.positional('plan', { type: 'string', demandOption: true, describe: 'plan YAML file' }),
    handler: async (args) => {
      const registry = await scenariosForPlan(args.plan);
      const { plan, warnings } = await loadPlanOrThrow({ planFile: args.plan, env: processEnv(), uid: uid(), registry });
      await typecheckPlanScenarios(args.plan);
      for (const w of warnings) out(w);
      const tests = plan.experiments.reduce((n, e) => n + e.tests.length, 0);
      out(`${args.plan}: valid (${plan.experiments.length} experiments, ${tests} tests)`);
      setExit(EXIT.ok);
    },
  };
}
