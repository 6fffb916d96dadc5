import type { Argv, CommandModule } from 'yargs';
import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeRecord } from '../../sandbox/config-match.js';
import { startSandboxLake } from '../../sandbox/lake.js';
import {
  envSnippet, isSandboxAlive, processAlive, readSandboxState, removeSandboxState, writeSandboxState,
} from '../../sandbox/state.js';
import { CliError, EXIT } from '../exit-codes.js';
import { checkRunningSandbox, configRecord, stopItFirst, wantedSandboxConfig } from '../sandbox-env.js';
import { sandboxDirOf, sandboxDirOptions, type SandboxDirArgs } from '../sandbox-dir.js';
import { sandboxFaultCommand } from './sandbox-fault.js';
import { abs, out } from '../common.js';


const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const lakeOptions = {
  ...sandboxDirOptions,
  config: { type: 'string', describe: 'sandbox config file (storage, RSEs, links, faults)' },
  storage: { choices: ['builtin', 'xrootd'] as const, describe: 'who serves the RSEs (overrides the config file)' },
} as const;

type LakeArgs = SandboxDirArgs & { config?: string; storage?: 'builtin' | 'xrootd' };
const source = (a: LakeArgs): ConfigSource => ({ config: a.config ? abs(a.config) : undefined, storage: a.storage });

export function sandboxCommand(setExit: (code: number) => void): CommandModule<object, object> {
  return {
    command: 'sandbox <command>',
    describe: 'the local sandbox lake: up, down, status, serve, fault',
    builder: (y) => y
      .command<LakeArgs & { 'timeout-seconds': number }>({
        command: 'up', describe: 'start the sandbox lake in the background and print its env snippet',
        builder: (b) => b.options(lakeOptions).option('timeout-seconds', { type: 'number', default: 120, describe: 'how long to wait for the lake' }) as unknown as Argv<LakeArgs & { 'timeout-seconds': number }>,
        handler: (a) => up(sandboxDirOf(a), a['timeout-seconds'], source(a)),
      })
      .command<LakeArgs>({
        command: 'serve', describe: 'run the sandbox lake in the foreground until interrupted',
        builder: (b) => b.options(lakeOptions) as unknown as Argv<LakeArgs>,
        handler: (a) => serve(sandboxDirOf(a), source(a)),
      })
      .command<SandboxDirArgs>({
        command: 'down', describe: 'stop the sandbox lake started by `up`',
        builder: (b) => b.options(sandboxDirOptions) as unknown as Argv<SandboxDirArgs>,
        handler: (a) => down(sandboxDirOf(a)),
      })
      .command<SandboxDirArgs>({
        command: 'status', describe: 'is the sandbox lake running? (exit 3 when not)',
        builder: (b) => b.options(sandboxDirOptions) as unknown as Argv<SandboxDirArgs>,
        handler: (a) => status(sandboxDirOf(a), setExit),
      })
      .command(sandboxFaultCommand as CommandModule<object, object>)
      .demandCommand(1, 'name a sandbox command'),
    handler: () => {},
  };
}

interface ConfigSource { config?: string; storage?: 'builtin' | 'xrootd' }

async function serve(dir: string, source: ConfigSource): Promise<void> {
  const wanted = await wantedSandboxConfig(source.config, source.storage);
  const running = await readSandboxState(dir);
  if (running && (await isSandboxAlive(running))) {
    // A second lake in the same folder would take over its state and data.
    throw new CliError(`a sandbox already runs in ${dir} (pid ${running.pid})\n${stopItFirst(dir, 'serve again')}`, EXIT.setupFailed);
  }
  const lake = await startSandboxLake({ dir, config: wanted.config });
  // The config it was started with, so `run` and `up` can tell whether it fits them.
  await writeSandboxState(dir, { ...lake.state(process.pid), config: configRecord(wanted) });
  out(`sandbox lake serving (pid ${process.pid}); stop with: lakeprobe sandbox down --sandbox-dir ${dir}`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await lake.stop();
  await removeSandboxState(dir);
}

async function up(dir: string, timeoutSeconds: number, source: ConfigSource): Promise<void> {
  const wanted = await wantedSandboxConfig(source.config, source.storage); // a bad config here, not in the log
  const existing = await readSandboxState(dir);
  if (existing && (await isSandboxAlive(existing))) {
    const again = `lakeprobe sandbox up${source.config ? ` --config ${source.config}` : ''}${source.storage ? ` --storage ${source.storage}` : ''} --sandbox-dir ${dir}`;
    const note = checkRunningSandbox(existing, dir, wanted, `start it again: ${again}`);
    out(`sandbox already running (pid ${existing.pid})`);
    if (note) out(note);
    printState(existing);
    return;
  }
  await removeSandboxState(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const log = await open(join(dir, 'sandbox.log'), 'a');
  const main = fileURLToPath(new URL('../bin.js', import.meta.url));
  const extra = [...(source.config ? ['--config', source.config] : []), ...(source.storage ? ['--storage', source.storage] : [])];
  const child = spawn(process.execPath, [main, 'sandbox', 'serve', '--sandbox-dir', dir, ...extra], {
    detached: true, stdio: ['ignore', log.fd, log.fd],
  });
  child.unref();
  await log.close();
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (Date.now() < deadline) {
    const state = await readSandboxState(dir);
    if (state && (await isSandboxAlive(state))) {
      out(`sandbox lake up (pid ${state.pid}), log: ${join(dir, 'sandbox.log')}`);
      printState(state);
      return;
    }
    if (child.exitCode !== null || (child.pid !== undefined && !processAlive(child.pid))) break;
    await sleep(200);
  }
  throw new CliError(`the sandbox did not come up; see ${join(dir, 'sandbox.log')}`, EXIT.setupFailed);
}

async function down(dir: string): Promise<void> {
  const state = await readSandboxState(dir);
  if (!state || !processAlive(state.pid)) {
    await removeSandboxState(dir);
    out('sandbox not running');
    return;
  }
  process.kill(state.pid, 'SIGTERM');
  for (let i = 0; i < 100 && processAlive(state.pid); i++) await sleep(100);
  if (processAlive(state.pid)) throw new CliError(`sandbox pid ${state.pid} did not stop`, EXIT.setupFailed);
  await removeSandboxState(dir);
  out('sandbox stopped');
}

async function status(dir: string, setExit: (code: number) => void): Promise<void> {
  const state = await readSandboxState(dir);
  if (!state || !(await isSandboxAlive(state))) {
    out('sandbox not running');
    setExit(EXIT.setupFailed);
    return;
  }
  out(`sandbox running (pid ${state.pid}, since ${state.startedAt})`);
  printState(state);
}

function printState(state: Awaited<ReturnType<typeof readSandboxState>> & object): void {
  out(`catalogue: ${state.rucioUrl}`);
  out(`token issuer: ${state.issuer}`);
  out(`storage: ${state.storage}`);
  out(`started with: ${describeRecord(state.config)}`);
  for (const r of state.rses) out(`RSE ${r.name}: ${r.url}${r.rootUrl ? ` ${r.rootUrl}` : ''}`);
  out(`fault admin: ${state.faultAdminUrl} (use: lakeprobe sandbox fault --help)`);
  out('\n# point other tools at the sandbox:');
  out(envSnippet(state.env));
}
