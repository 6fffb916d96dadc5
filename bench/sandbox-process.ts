// A sandbox lake in a process of its own for benchmarks (so its CPU is not the client's),
// a plan loaded against it, and the CPU time a process has used, from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadPlanFile, type ResolvedPlan } from '../src/plan/index.js';
import { isSandboxAlive, readSandboxState, type SandboxState } from '../src/sandbox/state.js';
import { builtinScenarios } from '../src/scenarios.js';

/** USER_HZ on Linux: the unit of utime and stime in /proc/<pid>/stat. */
export const TICKS_PER_S = 100;

const bin = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));

/** Starts `lakeprobe sandbox serve` in `dir` and waits (at most a minute) until it answers. */
export async function startSandboxProcess(dir: string, storage: string): Promise<{ state: SandboxState; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [bin, 'sandbox', 'serve', '--sandbox-dir', dir, '--storage', storage], { stdio: 'ignore' });
  for (let i = 0; i < 600; i++) {
    const state = await readSandboxState(dir);
    if (state && (await isSandboxAlive(state))) return { state, proc };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGTERM');
  throw new Error(`sandbox with ${storage} storage did not start`);
}

/** utime + stime of a process, in ticks (0 when it is gone). */
export async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
}

/** Loads a plan file against the sandbox in `state`, with the built-in scenarios; throws its diagnostics. */
export async function loadBenchPlan(planFile: string, state: SandboxState): Promise<{ plan: ResolvedPlan; registry: ReturnType<typeof builtinScenarios> }> {
  const registry = builtinScenarios();
  const loaded = await loadPlanFile(planFile, {
    env: { ...process.env, ...state.env }, uid: process.getuid?.() ?? 0, knownScenarios: registry.names(),
    scenarioParams: (name) => registry.get(name)?.params,
  });
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
  return { plan: loaded.plan, registry };
}
