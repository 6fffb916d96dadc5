import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { adler32Hex, checksumStream } from '../../../src/lake/data/checksum.js';
import { ParallelChecksums } from '../../../src/lake/data/parallel-checksums.js';
import { ChecksumTap, syntheticStream } from '../../../src/lake/data/synthetic.js';

const reference = (data: Buffer): { adler32: string; md5: string; bytes: number } =>
  ({ adler32: adler32Hex(data), md5: createHash('md5').update(data).digest('hex'), bytes: data.length });

function pieces(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

describe('ParallelChecksums (adler32 in-line, md5 in a worker)', () => {
  it('equals the single-threaded adler32 and md5 for any split of the data, the empty input included', async () => {
    const data = Buffer.concat([Buffer.alloc(70_000, 0xff), Buffer.from('lakeprobe'), Buffer.alloc(3 * 1024 * 1024 + 5, 7)]);
    for (const [input, size] of [[Buffer.alloc(0), 1], [data.subarray(0, 1), 1], [data, 1 << 20], [data, 65_536], [data.subarray(0, 200_000), 3]] as const) {
      const sums = new ParallelChecksums();
      for (const piece of pieces(input, size)) await sums.update(piece);
      expect(await sums.finish()).toEqual(reference(input));
    }
  });

  it('skips md5 when asked', async () => {
    const sums = new ParallelChecksums({ md5: false });
    await sums.update(Buffer.from('abc'));
    expect(await sums.finish()).toEqual({ adler32: adler32Hex(Buffer.from('abc')), bytes: 3 });
  });

  it('runs many jobs on the one worker at once without mixing them', async () => {
    const inputs = Array.from({ length: 8 }, (_, i) => Buffer.alloc(300_000 + i, i + 1));
    const results = await Promise.all(inputs.map(async (input) => {
      const sums = new ParallelChecksums();
      for (const piece of pieces(input, 50_000)) await sums.update(piece);
      return sums.finish();
    }));
    expect(results).toEqual(inputs.map(reference));
  });

  it('checksums a readable stream', async () => {
    const data = Buffer.alloc(1_000_003, 42);
    expect(await checksumStream(Readable.from(pieces(data, 4096)))).toEqual(reference(data));
  });
});

describe('ChecksumTap', () => {
  it('has its digest ready by the time the last byte reaches the consumer', async () => {
    const size = 5 * 1024 * 1024 + 11;
    const tap = new ChecksumTap();
    let seen = 0;
    let digestAtLastByte: unknown = null;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        seen += chunk.length;
        if (seen === size) digestAtLastByte = tap.digest();
        cb();
      },
    });
    await pipeline(syntheticStream({ seed: 'tap', size }), tap, sink);
    const again = await checksumStream(syntheticStream({ seed: 'tap', size }));
    expect(digestAtLastByte).toEqual(again);
  });

  it('omits md5 with md5: false and says so when digest() is asked for one', async () => {
    const tap = new ChecksumTap({ md5: false });
    await pipeline(Readable.from([Buffer.from('abc')]), tap, new Writable({ write: (_c, _e, cb) => cb() }));
    expect(tap.checksums()).toEqual({ adler32: adler32Hex(Buffer.from('abc')), bytes: 3 });
    expect(() => tap.digest()).toThrow(/md5 was not computed/);
  });

  it('refuses digest() before its input ended', () => {
    expect(() => new ChecksumTap().digest()).toThrow(/before its input ended/);
  });
});

describe('ChecksumTap fromSeed (sums computed from the seed in a worker)', () => {
  it('gives the same sums as hashing the stream, for odd sizes and the empty stream', async () => {
    for (const size of [0, 1, 1_048_577, 3 * 1024 * 1024 + 7]) {
      const tap = new ChecksumTap({ fromSeed: { seed: `seeded-${size}`, size } });
      await pipeline(syntheticStream({ seed: `seeded-${size}`, size }), tap, new Writable({ write: (_c, _e, cb) => cb() }));
      expect(tap.digest()).toEqual(await checksumStream(syntheticStream({ seed: `seeded-${size}`, size })));
    }
  });

  it('fails when the stream that passed is not as long as the seeded one', async () => {
    const tap = new ChecksumTap({ fromSeed: { seed: 's', size: 10 } });
    await expect(pipeline(Readable.from([Buffer.alloc(9)]), tap, new Writable({ write: (_c, _e, cb) => cb() })))
      .rejects.toThrow(/9 bytes passed, the seeded stream has 10/);
  });

  it('skips md5 when asked', async () => {
    const tap = new ChecksumTap({ md5: false, fromSeed: { seed: 'm', size: 1000 } });
    await pipeline(syntheticStream({ seed: 'm', size: 1000 }), tap, new Writable({ write: (_c, _e, cb) => cb() }));
    const { adler32 } = await checksumStream(syntheticStream({ seed: 'm', size: 1000 }));
    expect(tap.checksums()).toEqual({ adler32, bytes: 1000 });
  });
});
