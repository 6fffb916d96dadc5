import type { CommandModule } from 'yargs';
import { loadPlanOrThrow, scenariosForPlan, typecheckPlanScenarios } from '../../job.js';
import { CliError, EXIT } from '../exit-codes.js';
import { out, processEnv, uid } from '../common.js';

/** `validate` without a plan: what it needs, and a plan to try it on. */
export const VALIDATE_NEEDS_PLAN = [
  'validate needs a plan: lakeprobe validate <plan.yaml>',
  'A plan is a YAML file listing the lake, the credentials and experiments → tests (scenario, params, success criteria); see README "Plans".',
  'Try it on the demo plan: lakeprobe validate probes/sandbox.yaml',
].join('\n');

export function validateCommand(setExit: (code: number) => void): CommandModule<object, { plan?: string }> {
  return {
    command: 'validate [plan]',
    describe: 'check a plan and report every problem with file:line and field (exit 2 when invalid)',
    builder: (y) => y.positional('plan', { type: 'string', describe: 'plan YAML file' }),
    handler: async (args) => {
      if (args.plan === undefined) throw new CliError(VALIDATE_NEEDS_PLAN, EXIT.invalidInput);
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
