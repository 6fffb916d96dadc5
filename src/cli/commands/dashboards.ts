import type { Argv, CommandModule } from 'yargs';
import { writeGenerated } from '../../dashboards/index.js';
import { abs, out } from '../common.js';
import { EXIT } from '../exit-codes.js';

interface DashboardsArgs { out: string }

/** Writes the Grafana dashboards and the Prometheus alert rules generated from the metric catalogue. */
export function dashboardsCommand(setExit: (code: number) => void): CommandModule<object, DashboardsArgs> {
  return {
    command: 'dashboards',
    describe: 'write the Grafana dashboards and Prometheus alert rules generated from the metric catalogue',
    builder: (y) => y.option('out', { type: 'string', default: 'dashboards', describe: 'output folder' }) as unknown as Argv<DashboardsArgs>,
    handler: async (args) => {
      const { written, unchanged } = await writeGenerated(abs(args.out));
      for (const f of written) out(`wrote ${f}`);
      out(`${written.length} written, ${unchanged.length} unchanged`);
      setExit(EXIT.ok);
    },
  };
}
