// Catalogue throughput: the upload scenario's upload + register + rule + verify of
// many 1 MiB and 10 MiB files at concurrency 1, 8 and 32, against a sandbox lake in
// its own process (builtin storage and XRootD storage). Runs are interleaved over
// several rounds; medians are printed in files/s and MB/s, the 10 MiB figure against
// LSST's DAC21 rate (18.5 files/s; goal ≥ 2×), and what limits it: each phase's share
// of the operation time, and the CPU used by the client and by the sandbox.
// Usage: node dist/bench/catalogue-throughput.js [rounds, default 3] [files of 1 MiB, default 96] [files of 10 MiB, default 48]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpResult } from '../src/engine/op-result.js';
import { runPlan } from '../src/engine/runner.js';
import { loadPlanFile } from '../src/plan/index.js';
import { ResultsStore } from '../src/results/store.js';
import { builtinScenarios } from '../src/scenarios.js';
import type { SandboxState } from '../src/sandbox/state.js';
import { cpuTicks, startSandboxProcess, TICKS_PER_S } from './sandbox-process.js';

const ROUNDS = Math.min(10, Math.max(1, Number(process.argv[2] ?? 3)));
const FILES_1M = Math.min(1000, Math.max(1, Number(process.argv[3] ?? 96)));
const FILES_10M = Math.min(1000, Math.max(1, Number(process.argv[4] ?? 48)));
const CONCURRENCIES = [1, 8, 32] as const;
const SIZES = [{ label: '1 MiB', bytes: 1024 ** 2, files: FILES_1M }, { label: '10 MiB', bytes: 10 * 1024 ** 2, files: FILES_10M }];
const STORAGES = ['builtin', 'xrootd'] as const;
const LSST_FILES_PER_S = 18.5;
const PHASES = ['upload', 'register', 'rule', 'verify', 'delete', 'list'] as const;

interface Sample {
  filesPerS: number; mbPerS: number; shares: Record<string, number>; clientCpu: number; sandboxCpu: number; failed: number;
  /** Failures by operation and class, with one message each, so a slow or short figure explains itself. */
  failures: Map<string, { n: number; message: string }>;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};



/** Files/s over the window from the first upload's start to the last verification's end. */
function rates(results: OpResult[], files: number, bytes: number): { filesPerS: number; mbPerS: number } {
  const uploads = results.filter((r) => r.operation === 'upload');
  const verifies = results.filter((r) => r.operation === 'verify' && r.outcome === 'ok');
  const start = Math.min(...uploads.map((r) => Date.parse(r.start)));
  const end = Math.max(...verifies.map((r) => Date.parse(r.start) + r.durationMs));
  const seconds = Math.max(1e-3, (end - start) / 1000);
  const ok = Math.min(files, verifies.length);
  return { filesPerS: ok / seconds, mbPerS: (ok * bytes) / 1e6 / seconds };
}

function shares(results: OpResult[]): Record<string, number> {
  const time: Record<string, number> = {};
  for (const r of results) time[r.operation] = (time[r.operation] ?? 0) + r.durationMs;
  const total = Object.values(time).reduce((a, b) => a + b, 0) || 1;
  return Object.fromEntries(PHASES.map((p) => [p, (time[p] ?? 0) / total]));
}

async function once(dir: string, state: SandboxState, size: (typeof SIZES)[number], concurrency: number, n: number): Promise<Sample> {
  const planFile = join(dir, `bench-${n}.yaml`);
  await writeFile(planFile, `
name: bench-catalogue
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
limits: { concurrency: ${concurrency} }
experiments:
  - name: BENCH
    tests:
      - name: catalogue-${n}
        scenario: upload
        auth: [token]
        concurrency: ${concurrency}
        params: { files: ${size.files}, size: ${size.bytes}, lifetime: 3600, download: false, batch: 100 }
`);
  const registry = builtinScenarios();
  const loaded = await loadPlanFile(planFile, {
    env: { ...process.env, ...state.env }, uid: process.getuid?.() ?? 0, knownScenarios: registry.names(),
    scenarioParams: (name) => registry.get(name)?.params,
  });
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
  const store = new ResultsStore(':memory:');
  const cpuBefore = process.cpuUsage();
  const sandboxBefore = await cpuTicks(state.pid);
  const wallBefore = performance.now();
  const { run } = await runPlan({ plan: loaded.plan, registry, sinks: [store], ledger: store });
  const wall = (performance.now() - wallBefore) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const sandboxCpu = (await cpuTicks(state.pid)) - sandboxBefore;
  const results = store.results(run.runId);
  store.close();
  return {
    ...rates(results, size.files, size.bytes),
    shares: shares(results),
    clientCpu: (cpu.user + cpu.system) / 1e6 / wall,
    sandboxCpu: sandboxCpu / TICKS_PER_S / wall,
    failed: results.filter((r) => r.outcome === 'failed').length,
    failures: failuresOf(results),
  };
}

function failuresOf(results: OpResult[]): Map<string, { n: number; message: string }> {
  const out = new Map<string, { n: number; message: string }>();
  for (const r of results.filter((x) => x.outcome === 'failed')) {
    const key = `${r.operation} ${r.errorClass ?? 'unknown'}`;
    const seen = out.get(key);
    if (seen) seen.n++;
    else out.set(key, { n: 1, message: r.errorMessage.slice(0, 160) });
  }
  return out;
}

const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
const top = (dir: string): Promise<void> => rm(dir, { recursive: true, force: true });
const root = await mkdtemp(join(tmpdir(), 'lakeprobe-bench-catalogue-'));
try {
  console.log(`catalogue throughput: upload + register + rule + verify, ${ROUNDS} rounds, medians; `
    + `${FILES_1M} × 1 MiB and ${FILES_10M} × 10 MiB files per run, one RSE, token auth`);
  const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`machine load average at start: ${load()} (${availableParallelism()} cores: a load above that means every figure below is shared)`);
  for (const storage of STORAGES) {
    const dir = join(root, storage);
    const { state, proc } = await startSandboxProcess(dir, storage);
    try {
      const samples = new Map<string, Sample[]>();
      const configs = SIZES.flatMap((size) => CONCURRENCIES.map((c) => ({ size, c })));
      let n = 0;
      for (let round = 0; round < ROUNDS; round++) {
        // Interleaved: each round runs every configuration, starting one later than the last round.
        for (let k = 0; k < configs.length; k++) {
          const { size, c } = configs[(k + round) % configs.length] as (typeof configs)[number];
          const key = `${size.label}@${c}`;
          const list = samples.get(key) ?? [];
          list.push(await once(dir, state, size, c, n++));
          samples.set(key, list);
        }
      }
      console.log(`\n${storage} storage`);
      console.log('size    conc  files/s    MB/s   client CPU  sandbox CPU  time shares (upload register rule verify delete)  failed');
      for (const { size, c } of configs) {
        const list = samples.get(`${size.label}@${c}`) as Sample[];
        const share = (p: string) => pct(median(list.map((s) => s.shares[p] ?? 0)));
        console.log(`${size.label.padEnd(7)} ${String(c).padStart(4)} ${median(list.map((s) => s.filesPerS)).toFixed(1).padStart(8)} `
          + `${median(list.map((s) => s.mbPerS)).toFixed(1).padStart(7)} ${pct(median(list.map((s) => s.clientCpu))).padStart(12)} `
          + `${pct(median(list.map((s) => s.sandboxCpu))).padStart(12)}  `
          + `${['upload', 'register', 'rule', 'verify', 'delete'].map(share).join(' ').padEnd(48)} ${list.reduce((a, s) => a + s.failed, 0)}`);
      }
      for (const { size, c } of configs) {
        const merged = new Map<string, { n: number; message: string }>();
        for (const sample of samples.get(`${size.label}@${c}`) as Sample[]) {
          for (const [key, f] of sample.failures) merged.set(key, { n: (merged.get(key)?.n ?? 0) + f.n, message: f.message });
        }
        for (const [key, f] of merged) console.log(`  failed at ${size.label} × ${c}: ${f.n}× ${key}: ${f.message}`);
      }
      const best = Math.max(...CONCURRENCIES.map((c) => median((samples.get(`10 MiB@${c}`) as Sample[]).map((s) => s.filesPerS))));
      console.log(`10 MiB best: ${best.toFixed(1)} files/s = ${(best / LSST_FILES_PER_S).toFixed(2)}× LSST's ${LSST_FILES_PER_S} files/s (goal ≥ 2×)`);
      const at32 = samples.get('10 MiB@32') as Sample[];
      const bound = median(at32.map((s) => s.clientCpu)) > 0.85 ? 'the client process (one core busy)'
        : median(at32.map((s) => s.sandboxCpu)) > 0.85 ? 'the sandbox process (one core busy)'
          : 'neither process alone (the machine\'s cores are shared by client, sandbox and storage)';
      console.log(`at concurrency 32 the limit is ${bound}; load average now ${load()}`);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      await top(dir);
    }
  }
} finally {
  await top(root);
}
