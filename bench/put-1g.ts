// One large PUT to the sandbox's XRootD RSE, lakeprobe against the tools a site admin would
// compare it with, interleaved over several rounds (medians, ratios from one run):
//   davs-md5      synthetic → ChecksumTap (adler32 in-line + md5 in the worker) → DavsDriver
//   davs-seeded   the same, adler32 + md5 computed from the seed in a worker (the tap only counts)
//   davs-adler32  the same with md5: false (a scenario that registers adler32 only)
//   davs-no-sums  synthetic → DavsDriver
//   curl          curl -T FILE https://…       (same protocol as davs; x509 proxy)
//   root-md5      synthetic → ChecksumTap → RootDriver (piped into `xrdcp - roots://…`)
//   xrdcp         xrdcp FILE roots://…         (gsi over TLS)
// Usage: node dist/bench/put-1g.js [--size-mib 1024] [--rounds 3] [--sandbox-dir DIR] [--only davs-md5,curl]
//        [--chunk-kib 64]  (synthetic chunk size)
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ChecksumTap, syntheticStream } from '../src/lake/data/index.js';
import { DavsDriver, RootDriver } from '../src/lake/storage/index.js';
import { flags, intFlag, mb, median, openBenchTarget, timed, tool } from './bench-target.js';

const f = flags();
const size = intFlag(f, 'size-mib', 1024, 8192) * 1024 * 1024;
const rounds = intFlag(f, 'rounds', 3, 20);
const chunkSize = intFlag(f, 'chunk-kib', 64, 16384) * 1024;
const only = f.get('only')?.split(',');
const target = await openBenchTarget(f);
const work = await mkdtemp(join(tmpdir(), 'lakeprobe-put-'));
const auth = { x509: target.proxy, ca: [target.caPem] };
const davs = new DavsDriver(auth);
const root = new RootDriver(auth, { timeoutMs: 600_000 });
const file = join(work, 'payload');

/** The process serving the RSE's https port (XRootD), found with `ss`; null where ss cannot tell. */
async function serverPid(url: string): Promise<number | null> {
  const out = await tool('ss', ['-Hltnp', `sport = :${new URL(url).port}`]).catch(() => '');
  const pid = /pid=(\d+)/.exec(out)?.[1];
  return pid ? Number(pid) : null;
}

/** CPU seconds the process used so far (all its threads), from /proc. */
async function cpuSecondsOf(pid: number | null): Promise<number> {
  if (pid === null) return NaN;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Contender { label: string; protocol: 'davs' | 'root'; tool: boolean; run(url: string, round: number): Promise<void> }

// Both protocols reach the same namespace: /bench/put-<contender>-<round>.
const urlOf = (c: Contender, name: string, round: number): string =>
  c.protocol === 'davs' ? `${target.davs}/bench/put-${name}-${round}` : `${target.roots}//bench/put-${name}-${round}`;
const source = (round: number): ReturnType<typeof syntheticStream> => syntheticStream({ seed: `bench-${round}`, size, chunkSize });

async function tapped(put: (body: ChecksumTap) => Promise<void>, md5: boolean, round: number, seeded = false): Promise<void> {
  const tap = new ChecksumTap({ md5, ...(seeded ? { fromSeed: { seed: `bench-${round}`, size } } : {}) });
  await put(source(round).pipe(tap));
  const sums = tap.checksums();
  if (sums.bytes !== size || (md5 && !sums.md5)) throw new Error(`checksums of ${sums.bytes} bytes, expected ${size}`);
}

const contenders: Record<string, Contender> = {
  'davs-md5': { label: 'lakeprobe davs adler32+md5', protocol: 'davs', tool: false,
    run: (u, r) => tapped((body) => davs.put(u, body, size), true, r) },
  'davs-seeded': { label: 'lakeprobe davs seeded sums', protocol: 'davs', tool: false,
    run: (u, r) => tapped((body) => davs.put(u, body, size), true, r, true) },
  'davs-adler32': { label: 'lakeprobe davs adler32', protocol: 'davs', tool: false,
    run: (u, r) => tapped((body) => davs.put(u, body, size), false, r) },
  'davs-no-sums': { label: 'lakeprobe davs no sums', protocol: 'davs', tool: false,
    run: (u, r) => davs.put(u, source(r), size) },
  curl: { label: 'curl -T https', protocol: 'davs', tool: true,
    run: async (u) => {
      await tool('curl', ['-sS', '--fail', '-o', '/dev/null', '-T', file, '--cert', target.proxyPath, '--key', target.proxyPath,
        '--cacert', target.state.caCertPath, u]);
    } },
  'root-md5': { label: 'lakeprobe root adler32+md5', protocol: 'root', tool: false,
    run: (u, r) => tapped((body) => root.put(u, body, size), true, r) },
  xrdcp: { label: 'xrdcp FILE roots://', protocol: 'root', tool: true,
    run: async (u) => {
      await tool('xrdcp', ['-f', '-s', file, u], target.toolEnv);
    } },
};

try {
  const names = Object.keys(contenders).filter((n) => !only || only.includes(n));
  if (names.length === 0) throw new RangeError(`--only names none of ${Object.keys(contenders).join(', ')}`);
  // The tools read a file; a run of lakeprobe alone (e.g. for a CPU profile) does not write one.
  if (names.some((n) => contenders[n]!.tool)) await pipeline(syntheticStream({ seed: 'bench-file', size }), createWriteStream(file));
  await davs.mkdir(`${target.davs}/bench`).catch(() => {});
  const seconds = new Map<string, number[]>(names.map((n) => [n, []]));
  const cpu = new Map<string, number[]>(names.map((n) => [n, []]));
  const server = await serverPid(target.davs);
  for (let r = 0; r < rounds; r++) {
    // Rotate the order so no contender always runs first (or last) on a shared machine.
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const name of order) {
      const c = contenders[name]!;
      const cpuBefore = process.cpuUsage();
      const serverBefore = await cpuSecondsOf(server);
      const s = await timed(() => c.run(urlOf(c, name, r), r));
      const { user, system } = process.cpuUsage(cpuBefore);
      const serverCpu = (await cpuSecondsOf(server)) - serverBefore;
      seconds.get(name)!.push(s);
      cpu.get(name)!.push((user + system) / 1e6);
      // This process's CPU (all its threads): what a lakeprobe contender costs the machine.
      const own = c.tool ? '' : `  lakeprobe CPU ${((user + system) / 1e6).toFixed(2)} s`;
      console.log(`round ${r + 1} ${c.label.padEnd(28)} ${s.toFixed(2)} s  ${mb(size, s).toFixed(0).padStart(4)} MB/s  server CPU ${serverCpu.toFixed(2)} s${own}`);
      await davs.delete(`${target.davs}/bench/put-${name}-${r}`).catch(() => {});
    }
  }
  console.log(`\nPUT ${size / 2 ** 20} MiB to ${target.state.storage} (${target.davs}), synthetic chunks of ${chunkSize / 1024} KiB, ${rounds} rounds, medians:`);
  const rate = new Map(names.map((n) => [n, mb(size, median(seconds.get(n)!))]));
  for (const n of names) {
    const own = contenders[n]!.tool ? '' : `  (lakeprobe CPU ${median(cpu.get(n)!).toFixed(2)} s)`;
    console.log(`  ${contenders[n]!.label.padEnd(28)} ${rate.get(n)!.toFixed(0).padStart(4)} MB/s${own}`);
  }
  const tools = names.filter((n) => contenders[n]!.tool);
  const best = tools.reduce<string | null>((b, n) => (b === null || rate.get(n)! > rate.get(b)! ? n : b), null);
  for (const n of names.filter((x) => !contenders[x]!.tool)) {
    const c = contenders[n]!;
    const peer = tools.find((t) => contenders[t]!.protocol === c.protocol);
    const parts = [];
    if (peer) parts.push(`vs ${contenders[peer]!.label}: ${(rate.get(n)! / rate.get(peer)!).toFixed(2)}`);
    if (best) parts.push(`vs best tool (${contenders[best]!.label}): ${(rate.get(n)! / rate.get(best)!).toFixed(2)}`);
    if (parts.length) console.log(`  ratio ${c.label.padEnd(28)} ${parts.join(', ')} (goal >= 1.0)`);
  }
} finally {
  davs.close();
  await rm(work, { recursive: true, force: true });
  await target.close();
}
