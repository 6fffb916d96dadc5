// Catalogue throughput: the upload scenario's upload + register + rule + verify of
// many 1 MiB and 10 MiB files at concurrency 1, 8 and 32, against a sandbox lake in
// its own process (builtin storage and XRootD storage). Runs are interleaved over
// several rounds; medians are printed in files/s and MB/s, the 10 MiB figure against
// LSST's DAC21 rate (18.5 files/s; goal ≥ 2×), and what limits it: each phase's share
// of the operation time, and the CPU each file cost the client, the sandbox and the
// storage servers (xrootd) — with the machine's cores, the rate that CPU allows at most.
// 10 MiB files are also run with `md5: false` (adler32 only), md5 being the client's
// largest cost per byte. Results go to a results store on disk, as in a real run.
// Usage: node dist/bench/catalogue-throughput.js [rounds, default 3] [files of 1 MiB, default 96]
//   [files of 10 MiB, default 48] [storage kinds, default builtin,xrootd]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpResult } from '../src/engine/op-result.js';
import { runPlan } from '../src/engine/runner.js';
import { ResultsStore } from '../src/results/store.js';
import type { SandboxState } from '../src/sandbox/state.js';
import { cpuSeconds, descendants, machineTicks } from './process-cpu.js';
import { loadBenchPlan, startSandboxProcess } from './sandbox-process.js';

const ROUNDS = Math.min(10, Math.max(1, Number(process.argv[2] ?? 3)));
const FILES_1M = Math.min(1000, Math.max(1, Number(process.argv[3] ?? 96)));
const FILES_10M = Math.min(1000, Math.max(1, Number(process.argv[4] ?? 48)));
const STORAGE_KINDS = ['builtin', 'xrootd'] as const;
const STORAGES = (process.argv[5] ?? STORAGE_KINDS.join(',')).split(',').map((k) => {
  if (!(STORAGE_KINDS as readonly string[]).includes(k)) throw new Error(`storage kind '${k}': expected one of ${STORAGE_KINDS.join(', ')}`);
  return k;
});
const CONCURRENCIES = [1, 8, 32] as const;
const MiB = 1024 ** 2;
const SIZES = [
  { label: '1 MiB', bytes: MiB, files: FILES_1M, md5: true },
  { label: '10 MiB', bytes: 10 * MiB, files: FILES_10M, md5: true },
  { label: '10 MiB a', bytes: 10 * MiB, files: FILES_10M, md5: false },
];
const CORES = availableParallelism();
const LSST_FILES_PER_S = 18.5;
/** An operation longer than this is reported as a stall (a 10 MiB upload takes well under a second alone). */
const STALL_MS = 5000;
const PHASES = ['upload', 'register', 'rule', 'verify', 'delete', 'list'] as const;

interface Sample {
  filesPerS: number; mbPerS: number; shares: Record<string, number>; failed: number;
  /** CPU milliseconds per file of the client, the sandbox (catalogue) and the storage servers. */
  msPerFile: { client: number; sandbox: number; storage: number };
  /** Share of all the machine's cores busy during the run, whoever used them. */
  machineBusy: number;
  /** Failures by operation and class, with one message each, so a slow or short figure explains itself. */
  failures: Map<string, { n: number; message: string }>;
  /** The longest operation of the run, so a stall (one request waiting for long) shows. */
  slowest: { operation: string; ms: number };
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
        params: { files: ${size.files}, size: ${size.bytes}, lifetime: 3600, download: false, batch: 100, md5: ${size.md5} }
`);
  const { plan, registry } = await loadBenchPlan(planFile, state);
  const store = new ResultsStore(join(dir, `results-${n}.db`));
  const storagePids = await descendants(state.pid);
  const cpuBefore = process.cpuUsage();
  const [sandboxBefore, storageBefore, machineBefore] = [await cpuSeconds([state.pid]), await cpuSeconds(storagePids), await machineTicks()];
  const { run } = await runPlan({ plan, registry, sinks: [store], ledger: store });
  const cpu = process.cpuUsage(cpuBefore);
  const [sandboxAfter, storageAfter, machineAfter] = [await cpuSeconds([state.pid]), await cpuSeconds(storagePids), await machineTicks()];
  const results = store.results(run.runId);
  store.close();
  const ms = (seconds: number): number => (seconds * 1000) / size.files;
  return {
    ...rates(results, size.files, size.bytes),
    shares: shares(results),
    msPerFile: { client: ms((cpu.user + cpu.system) / 1e6), sandbox: ms(sandboxAfter - sandboxBefore), storage: ms(storageAfter - storageBefore) },
    machineBusy: (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total),
    failed: results.filter((r) => r.outcome === 'failed').length,
    failures: failuresOf(results),
    slowest: results.reduce((m, r) => (r.durationMs > m.ms ? { operation: r.operation, ms: r.durationMs } : m), { operation: '', ms: 0 }),
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
  console.log(`machine load average at start: ${load()} (${CORES} cores: a load above that means every figure below is shared)`);
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
      console.log(`\n${storage} storage ("10 MiB a": adler32 only, md5: false)`);
      console.log('size      conc  files/s    MB/s  CPU ms/file: client sandbox storage  allows files/s  machine busy'
        + '  time shares (upload register rule verify delete)  failed');
      const ceiling = (list: Sample[]): number => {
        const ms = median(list.map((s) => s.msPerFile.client + s.msPerFile.sandbox + s.msPerFile.storage));
        return (CORES * 1000) / Math.max(1e-3, ms);
      };
      for (const { size, c } of configs) {
        const list = samples.get(`${size.label}@${c}`) as Sample[];
        const share = (p: string) => pct(median(list.map((s) => s.shares[p] ?? 0)));
        const cpu = (k: keyof Sample['msPerFile']) => median(list.map((s) => s.msPerFile[k])).toFixed(1).padStart(7);
        console.log(`${size.label.padEnd(9)} ${String(c).padStart(4)} ${median(list.map((s) => s.filesPerS)).toFixed(1).padStart(8)} `
          + `${median(list.map((s) => s.mbPerS)).toFixed(1).padStart(7)}  ${' '.repeat(12)}${cpu('client')} ${cpu('sandbox')} ${cpu('storage')} `
          + `${ceiling(list).toFixed(1).padStart(15)} ${pct(median(list.map((s) => s.machineBusy))).padStart(13)}  `
          + `${['upload', 'register', 'rule', 'verify', 'delete'].map(share).join(' ').padEnd(48)} ${list.reduce((a, s) => a + s.failed, 0)}`);
      }
      for (const { size, c } of configs) {
        const merged = new Map<string, { n: number; message: string }>();
        for (const sample of samples.get(`${size.label}@${c}`) as Sample[]) {
          for (const [key, f] of sample.failures) merged.set(key, { n: (merged.get(key)?.n ?? 0) + f.n, message: f.message });
        }
        for (const [key, f] of merged) console.log(`  failed at ${size.label} × ${c}: ${f.n}× ${key}: ${f.message}`);
        const slowest = (samples.get(`${size.label}@${c}`) as Sample[]).reduce((m, x) => (x.slowest.ms > m.ms ? x.slowest : m), { operation: '', ms: 0 });
        if (slowest.ms > STALL_MS) console.log(`  stall at ${size.label} × ${c}: one ${slowest.operation} took ${(slowest.ms / 1000).toFixed(1)} s`);
      }
      for (const label of ['10 MiB', '10 MiB a']) {
        const rate = (c: number): number => median((samples.get(`${label}@${c}`) as Sample[]).map((s) => s.filesPerS));
        const bestC = CONCURRENCIES.reduce((x, c) => (rate(c) > rate(x) ? c : x), CONCURRENCIES[0] as number);
        const best = rate(bestC);
        const list = samples.get(`${label}@${bestC}`) as Sample[];
        const part = (k: keyof Sample['msPerFile']) => median(list.map((s) => s.msPerFile[k])).toFixed(0);
        console.log(`${label} best: ${best.toFixed(1)} files/s (concurrency ${bestC}) = ${(best / LSST_FILES_PER_S).toFixed(2)}× LSST's `
          + `${LSST_FILES_PER_S} files/s (goal ≥ 2×); CPU per file client ${part('client')} + sandbox ${part('sandbox')} + storage `
          + `${part('storage')} ms: ${CORES} cores allow at most ${ceiling(list).toFixed(1)} files/s `
          + `(${(ceiling(list) / LSST_FILES_PER_S).toFixed(2)}× LSST); the machine was ${pct(median(list.map((s) => s.machineBusy)))} busy`);
      }
      console.log(`load average now ${load()}`);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      await top(dir);
    }
  }
} finally {
  await top(root);
}
