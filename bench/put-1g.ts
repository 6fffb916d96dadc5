// One large PUT to the sandbox's XRootD RSE over HTTPS, lakeprobe against the tools a site
// admin would compare it with, interleaved over several rounds (medians, ratios from one run):
//   lakeprobe            synthetic → ChecksumTap (adler32 + md5 of the passing bytes, off-thread) → DavsDriver
//   lakeprobe-seeded     the same, sums computed from the seed in the worker (tap only counts)
//   lakeprobe-adler32    the tap with md5: false (a scenario that registers adler32 only)
//   lakeprobe-no-sums    synthetic → DavsDriver
//   curl -T FILE         https, client proxy
//   xrdcp FILE roots://  gsi over TLS
// Usage: node dist/bench/put-1g.js [--size-mib 1024] [--rounds 3] [--sandbox-dir DIR] [--only lakeprobe]
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ChecksumTap, syntheticStream } from '../src/lake/data/index.js';
import { DavsDriver } from '../src/lake/storage/index.js';
import { flags, intFlag, mb, median, openBenchTarget, timed, tool } from './bench-target.js';

const f = flags();
const size = intFlag(f, 'size-mib', 1024, 8192) * 1024 * 1024;
const rounds = intFlag(f, 'rounds', 3, 20);
const only = f.get('only');
const target = await openBenchTarget(f);
const work = await mkdtemp(join(tmpdir(), 'lakeprobe-put-'));
const driver = new DavsDriver({ x509: target.proxy, ca: [target.caPem] });
const file = join(work, 'payload');

try {
  // The tools read a file; a run of lakeprobe alone (e.g. for a CPU profile) does not write one.
  if (!only || !only.startsWith('lakeprobe')) await pipeline(syntheticStream({ seed: 'bench-file', size }), createWriteStream(file));
  await driver.mkdir(`${target.davs}/bench`).catch(() => {});
  const url = (who: string, round: number): string => `${target.davs}/bench/put-${who}-${round}`;
  const contenders: Record<string, (round: number) => Promise<void>> = {
    lakeprobe: async (r) => {
      const tap = new ChecksumTap();
      await driver.put(url('lakeprobe', r), syntheticStream({ seed: `bench-${r}`, size }).pipe(tap), size);
      tap.digest();
    },
    'lakeprobe-seeded': async (r) => {
      const tap = new ChecksumTap({ fromSeed: { seed: `bench-${r}`, size } });
      await driver.put(url('seeded', r), syntheticStream({ seed: `bench-${r}`, size }).pipe(tap), size);
      tap.digest();
    },
    'lakeprobe-adler32': async (r) => {
      const tap = new ChecksumTap({ md5: false });
      await driver.put(url('adler', r), syntheticStream({ seed: `bench-${r}`, size }).pipe(tap), size);
      tap.checksums();
    },
    'lakeprobe-no-sums': (r) => driver.put(url('nosums', r), syntheticStream({ seed: `bench-${r}`, size }), size),
    'curl -T': async (r) => {
      await tool('curl', ['-sS', '--fail', '-o', '/dev/null', '-T', file, '--cert', target.proxyPath, '--key', target.proxyPath,
        '--cacert', target.state.caCertPath, url('curl', r)]);
    },
    'xrdcp roots://': async (r) => {
      await tool('xrdcp', ['-f', '-s', file, `${target.roots}//bench/put-xrdcp-${r}`], target.toolEnv);
    },
  };
  const names = Object.keys(contenders).filter((n) => !only || n === only);
  const seconds = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    // Rotate the order so no contender always runs first (or last) on a shared machine.
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const name of order) {
      const s = await timed(() => contenders[name]!(r));
      seconds.get(name)!.push(s);
      console.log(`round ${r + 1} ${name.padEnd(18)} ${s.toFixed(2)} s  ${mb(size, s).toFixed(0)} MB/s`);
      const short: Record<string, string> = { lakeprobe: 'lakeprobe', 'lakeprobe-seeded': 'seeded', 'lakeprobe-adler32': 'adler', 'lakeprobe-no-sums': 'nosums', 'curl -T': 'curl' };
      const leftover = name.startsWith('xrdcp') ? `${target.davs}/bench/put-xrdcp-${r}` : url(short[name]!, r);
      await driver.delete(leftover).catch(() => {});
    }
  }
  console.log(`\nPUT ${size / 2 ** 20} MiB to ${target.state.storage} (${target.davs}), ${rounds} rounds, medians:`);
  const rate = new Map(names.map((n) => [n, mb(size, median(seconds.get(n)!))]));
  for (const n of names) console.log(`  ${n.padEnd(18)} ${rate.get(n)!.toFixed(0)} MB/s`);
  const best = Math.max(rate.get('curl -T') ?? 0, rate.get('xrdcp roots://') ?? 0);
  if (best > 0) {
    for (const n of names.filter((x) => x.startsWith('lakeprobe'))) {
      console.log(`  ratio ${n} / best tool: ${(rate.get(n)! / best).toFixed(2)} (goal >= 1.0)`);
    }
  }
} finally {
  driver.close();
  await rm(work, { recursive: true, force: true });
  await target.close();
}
