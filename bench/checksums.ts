// Checksum speed on one file, lakeprobe against the tools: adler32 vs `xrdadler32` and
// adler32+md5 vs `md5sum`, both tools fed on stdin (given a path, xrdadler32 caches the sum
// in an extended attribute). Interleaved rounds, medians, ratios from one run.
// The contenders: ParallelChecksums over a read stream (the upload path); the WebAssembly
// adler32 in-line on the main thread over two alternating read buffers (the next read runs in
// libuv's pool while the current piece is summed), copying into linear memory or reading into
// it (zero-copy), alone and with OpenSSL's md5; and ChecksumAccumulator over a read stream.
// Then adler32 alone in memory (CPU time): the WebAssembly module copying in or in place,
// hash-wasm's, and the JavaScript fallback.
// Usage: node dist/bench/checksums.js [--size-mib 1024] [--rounds 5] [--chunk-kib 1024]
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createAdler32 } from 'hash-wasm';
import { createAdler32ReadBuffer } from '../src/lake/data/adler32.js';
import { adler32UpdateJs } from '../src/lake/data/checksum.js';
import { adler32ToHex, adler32Update, ChecksumAccumulator, ParallelChecksums, syntheticStream } from '../src/lake/data/index.js';
import { flags, intFlag, mb, median, timed, tool } from './bench-target.js';

const f = flags();
const size = intFlag(f, 'size-mib', 1024, 8192) * 1024 * 1024;
const rounds = intFlag(f, 'rounds', 5, 50);
const chunk = intFlag(f, 'chunk-kib', 1024, 65536) * 1024;
const work = await mkdtemp(join(tmpdir(), 'lakeprobe-sums-'));
const file = join(work, 'data');
const read = (): AsyncIterable<Buffer> => createReadStream(file, { highWaterMark: chunk });

async function parallel(md5: boolean): Promise<string> {
  const sums = new ParallelChecksums({ md5 });
  for await (const chunk of read()) {
    const wait = sums.update(chunk);
    if (wait) await wait;
  }
  const r = await sums.finish();
  return `${r.adler32} ${r.md5 ?? ''}`.trim();
}

/** Reads the file into `buffers` in turn, the next read under way while `use` has the current one. */
async function readAlternating(buffers: Uint8Array[], use: (index: number, length: number) => void): Promise<void> {
  const handle = await open(file, 'r');
  try {
    let index = 0;
    let pending = handle.read(buffers[0]!, 0, buffers[0]!.length, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const next = (index + 1) % buffers.length;
      pending = handle.read(buffers[next]!, 0, buffers[next]!.length, null);
      use(index, bytesRead);
      index = next;
    }
  } finally {
    await handle.close();
  }
}

const plain = [Buffer.allocUnsafeSlow(chunk), Buffer.allocUnsafeSlow(chunk)];
const readBuffers = [createAdler32ReadBuffer(chunk), createAdler32ReadBuffer(chunk)];
if (readBuffers.some((b) => b.kind !== 'wasm-simd')) throw new Error('WebAssembly SIMD is not available: the zero-copy contenders would measure JavaScript');

async function inLine(md5: boolean): Promise<string> {
  let adler = 1;
  const hash = md5 ? createHash('md5') : null;
  await readAlternating(plain, (i, n) => {
    const piece = plain[i]!.subarray(0, n);
    adler = adler32Update(adler, piece);
    hash?.update(piece);
  });
  return `${adler32ToHex(adler)} ${hash?.digest('hex') ?? ''}`.trim();
}

async function zeroCopy(md5: boolean): Promise<string> {
  let adler = 1;
  const hash = md5 ? createHash('md5') : null;
  await readAlternating(readBuffers.map((b) => b.bytes), (i, n) => {
    adler = readBuffers[i]!.update(adler, n);
    hash?.update(readBuffers[i]!.bytes.subarray(0, n));
  });
  return `${adler32ToHex(adler)} ${hash?.digest('hex') ?? ''}`.trim();
}

/** adler32 of 1 GiB in memory (one 1 MiB buffer summed 1024 times): CPU seconds, the fastest of `rounds`. */
async function inMemory(): Promise<void> {
  const piece = readBuffers[0]!.bytes.subarray(0, Math.min(chunk, 1024 * 1024));
  for (let i = 0; i < piece.length; i++) piece[i] = (i * 2654435761) >>> 24;
  const copy = Buffer.from(piece);
  const hashWasm = await createAdler32();
  const repeat = (update: (adler: number) => number): string => {
    let adler = 1;
    for (let i = 0; i < 1024; i++) adler = update(adler);
    return adler32ToHex(adler);
  };
  const ways: Record<string, () => string> = {
    'adler32Update (copies in)': () => repeat((a) => adler32Update(a, copy)),
    'read buffer (in place)': () => repeat((a) => readBuffers[0]!.update(a, piece.length)),
    'hash-wasm adler32': () => {
      hashWasm.init();
      for (let i = 0; i < 1024; i++) hashWasm.update(copy);
      return hashWasm.digest('hex');
    },
    'JavaScript loop (fallback)': () => repeat((a) => adler32UpdateJs(a, copy)),
  };
  const results = new Set<string>();
  console.log(`adler32 of ${piece.length / 1024} KiB x 1024 in memory, CPU seconds, fastest of ${rounds}:`);
  for (const [name, run] of Object.entries(ways)) {
    const cpu: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const start = process.cpuUsage();
      results.add(run());
      const used = process.cpuUsage(start);
      cpu.push((used.user + used.system) / 1e6);
    }
    const s = Math.min(...cpu);
    console.log(`  ${name.padEnd(36)} ${s.toFixed(3)} s  ${mb(piece.length * 1024, s).toFixed(0)} MB/s`);
  }
  if (results.size !== 1) throw new Error(`in-memory adler32 values differ: ${[...results].join(', ')}`);
}

try {
  await pipeline(syntheticStream({ seed: 'bench-sums', size }), createWriteStream(file));
  const values = new Map<string, string>();
  const adlerOnly: Record<string, () => Promise<string>> = {
    'lakeprobe adler32': () => parallel(false),
    'lakeprobe adler32 (wasm)': () => inLine(false),
    'lakeprobe adler32 (wasm, zero-copy)': () => zeroCopy(false),
    xrdadler32: async () => (await tool('sh', ['-c', 'xrdadler32 < "$0"', file])).split(/\s/)[0]!,
  };
  const withMd5: Record<string, () => Promise<string>> = {
    'lakeprobe adler32+md5': () => parallel(true),
    'in-line adler32+md5 (wasm)': () => inLine(true),
    'in-line adler32+md5 (zero-copy)': () => zeroCopy(true),
    'ChecksumAccumulator adler32+md5': async () => {
      const acc = new ChecksumAccumulator();
      for await (const piece of read()) acc.update(piece);
      const d = acc.digest();
      return `${d.adler32} ${d.md5}`;
    },
    md5sum: async () => (await tool('sh', ['-c', 'md5sum < "$0"', file])).split(/\s/)[0]!,
  };
  const contenders = { ...adlerOnly, ...withMd5 };
  const names = Object.keys(contenders);
  const seconds = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names.map((_, i) => names[(i + r) % names.length]!)) {
      const s = await timed(async () => values.set(name, await contenders[name]!()));
      seconds.get(name)!.push(s);
    }
  }
  const [adler, md5] = values.get('lakeprobe adler32+md5')!.split(' ');
  const wrong = names.filter((n) => values.get(n) !== (n === 'md5sum' ? md5 : n === 'xrdadler32' || n in adlerOnly ? adler : `${adler} ${md5}`));
  if (wrong.length) throw new Error(`checksums differ (${wrong.join(', ')}): ${JSON.stringify(Object.fromEntries(values))}`);
  console.log(`checksums of ${size / 2 ** 20} MiB (page cache), ${chunk / 1024} KiB reads, ${rounds} rounds, medians (fastest round in brackets; all values equal: adler32 ${adler}, md5 ${md5}):`);
  const med = new Map(names.map((n) => [n, median(seconds.get(n)!)]));
  for (const n of names) {
    const fastest = Math.min(...seconds.get(n)!);
    console.log(`  ${n.padEnd(36)} ${med.get(n)!.toFixed(3)} s  ${mb(size, med.get(n)!).toFixed(0)} MB/s  (fastest ${fastest.toFixed(3)} s)`);
  }
  for (const n of Object.keys(adlerOnly).filter((n) => n !== 'xrdadler32')) {
    console.log(`  ratio adler32, xrdadler32 time / ${n} time: ${(med.get('xrdadler32')! / med.get(n)!).toFixed(2)} (goal >= 0.9)`);
  }
  for (const n of Object.keys(withMd5).filter((n) => n !== 'md5sum')) {
    console.log(`  ratio adler32+md5, md5sum time / ${n} time: ${(med.get('md5sum')! / med.get(n)!).toFixed(2)} (goal >= 1.0)`);
  }
  await inMemory();
} finally {
  await rm(work, { recursive: true, force: true });
}
