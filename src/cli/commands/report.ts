import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { ResultsStore } from '../../results/store.js';
import { writeReports } from '../../report/write.js';
import { CliError, EXIT } from '../exit-codes.js';
import { abs, out, storeOptions } from '../common.js';

interface ReportArgs { db: string; out: string; run: string }

export function reportCommand(setExit: (code: number) => void): CommandModule<object, ReportArgs> {
  return {
    command: 'report',
    describe: 'write the per-experiment Markdown and CSV reports of a recorded run',
    builder: (y) => y.options(storeOptions)
      .option('run', { type: 'string', default: 'latest', describe: 'run id, or "latest"' }),
    handler: async (args) => {
      const dbPath = abs(args.db);
      if (!existsSync(dbPath)) throw new CliError(`no results store at ${dbPath} (run a plan first, or pass --db)`, EXIT.invalidInput);
      const store = new ResultsStore(dbPath);
      try {
        const run = args.run === 'latest' ? store.runs()[0] : store.run(args.run);
        if (!run) throw new CliError(`no run "${args.run}" in ${dbPath}`, EXIT.invalidInput);
        const written = await writeReports(abs(args.out), run.runId, store.results(run.runId));
        for (const w of written) out(`${w.experiment}: ${w.markdown}\n  csv: ${w.csv}`);
        if (written.length === 0) out(`run ${run.runId} recorded no operations`);
        setExit(EXIT.ok);
      } finally {
        store.close();
      }
    },
  };
}
