// Many small PUTs to the sandbox's XRootD RSE: lakeprobe's DavsDriver (one keep-alive agent,
// N uploads in flight, checksums by the tap: adler32 + md5, or adler32 only) against
// `xrdcp --parallel 4`, interleaved over rounds (medians, ratios from one run).
// Usage: node dist/bench/put-many.js [--files 200] [--size-kib 1024] [--rounds 3] [--concurrency 4,8] [--sandbox-dir DIR]
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ChecksumTap, syntheticStream } from '../src/lake/data/index.js';
import { DavsDriver } from '../src/lake/storage/index.js';
import { flags, intFlag, median, openBenchTarget, timed, tool } from './bench-target.js';

const f = flags();
const files = intFlag(f, 'files', 200, 10_000);
const size = intFlag(f, 'size-kib', 1024, 1024 * 1024) * 1024;
const rounds = intFlag(f, 'rounds', 3, 20);
const levels = (f.get('concurrency') ?? '4,8').split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 1 && n <= 64);
const target = await openBenchTarget(f);
const work = await mkdtemp(join(tmpdir(), 'lakeprobe-many-'));

/** Runs `task(i)` for i < count with at most `limit` in flight. */
async function inFlight(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) await task(next++);
  }));
}

try {
  const sources: string[] = [];
  await mkdir(join(work, 'src'));
  for (let i = 0; i < files; i++) {
    const path = join(work, 'src', `f${i}`);
    await pipeline(syntheticStream({ seed: `many-${i}`, size }), createWriteStream(path));
    sources.push(path);
  }
  const admin = new DavsDriver({ x509: target.proxy, ca: [target.caPem] });
  const dir = (who: string, r: number): string => `bench/many-${who}-${r}`;
  const contenders: Record<string, (r: number) => Promise<void>> = {};
  // With adler32 + md5 (the upload scenario's default) and with adler32 only (md5: false).
  const kinds = [{ suffix: '', id: 'lp', md5: true }, { suffix: ' adler32', id: 'lpa', md5: false }];
  for (const n of levels) {
    for (const kind of kinds) {
      contenders[`lakeprobe x${n}${kind.suffix}`] = async (r) => {
        const driver = new DavsDriver({ x509: target.proxy, ca: [target.caPem] });
        try {
          await inFlight(files, n, async (i) => {
            const tap = new ChecksumTap({ md5: kind.md5 });
            await driver.put(`${target.davs}/${dir(`${kind.id}${n}`, r)}/f${i}`, syntheticStream({ seed: `many-${i}`, size }).pipe(tap), size);
            tap.checksums();
          });
        } finally {
          driver.close();
        }
      };
    }
  }
  contenders['xrdcp --parallel 4'] = async (r) => {
    await tool('xrdfs', [target.roots.replace(/^roots:/, 'root:'), 'mkdir', '-p', `/${dir('xrdcp', r)}`], target.toolEnv);
    await tool('xrdcp', ['-f', '-s', '--parallel', '4', ...sources, `${target.roots}//${dir('xrdcp', r)}/`], target.toolEnv);
  };
  const names = Object.keys(contenders);
  const seconds = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const name of order) {
      const s = await timed(() => contenders[name]!(r));
      seconds.get(name)!.push(s);
      console.log(`round ${r + 1} ${name.padEnd(26)} ${s.toFixed(2)} s  ${(files / s).toFixed(0)} files/s`);
    }
    // Leftovers of this round, removed before the next one.
    const who = [...levels.flatMap((n) => kinds.map((k) => `${k.id}${n}`)), 'xrdcp'];
    for (const w of who) await inFlight(files, 8, (i) => admin.delete(`${target.davs}/${dir(w, r)}/f${i}`).catch(() => {}));
  }
  admin.close();
  console.log(`\n${files} x ${size / 1024} KiB PUT to ${target.state.storage} (${target.davs}), ${rounds} rounds, medians:`);
  const rate = new Map(names.map((n) => [n, files / median(seconds.get(n)!)]));
  for (const n of names) console.log(`  ${n.padEnd(26)} ${rate.get(n)!.toFixed(0)} files/s`);
  const anchor = rate.get('xrdcp --parallel 4')!;
  for (const n of names.filter((x) => x.startsWith('lakeprobe'))) {
    console.log(`  ratio ${n} / xrdcp --parallel 4: ${(rate.get(n)! / anchor).toFixed(2)} (goal >= 1.0)`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
  await target.close();
}
