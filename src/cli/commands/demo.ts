import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../exit-codes.js';
import { executeRun, runOptions, type RunArgs } from './run.js';
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
      setExit(result.passed ? EXIT.ok : EXIT.testsFailed);
    },
  };
}
