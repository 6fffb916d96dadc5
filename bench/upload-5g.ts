// Uploads one large synthetic file to the sandbox lake through the real upload
// scenario (PUT, register, rule, verify, download) and prints the client's peak
// RSS and the throughput. The sandbox runs in its own process so the figure is
// the client's alone.
// Usage: node dist/bench/upload-5g.js [size, default 5GB] [--storage builtin|xrootd] [--sandbox-dir DIR]
//   --storage      who serves the RSEs of the sandbox started here (default builtin)
//   --sandbox-dir  use the sandbox already running there instead of starting one
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJob } from '../src/job.js';
import { builtinScenarios } from '../src/scenarios.js';
import { formatBytes, parseSize } from '../src/engine/sizes.js';
import { readSandboxState, isSandboxAlive, type SandboxState } from '../src/sandbox/state.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const size = parseSize(args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? '5GB');
const storage = flag('storage') ?? 'builtin';
if (storage !== 'builtin' && storage !== 'xrootd') throw new RangeError('--storage must be builtin or xrootd');
const runningDir = flag('sandbox-dir');
const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-bench-'));
const sandboxDir = runningDir ?? join(dir, 'sandbox');
const bin = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
const sandbox = runningDir ? null : spawn(process.execPath, [bin, 'sandbox', 'serve', '--dir', sandboxDir, '--storage', storage], { stdio: 'ignore' });

async function waitForSandbox(): Promise<SandboxState> {
  for (let i = 0; i < 600; i++) {
    const state = await readSandboxState(sandboxDir);
    if (state && (await isSandboxAlive(state))) return state;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('sandbox did not start');
}

async function peakRssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

try {
  const state = await waitForSandbox();
  const planFile = join(dir, 'bench.yaml');
  await writeFile(planFile, `
name: bench-upload
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: BENCH
    tests:
      - name: upload-large
        scenario: upload
        auth: [x509]
        params: { files: 1, size: ${size}, lifetime: 3600 }
`);
  const rssBefore = process.memoryUsage().rss;
  const result = await runJob({
    planFile, env: { ...process.env, ...state.env }, uid: process.getuid?.() ?? 0, registry: builtinScenarios(),
    dbPath: join(dir, 'bench.db'), outDir: join(dir, 'reports'), reporters: [], log: () => {},
  });
  const peakClient = process.resourceUsage().maxRSS * 1024;
  const peakSandbox = await peakRssOf(state.pid);
  const rows = result.reports[0]?.report.rows ?? [];
  console.log(`file size:            ${formatBytes(size)} (${size} bytes), storage ${state.storage}`);
  for (const op of ['upload', 'verify', 'download']) {
    const row = rows.find((r) => r.operation === op);
    if (!row) continue;
    const secs = row.p50Ms / 1000;
    const rate = row.throughputBps > 0 ? `, ${formatBytes(row.throughputBps)}/s (${((row.throughputBps * 8) / 1e9).toFixed(2)} Gbit/s)` : '';
    console.log(`${`${op}:`.padEnd(22)}${row.failures ? 'FAILED' : 'ok'} in ${secs.toFixed(1)} s${rate}`);
  }
  console.log(`client RSS at start:  ${formatBytes(rssBefore)}`);
  console.log(`client peak RSS:      ${formatBytes(peakClient)}`);
  console.log(`sandbox peak RSS:     ${formatBytes(peakSandbox)}`);
  console.log(`operations:           ${result.summary.total}, failed ${result.summary.failed}`);
  process.exitCode = result.summary.failed === 0 ? 0 : 1;
} finally {
  if (sandbox) {
    sandbox.kill('SIGTERM');
    if (sandbox.exitCode === null) await new Promise((r) => sandbox.once('exit', r));
  }
  await rm(dir, { recursive: true, force: true });
}
