import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { probeJob } from '../../jobs/probe.js';
import { abs, out } from '../common.js';
import { printSummary, runOptions, withRunLake, type RunArgs } from './run.js';

interface ProbeArgs extends RunArgs {
  junit?: string;
  summary?: string;
  baseline?: string;
  'write-baseline'?: string;
}

export function probeCommand(setExit: (code: number) => void): CommandModule<object, ProbeArgs> {
  return {
    command: 'probe <plan>',
    describe: 'run a plan once as a CI check: JUnit XML, a Markdown summary, thresholds and regression baselines '
      + '(exit 0 ok, 1 a check failed, 4 critical, 5 a threshold or regression failed, 6 lake unreachable)',
    builder: (y) => (runOptions(y) as unknown as Argv<ProbeArgs>)
      .option('junit', { type: 'string', describe: 'JUnit XML file (default: <out>/<plan>.junit.xml)' })
      .option('summary', { type: 'string', describe: 'Markdown summary file (default: <out>/<plan>.probe.md)' })
      .option('baseline', { type: 'string', describe: 'compare with this baseline file (see --write-baseline)' })
      .option('write-baseline', { type: 'string', describe: "write this run's figures as a baseline file" }),
    handler: async (args) => {
      const name = args.plan.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
      const junitFile = abs(args.junit ?? join(args.out, `${name}.junit.xml`));
      const summaryFile = abs(args.summary ?? join(args.out, `${name}.probe.md`));
      const result = await withRunLake(args, (o) => probeJob({
        ...o, junitFile, summaryFile,
        baselineFile: args.baseline && abs(args.baseline), writeBaselineFile: args['write-baseline'] && abs(args['write-baseline']),
      }));
      printSummary(result.job);
      for (const c of result.checks.filter((x) => !x.passed)) out(`FAILED ${c.suite}: ${c.name}: ${c.message}`);
      out(`probe: ${result.outcome.replace('_', ' ')} (${result.checks.filter((c) => c.passed).length}/${result.checks.length} checks passed)`);
      out(`junit: ${junitFile}`);
      out(`summary: ${summaryFile}`);
      if (args['write-baseline']) out(`baseline written: ${abs(args['write-baseline'])}`);
      setExit(result.exitCode);
    },
  };
}
