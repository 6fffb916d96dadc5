// A Prometheus Pushgateway of the test's own: port 0 (it reports the port it bound),
// its persistence file in the test's temp directory. Debian's build defaults
// --persistence.file to /var/lib/prometheus/pushgateway.data, which would load every
// group ever pushed on the machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Tool } from './tools.js';

export const PUSHGATEWAY: Tool = { command: '/usr/bin/prometheus-pushgateway', debianPackage: 'prometheus-pushgateway' };
const START_TIMEOUT_MS = 30_000;
const LISTENING = /msg="Listening on" address=127\.0\.0\.1:(\d+)/;

export interface TestPushgateway {
  url: string;
  stop(): Promise<void>;
}

/** Starts a Pushgateway keeping its state in `dir`; resolves once it answers /-/ready. */
export async function startPushgateway(dir: string): Promise<TestPushgateway> {
  const child = spawn(PUSHGATEWAY.command, [
    '--web.listen-address=127.0.0.1:0',
    `--persistence.file=${join(dir, 'pushgateway.data')}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stop = (): Promise<void> => stopChild(child);
  try {
    const port = await listeningPort(child);
    const url = `http://127.0.0.1:${port}`;
    await waitReady(child, url);
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = '';
    let settled = false;
    const onExit = (code: number | null): void => fail(`exited with ${code}`);
    const timer = setTimeout(() => fail(`no "Listening on" line within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    function settle(): boolean {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      return true;
    }
    function fail(why: string): void {
      if (settle()) reject(new Error(`${PUSHGATEWAY.command} did not start: ${why}: ${log.slice(-500)}`));
    }
    child.once('error', (err) => fail(err.message));
    child.once('exit', onExit);
    child.stderr?.setEncoding('utf8');
    // Keeps reading stderr for the child's whole life, so that the pipe never fills.
    child.stderr?.on('data', (chunk: string) => {
      if (log.length < 64 * 1024) log += chunk;
      const m = LISTENING.exec(log);
      if (m && settle()) resolve(Number(m[1]));
    });
  });
}

async function waitReady(child: ChildProcess, url: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${PUSHGATEWAY.command} at ${url} never became ready`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
