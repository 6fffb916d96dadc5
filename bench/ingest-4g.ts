// Zero-copy ingestion of one large file (DAC21 mCBM: a 4 GB file took 30-60 s to checksum,
// register and rule): the ingestion scenario places the file on a non-deterministic RSE
// (not timed), then checksums it where it is (one read, adler32 + md5), registers it,
// attaches it and puts a rule on it. Prints each phase; the goal is ≤ 10 s in total.
// The sandbox runs in its own process.  Usage: node dist/bench/ingest-4g.js [size, default 4GB]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJob } from '../src/job.js';
import { builtinScenarios } from '../src/scenarios.js';
import { formatBytes, parseSize } from '../src/engine/sizes.js';
import { readSandboxState, isSandboxAlive, type SandboxState } from '../src/sandbox/state.js';
import { ResultsStore } from '../src/results/store.js';

const size = parseSize(process.argv[2] ?? '4GB');
const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-bench-'));
const bin = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
const sandbox = spawn(process.execPath, [bin, 'sandbox', 'serve', '--dir', join(dir, 'sandbox')], { stdio: 'ignore' });

async function waitForSandbox(): Promise<SandboxState> {
  for (let i = 0; i < 300; i++) {
    const state = await readSandboxState(join(dir, 'sandbox'));
    if (state && (await isSandboxAlive(state))) return state;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('sandbox did not start');
}

try {
  const state = await waitForSandbox();
  const planFile = join(dir, 'bench.yaml');
  await writeFile(planFile, `
name: bench-ingest
lake: { sandbox: true }
experiments:
  - name: BENCH
    tests:
      - name: ingest-large
        scenario: ingestion
        auth: [x509]
        params: { rse: SANDBOX-NONDET, files: 1, size: ${size}, datasets: 1, download_by_container: false, rule: { expression: SANDBOX-NONDET } }
`);
  const dbPath = join(dir, 'bench.db');
  const result = await runJob({
    planFile, env: { ...process.env, ...state.env }, uid: process.getuid?.() ?? 0, registry: builtinScenarios(),
    dbPath, outDir: join(dir, 'reports'), reporters: [], log: () => {},
  });
  const store = new ResultsStore(dbPath);
  const ops = store.results(result.run.runId);
  store.close();
  const failed = ops.filter((o) => o.outcome === 'failed');
  if (failed.length) throw new Error(`failed: ${failed.map((f) => `${f.operation} ${f.errorClass}: ${f.errorMessage}`).join('; ')}`);
  const place = ops.find((o) => o.operation === 'upload');
  const register = ops.find((o) => o.operation === 'register' && o.rse === 'SANDBOX-NONDET');
  const rules = ops.filter((o) => o.operation === 'rule');
  const rule = rules.at(-1);
  const okAt = ops.find((o) => o.operation === 'replicate' && o.requestId === '');
  const s = (ms = 0): string => `${(ms / 1000).toFixed(2)} s`;
  const total = (register?.durationMs ?? 0) + (rule?.durationMs ?? 0) + (okAt?.durationMs ?? 0);
  console.log(`file size:                         ${formatBytes(size)} (${size} bytes)`);
  console.log(`placed on the RSE (not timed):      ${s(place?.durationMs)}`);
  console.log(`checksum (read over davs) + register + attach: ${s(register?.durationMs)} (${(size / 1e6 / ((register?.durationMs ?? 1) / 1000)).toFixed(0)} MB/s)`);
  console.log(`rule creation:                     ${s(rule?.durationMs)}; rule OK after ${s(okAt?.durationMs)}`);
  console.log(`checksum + register + rule:        ${s(total)} (goal ≤ 10 s: ${total <= 10_000 ? 'met' : 'NOT met'})`);
} finally {
  sandbox.kill('SIGTERM');
  await new Promise((r) => sandbox.once('exit', r));
  await rm(dir, { recursive: true, force: true });
}
