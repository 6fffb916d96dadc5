// `lakeprobe run` under SIGTERM/SIGINT, as a user (or a CI job's timeout) stops it: the run
// stops, cleans up what it made, ends interrupted with its report, and the sandbox it started
// (real XRootD servers) is gone; a second signal quits at once and still leaves no server.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultsStore } from '../../src/results/store.js';
import { BIN } from '../helpers/cli-process.js';

const RSE = 'SIGRUN-XRD';

/** The XRootD servers of this test's RSE still running (their command line names it). */
const servers = (): string[] => {
  const r = spawnSync('pgrep', ['-f', `xrootd -n ${RSE} `], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
};

describe('lakeprobe run under signals', () => {
  let dir: string;
  let child: ChildProcessWithoutNullStreams | undefined;
  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-run-signals-'));
    await writeFile(join(dir, 'lake.yaml'), `storage: xrootd\nrses:\n  - { name: ${RSE} }\n`);
    // Enough files that the run is still uploading when the signal comes.
    await writeFile(join(dir, 'plan.yaml'), `name: signals
lake: { sandbox: true, sandbox_config: lake.yaml }
rses: { names: [${RSE}] }
experiments:
  - name: SIG
    tests:
      - { name: up, scenario: upload, auth: [token], params: { files: 400, size: 65536, download: false } }
`);
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts the run, waits for its first recorded upload, sends `signals` 50 ms apart; resolves at its exit. */
  async function interrupt(name: string, signals: NodeJS.Signals[]): Promise<{ code: number | null; stdout: string; db: string }> {
    const db = join(dir, `${name}.db`);
    const running = spawn(process.execPath, [BIN, 'run', join(dir, 'plan.yaml'), '--db', db, '--out', join(dir, name), '--sandbox-dir', join(dir, `${name}-sandbox`)], {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env },
    }) as ChildProcessWithoutNullStreams;
    child = running;
    let stdout = '';
    running.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    running.stderr.on('data', (d: Buffer) => { stdout += d.toString(); });
    const exited = new Promise<number | null>((done) => running.on('close', (code) => done(code)));
    const deadline = Date.now() + 90_000;
    while (!/^ok .* upload /m.test(stdout)) {
      if (running.exitCode !== null || Date.now() > deadline) throw new Error(`no upload recorded before the signal:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(servers().length).toBeGreaterThan(0);
    for (const [i, s] of signals.entries()) {
      if (i) await new Promise((r) => setTimeout(r, 50));
      running.kill(s);
    }
    const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 60_000))]);
    if (code === 'late') throw new Error(`still running 60 s after ${signals.join(', ')}:\n${stdout}`);
    return { code, stdout, db };
  }

  it('stops on SIGTERM: interrupted, cleaned up, reported, and its sandbox gone', async () => {
    const { code, stdout, db } = await interrupt('term', ['SIGTERM']);
    expect(stdout).toContain('SIGTERM: stopping the run and cleaning up');
    expect(stdout).toMatch(/^run \S+: \d+ operations, \d+ failed — Interrupted$/m);
    expect(stdout).toMatch(/^report SIG \(Interrupted\): /m);
    expect(code).toBe(1);
    expect(servers()).toEqual([]);
    expect(existsSync(join(dir, 'term-sandbox', 'state.json'))).toBe(false);
    const store = new ResultsStore(db);
    try {
      const [run] = store.runs();
      expect(run?.state).toBe('interrupted');
      // Every upload it recorded as done was also removed again: nothing it made is left pending.
      expect(store.pending(), stdout).toEqual([]);
      expect(store.results(run!.runId).filter((r) => r.operation === 'upload' && r.outcome === 'ok').length).toBeGreaterThan(0);
    } finally {
      store.close();
    }
  }, 180_000);

  it('quits at once on a second SIGINT and still leaves no XRootD server running', async () => {
    const { code, stdout } = await interrupt('twice', ['SIGINT', 'SIGINT']);
    expect(stdout, stdout).toContain('SIGINT again: quitting now');
    expect(code).toBe(130);
    expect(servers()).toEqual([]);
  }, 180_000);
});
