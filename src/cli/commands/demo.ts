import type { Argv, CommandModule } from 'yargs';
import { executeRun, runExitCode, runOptions, type RunArgs } from './run.js';
import { out } from '../common.js';

export function demoCommand(setExit: (code: number) => void): CommandModule<object, RunArgs> {
  return {
    command: 'demo [plan]',
    describe: 'start the sandbox lake, run the demo plan against it, write the report, stop',
    builder: (y) => runOptions(y).positional('plan', { type: 'string', default: 'probes/sandbox.yaml' }) as unknown as Argv<RunArgs>,
    handler: async (args) => {
      const result = await executeRun(args);
      out('');
      out(`Open the report: ${result.reports[0]?.markdown ?? '(no results)'}`);
      setExit(runExitCode(result));
    },
  };
}
