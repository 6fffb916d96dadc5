import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultsStore } from '../../src/results/store.js';

// The built CLI, as a user (or systemd) runs it.
const BIN = resolve('dist/src/cli/bin.js');

const PLAN = (cron: string): string => `name: signals
lake: { sandbox: true }
experiments:
  - name: SIG
    tests:
      - name: up
        scenario: upload
        auth: [token]
        rses: { names: [SANDBOX-FAST] }
        params: { size: 1024, download: false }
        schedule: { cron: "${cron}" }
`;

describe('lakeprobe daemon under signals', () => {
  let dir: string;
  let child: ChildProcessWithoutNullStreams;
  let stdout = '';
  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-daemon-cli-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  async function waitOutput(pattern: RegExp, ms = 45_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = stdout.match(pattern);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`daemon exited (${child.exitCode}) before ${pattern}:\n${stdout}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('reloads on SIGHUP and stops on SIGTERM with every run recorded and exit 0', async () => {
    const planFile = join(dir, 'plan.yaml');
    await writeFile(planFile, PLAN('*/2 * * * * *'));
    child = spawn(process.execPath, [BIN, 'daemon', planFile, '--port', '0', '--db', join(dir, 'r.db'), '--out', join(dir, 'reports'), '--sandbox-dir', join(dir, 'sandbox'), '--stop-grace-seconds', '20'], {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env },
    }) as ChildProcessWithoutNullStreams;
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stdout += d.toString(); });
    const [, url] = await waitOutput(/listening: (http:\/\/127\.0\.0\.1:\d+)/);
    await waitOutput(/SIG\/up: run \S+ finished: \d+ operations, 0 failed/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    await writeFile(planFile, PLAN('*/3 * * * * *').replace('name: up', 'name: up2'));
    child.kill('SIGHUP');
    await waitOutput(/plan reloaded: 1 scheduled tests/);
    await waitOutput(/SIG\/up2: run \S+ finished/);

    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/SIGTERM: stopping/);
    expect(stdout).toMatch(/finished \d+ runs in flight, abandoned 0/);
    const store = new ResultsStore(join(dir, 'r.db'));
    try {
      const runs = store.runs();
      expect(runs.length).toBeGreaterThanOrEqual(2);
      for (const r of runs) expect(r.finishedAt).not.toBeNull();
      expect(store.pending()).toEqual([]);
    } finally {
      store.close();
    }
  }, 90_000);
});
