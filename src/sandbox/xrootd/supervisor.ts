// Runs one xrootd process: start it, wait until its log says it is ready, stop it.
import { spawn, type ChildProcess } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVICE_USER } from './run-dir.js';

/**
 * One process 'exit' hook for every supervised server: a sandbox of many RSEs would
 * otherwise add a listener per server and trip Node's MaxListeners warning.
 */
const onExit = new Set<() => void>();
function killAtExit(kill: () => void): void {
  if (onExit.size === 0 && !process.listeners('exit').includes(killAll)) process.on('exit', killAll);
  onExit.add(kill);
}
function killAll(): void {
  for (const kill of onExit) kill();
}

export const XROOTD_BINARY = '/usr/bin/xrootd';
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_MS = 50;
const TAIL_LINES = 25;
/** The last line xrootd logs at start-up, e.g. `------ xrootd RSE@host:1094 initialization completed.` */
const VERDICT = /^------ xrootd \S+ initialization (completed|failed)\./m;

export interface XrootdProcessSpec {
  name: string;
  config: string;
  logDir: string;
  env: Record<string, string>;
}

export interface XrootdProcess {
  /** xrootd appends the instance name to the `-l` folder. */
  logFile: string;
  readonly pid: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => 0);
}

async function readFrom(path: string, offset: number): Promise<string> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return '';
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.max(0, size - offset));
    await fh.read(buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

function tail(text: string): string {
  return text.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

export function superviseXrootd(spec: XrootdProcessSpec): XrootdProcess {
  const logFile = join(spec.logDir, spec.name, 'xrootd.log');
  let child: ChildProcess | undefined;
  // A test runner or CLI that exits without closing the endpoint must not leave xrootd behind.
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };

  const stop = async (): Promise<void> => {
    const running = child;
    if (!running) return;
    child = undefined;
    onExit.delete(killOnExit);
    const gone = exited(running);
    running.kill('SIGTERM');
    const timer = sleep(STOP_TIMEOUT_MS).then(() => 'timeout' as const);
    if ((await Promise.race([gone, timer])) === 'timeout') {
      running.kill('SIGKILL');
      await gone;
    }
  };

  const waitReady = async (running: ChildProcess, offset: number, stderr: () => string): Promise<void> => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const log = await readFrom(logFile, offset);
      const verdict = VERDICT.exec(log)?.[1];
      if (verdict === 'completed') return;
      const dead = running.exitCode !== null || running.signalCode !== null;
      if (verdict === 'failed' || dead || Date.now() > deadline) {
        const why = verdict === 'failed' ? 'initialization failed' : dead ? `exited (${running.exitCode ?? running.signalCode})` : 'not ready in time';
        throw new Error(`xrootd ${spec.name} ${why}; log ${logFile}:\n${tail(`${stderr()}${log}`)}`);
      }
      await sleep(POLL_MS);
    }
  };

  const start = async (): Promise<void> => {
    if (child) return;
    const offset = await sizeOf(logFile);
    // The pid file's folder is also where xrootd writes its env file (otherwise /tmp, machine-wide).
    const args = ['-n', spec.name, '-R', SERVICE_USER, '-c', spec.config, '-l', join(spec.logDir, 'xrootd.log'), '-s', join(spec.logDir, spec.name, 'xrootd.pid')];
    const running = spawn(XROOTD_BINARY, args, { env: spec.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    running.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096);
    });
    const spawned = new Promise<void>((resolve, reject) => {
      running.once('spawn', resolve);
      running.once('error', reject);
    });
    await spawned;
    child = running;
    killAtExit(killOnExit);
    running.once('exit', () => {
      if (child === running) {
        child = undefined;
        onExit.delete(killOnExit);
      }
    });
    try {
      await waitReady(running, offset, () => stderr);
    } catch (err) {
      await stop();
      throw err;
    }
  };

  return {
    logFile,
    get pid() {
      return child?.pid ?? 0;
    },
    start,
    stop,
  };
}
