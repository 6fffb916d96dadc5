// Checksum speed on one file, lakeprobe against the tools: adler32 vs `xrdadler32` and
// adler32+md5 vs `md5sum`, both tools fed on stdin (given a path, xrdadler32 caches the sum
// in an extended attribute). Interleaved rounds, medians, ratios from one run; the single-
// threaded in-line accumulator (the former hot path) is shown for comparison.
// Usage: node dist/bench/checksums.js [--size-mib 1024] [--rounds 5]
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ChecksumAccumulator, ParallelChecksums, syntheticStream } from '../src/lake/data/index.js';
import { flags, intFlag, mb, median, timed, tool } from './bench-target.js';

const f = flags();
const size = intFlag(f, 'size-mib', 1024, 8192) * 1024 * 1024;
const rounds = intFlag(f, 'rounds', 5, 50);
const work = await mkdtemp(join(tmpdir(), 'lakeprobe-sums-'));
const file = join(work, 'data');
const read = (): AsyncIterable<Buffer> => createReadStream(file, { highWaterMark: 1024 * 1024 });

async function parallel(md5: boolean): Promise<string> {
  const sums = new ParallelChecksums({ md5 });
  for await (const chunk of read()) {
    const wait = sums.update(chunk);
    if (wait) await wait;
  }
  const r = await sums.finish();
  return `${r.adler32} ${r.md5 ?? ''}`.trim();
}

try {
  await pipeline(syntheticStream({ seed: 'bench-sums', size }), createWriteStream(file));
  const values = new Map<string, string>();
  const contenders: Record<string, () => Promise<string>> = {
    'lakeprobe adler32': () => parallel(false),
    xrdadler32: async () => (await tool('sh', ['-c', 'xrdadler32 < "$0"', file])).split(/\s/)[0]!,
    'lakeprobe adler32+md5': () => parallel(true),
    md5sum: async () => (await tool('sh', ['-c', 'md5sum < "$0"', file])).split(/\s/)[0]!,
    'in-line adler32+md5 (before)': async () => {
      const acc = new ChecksumAccumulator();
      for await (const chunk of read()) acc.update(chunk);
      const d = acc.digest();
      return `${d.adler32} ${d.md5}`;
    },
  };
  const names = Object.keys(contenders);
  const seconds = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names.map((_, i) => names[(i + r) % names.length]!)) {
      const s = await timed(async () => values.set(name, await contenders[name]!()));
      seconds.get(name)!.push(s);
    }
  }
  const [adler, md5] = values.get('lakeprobe adler32+md5')!.split(' ');
  if (values.get('xrdadler32') !== adler || values.get('md5sum') !== md5 || values.get('lakeprobe adler32') !== adler) {
    throw new Error(`checksums differ: ${JSON.stringify(Object.fromEntries(values))}`);
  }
  console.log(`checksums of ${size / 2 ** 20} MiB (page cache), ${rounds} rounds, medians (all values equal: adler32 ${adler}, md5 ${md5}):`);
  const med = new Map(names.map((n) => [n, median(seconds.get(n)!)]));
  for (const n of names) console.log(`  ${n.padEnd(30)} ${med.get(n)!.toFixed(3)} s  ${mb(size, med.get(n)!).toFixed(0)} MB/s`);
  console.log(`  ratio adler32 (xrdadler32 time / lakeprobe time): ${(med.get('xrdadler32')! / med.get('lakeprobe adler32')!).toFixed(2)} (goal >= 0.9)`);
  console.log(`  ratio adler32+md5 (md5sum time / lakeprobe time): ${(med.get('md5sum')! / med.get('lakeprobe adler32+md5')!).toFixed(2)} (goal >= 1.0)`);
} finally {
  await rm(work, { recursive: true, force: true });
}
