import type { Argv, CommandModule } from 'yargs';
import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandboxLake } from '../../sandbox/lake.js';
import {
  envSnippet, isSandboxAlive, processAlive, readSandboxState, removeSandboxState, writeSandboxState,
} from '../../sandbox/state.js';
import { CliError, EXIT } from '../exit-codes.js';
import { sandboxConfigOrThrow } from '../sandbox-env.js';
import { abs, DEFAULTS, out } from '../common.js';

interface SandboxArgs { action: string; dir: string; 'timeout-seconds': number; config?: string; storage?: 'builtin' | 'xrootd' }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function sandboxCommand(setExit: (code: number) => void): CommandModule<object, SandboxArgs> {
  return {
    command: 'sandbox <action>',
    describe: 'the local sandbox lake: up (start in the background), down, status, serve (foreground)',
    builder: (y) => y
      .positional('action', { choices: ['up', 'down', 'status', 'serve'] as const, demandOption: true })
      .option('dir', { type: 'string', default: DEFAULTS.sandboxDir, describe: 'runtime folder (PKI, tokens, data, state)' })
      .option('timeout-seconds', { type: 'number', default: 60, describe: 'how long `up` waits for the lake' })
      .option('config', { type: 'string', describe: 'sandbox config file (storage, RSEs, links, faults)' })
      .option('storage', { choices: ['builtin', 'xrootd'] as const, describe: 'who serves the RSEs (overrides the config file)' }) as unknown as Argv<SandboxArgs>,
    handler: async (args) => {
      const dir = abs(args.dir);
      const source = { config: args.config ? abs(args.config) : undefined, storage: args.storage };
      if (args.action === 'serve') await serve(dir, source);
      else if (args.action === 'up') await up(dir, args['timeout-seconds'], source);
      else if (args.action === 'down') await down(dir);
      else await status(dir, setExit);
    },
  };
}

interface ConfigSource { config?: string; storage?: 'builtin' | 'xrootd' }

async function serve(dir: string, source: ConfigSource): Promise<void> {
  const lake = await startSandboxLake({ dir, config: await sandboxConfigOrThrow(source.config, source.storage) });
  await writeSandboxState(dir, lake.state(process.pid));
  out(`sandbox lake serving (pid ${process.pid}); stop with: lakeprobe sandbox down --dir ${dir}`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await lake.stop();
  await removeSandboxState(dir);
}

async function up(dir: string, timeoutSeconds: number, source: ConfigSource): Promise<void> {
  await sandboxConfigOrThrow(source.config, source.storage); // report a bad config here, not in the log
  const existing = await readSandboxState(dir);
  if (existing && (await isSandboxAlive(existing))) {
    out(`sandbox already running (pid ${existing.pid})`);
    printState(existing);
    return;
  }
  await removeSandboxState(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const log = await open(join(dir, 'sandbox.log'), 'a');
  const main = fileURLToPath(new URL('../bin.js', import.meta.url));
  const extra = [...(source.config ? ['--config', source.config] : []), ...(source.storage ? ['--storage', source.storage] : [])];
  const child = spawn(process.execPath, [main, 'sandbox', 'serve', '--dir', dir, ...extra], {
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
  for (const r of state.rses) out(`RSE ${r.name}: ${r.url}`);
  out('\n# point other tools at the sandbox:');
  out(envSnippet(state.env));
}
