// CPU time of a process tree and of the whole machine, from /proc: a benchmark on a
// shared machine can then say how much CPU each file cost each process (a figure the
// other users of the machine do not change much) and how busy the machine was.
import { readdir, readFile } from 'node:fs/promises';
import { cpuTicks, TICKS_PER_S } from './sandbox-process.js';

/** Processes a tree may hold below its root; more means something runs away. */
const MAX_DESCENDANTS = 256;

async function parentOf(pid: string): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? -1);
}

/** Live descendants of `root` (e.g. the xrootd servers a sandbox started). */
export async function descendants(root: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  const parents = new Map<number, number>(await Promise.all(pids.map(async (p) => [Number(p), await parentOf(p)] as [number, number])));
  const out: number[] = [];
  const queue = [root];
  while (queue.length && out.length < MAX_DESCENDANTS) {
    const parent = queue.shift() as number;
    for (const [pid, ppid] of parents) {
      if (ppid === parent) {
        out.push(pid);
        queue.push(pid);
      }
    }
  }
  return out;
}

/** CPU seconds (user + system) the given processes have used so far. */
export async function cpuSeconds(pids: readonly number[]): Promise<number> {
  const ticks = await Promise.all(pids.map(cpuTicks));
  return ticks.reduce((a, b) => a + b, 0) / TICKS_PER_S;
}

/** Busy and total jiffies of all cores since boot (/proc/stat's first line). */
export async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}
