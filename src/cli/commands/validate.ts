import type { CommandModule } from 'yargs';
import { loadPlanOrThrow } from '../../job.js';
import { builtinScenarios } from '../../scenarios.js';
import { sandboxConfigOrThrow } from '../sandbox-env.js';
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
      const { plan, warnings } = await loadPlanOrThrow({ planFile: args.plan, env: processEnv(), uid: uid(), registry: builtinScenarios() });
      // What run and daemon read before they start a sandbox.
      if (plan.sandbox) await sandboxConfigOrThrow(plan.lake.sandboxConfig);
      for (const w of warnings) out(w);
      const tests = plan.experiments.reduce((n, e) => n + e.tests.length, 0);
      out(`${args.plan}: valid (${plan.experiments.length} experiments, ${tests} tests)`);
      setExit(EXIT.ok);
    },
  };
}
