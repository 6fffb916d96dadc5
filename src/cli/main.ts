import yargs from 'yargs';
import { CliError, EXIT } from './exit-codes.js';
import { redact } from '../engine/redact.js';
import { validateCommand } from './commands/validate.js';
import { runCommand } from './commands/run.js';
import { reportCommand } from './commands/report.js';
import { sandboxCommand } from './commands/sandbox.js';
import { demoCommand } from './commands/demo.js';
import { cleanupCommand } from './commands/cleanup.js';
import { probeCommand } from './commands/probe.js';
import { k6Command } from './commands/k6.js';
import { daemonCommand } from './commands/daemon.js';
import { coordinatorCommand, publishPlanCommand } from './commands/coordinator.js';
import { scheduleCommand } from './commands/schedule.js';
import { dashboardsCommand } from './commands/dashboards.js';

/** `lakeprobe` alone: a clear line, the commands one line each, and where a newcomer starts. */
function bareUsage(help: string): string {
  const start = help.indexOf('Commands:');
  const end = help.indexOf('\n\n', start);
  const commandList = start < 0 ? help : help.slice(start, end < 0 ? undefined : end);
  return [
    'lakeprobe: name a command (nothing was run; exit 2).',
    '',
    commandList,
    '',
    'New here? From a checkout of lakeprobe, two commands:',
    '  npm ci && npm run demo   installs, runs a small challenge against a local sandbox lake, prints where the report is',
    '  npm test                 runs the tests',
    'Installed as a package, `lakeprobe demo` runs the same challenge. Every command has --help.',
    '',
  ].join('\n');
}

/** Entry point: parse, hand over to one command, turn errors into documented exit codes. */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const setExit = (code: number): void => { exitCode = code; };
  try {
    const parser = yargs(argv)
      .scriptName('lakeprobe')
      .usage('$0 <command> [options]\n\nChallenge test harness and monitoring probes for Rucio data lakes.')
      .command(validateCommand(setExit))
      .command(runCommand(setExit))
      .command(reportCommand(setExit))
      .command(sandboxCommand(setExit))
      .command(demoCommand(setExit))
      .command(cleanupCommand(setExit))
      .command(probeCommand(setExit))
      .command(k6Command(setExit))
      .command(daemonCommand(setExit))
      .command(coordinatorCommand(setExit))
      .command(publishPlanCommand(setExit))
      .command(scheduleCommand(setExit))
      .command(dashboardsCommand(setExit))
      .demandCommand(1, 'name a command (see --help)')
      .strict()
      .help()
      .alias('h', 'help')
      .version(false)
      .epilogue('Exit codes: 0 ok, 1 a test failed its success criteria, 2 invalid plan or usage, 3 setup failed, 4 a critical result, 5 a probe threshold or regression failed, 6 lake unreachable (probe), 70 internal error.')
      .fail((msg, err) => {
        if (err) throw err;
        throw new CliError(`${msg}\n(see: lakeprobe --help)`, EXIT.invalidInput);
      });
    if (argv.length === 0) {
      // yargs lists the commands it was given; one line each, however wide.
      process.stderr.write(bareUsage(await parser.wrap(null).getHelp()));
      return EXIT.invalidInput;
    }
    await parser.parseAsync();
  } catch (e) {
    // What reaches stderr here had no plan-wide redaction: at least nothing shaped like a credential.
    if (e instanceof CliError) {
      if (e.message) process.stderr.write(`${redact(e.message)}\n`);
      return e.exitCode;
    }
    process.stderr.write(`internal error: ${redact((e as Error).stack ?? String(e))}\n`);
    return EXIT.internal;
  }
  return exitCode;
}
