// Burst load against one RSE of a sandbox lake in its own process (builtin storage and
// XRootD storage): 8, 32 and 125 writers at once (DAC21 PANDA ran 125 batch jobs),
// each writing a few files (upload + register). Prints write operations per second,
// p50/p95 latency of uploads and registrations, failures by class, and the CPU used by
// the client and by the sandbox: what limits the figure.
// Usage: node dist/bench/burst.js [ops per writer, default 2] [file size in bytes, default 1048576]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpResult } from '../src/engine/op-result.js';
import { runPlan } from '../src/engine/runner.js';
import { percentile } from '../src/report/model.js';
import { ResultsStore } from '../src/results/store.js';
import { readSandboxState, type SandboxState } from '../src/sandbox/state.js';
import { cpuTicks, loadBenchPlan, startSandboxProcess, TICKS_PER_S } from './sandbox-process.js';

const OPS_PER_WRITER = Math.min(20, Math.max(1, Number(process.argv[2] ?? 2)));
const SIZE = Math.min(64 * 1024 ** 2, Math.max(1024, Number(process.argv[3] ?? 1024 ** 2)));
const WRITERS = [8, 32, 125] as const;
const STORAGES = ['builtin', 'xrootd'] as const;



async function burst(dir: string, state: SandboxState, writers: number): Promise<string> {
  const planFile = join(dir, `burst-${writers}.yaml`);
  await writeFile(planFile, `
name: bench-burst
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
limits: { concurrency: ${writers + 4} }
experiments:
  - name: BENCH
    tests:
      - name: burst-${writers}
        scenario: burst
        auth: [token]
        concurrency: ${writers + 4}
        params: { writers: ${writers}, readers: 0, catalogue_clients: 0, ops_per_worker: ${OPS_PER_WRITER}, size: ${SIZE}, duration_seconds: 300 }
`);
  const { plan, registry } = await loadBenchPlan(planFile, state);
  const store = new ResultsStore(':memory:');
  const cpu = process.cpuUsage();
  const sandboxCpu = await cpuTicks(state.pid);
  const { run } = await runPlan({ plan, registry, sinks: [store], ledger: store });
  const results = store.results(run.runId);
  store.close();
  const clientCpu = process.cpuUsage(cpu);
  const sandboxSeconds = ((await cpuTicks(state.pid)) - sandboxCpu) / TICKS_PER_S;
  // The burst proper: the writers' uploads and registrations (and the one seed file), not the rule and cleanup.
  const writes = results.filter((r) => r.operation === 'upload' || r.operation === 'register');
  return line(writers, writes, (clientCpu.user + clientCpu.system) / 1e6, sandboxSeconds);
}

function line(writers: number, writes: OpResult[], clientCpuS: number, sandboxCpuS: number): string {
  const start = Math.min(...writes.map((r) => Date.parse(r.start)));
  const end = Math.max(...writes.map((r) => Date.parse(r.start) + r.durationMs));
  const wall = (end - start) / 1000;
  const ups = writes.filter((r) => r.operation === 'upload');
  const regs = writes.filter((r) => r.operation === 'register');
  const failed = writes.filter((r) => r.outcome === 'failed');
  const byClass = new Map<string, number>();
  for (const r of failed) byClass.set(String(r.errorClass), (byClass.get(String(r.errorClass)) ?? 0) + 1);
  const p = (rs: OpResult[], q: number): string => percentile(rs.filter((r) => r.outcome === 'ok').map((r) => r.durationMs), q).toFixed(0);
  return `${String(writers).padStart(4)} writers: ${ups.length} uploads + ${regs.length} registrations in ${wall.toFixed(1)} s = `
    + `${(writes.length / wall).toFixed(1)} ops/s (${(ups.filter((r) => r.outcome === 'ok').length / wall).toFixed(1)} files/s); `
    + `upload p50 ${p(ups, 50)} ms p95 ${p(ups, 95)} ms; register p50 ${p(regs, 50)} ms p95 ${p(regs, 95)} ms; `
    + `failed ${failed.length}${byClass.size ? ` (${[...byClass].map(([c, n]) => `${c}×${n}`).join(', ')})` : ''}; `
    + `CPU client ${(clientCpuS / wall).toFixed(2)} cores, sandbox ${(sandboxCpuS / wall).toFixed(2)} cores`;
}

for (const storage of STORAGES) {
  const dir = await mkdtemp(join(tmpdir(), `lakeprobe-bench-burst-${storage}-`));
  const { proc } = await startSandboxProcess(dir, storage);
  try {
    const state = await readSandboxState(dir);
    if (!state) throw new Error('sandbox state vanished');
    console.log(`== ${storage} storage, ${OPS_PER_WRITER} files of ${SIZE} bytes per writer, load average ${loadavg()[0]?.toFixed(1)}`);
    for (const writers of WRITERS) console.log(await burst(dir, state, writers));
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}
