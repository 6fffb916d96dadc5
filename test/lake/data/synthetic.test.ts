import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { adler32Hex, checksumStream } from '../../../src/lake/data/checksum.js';
import {
  ChecksumTap, DEFAULT_SYNTHETIC_CHUNK, syntheticChecksums, syntheticStream,
} from '../../../src/lake/data/synthetic.js';

async function collect(stream: Readable): Promise<{ data: Buffer; chunks: number[] }> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return { data: Buffer.concat(parts), chunks: parts.map((p) => p.length) };
}

describe('syntheticStream', () => {
  const chunk = DEFAULT_SYNTHETIC_CHUNK;

  it.each([0, 1, chunk - 1, chunk, chunk + 1, 10 * 1024 * 1024])('yields exactly %i bytes', async (size) => {
    const { data, chunks } = await collect(syntheticStream({ seed: 's', size }));
    expect(data.length).toBe(size);
    expect(Math.max(0, ...chunks)).toBeLessThanOrEqual(chunk);
  });

  it('gives the same bytes for the same seed and size', async () => {
    const a = await collect(syntheticStream({ seed: 'run-1/file-0', size: 300_000 }));
    const b = await collect(syntheticStream({ seed: 'run-1/file-0', size: 300_000 }));
    expect(a.data.equals(b.data)).toBe(true);
  });

  it('gives different bytes for different seeds', async () => {
    const a = await collect(syntheticStream({ seed: 'run-1/file-0', size: 4096 }));
    const b = await collect(syntheticStream({ seed: 'run-1/file-1', size: 4096 }));
    expect(a.data.equals(b.data)).toBe(false);
  });

  it('does not depend on the chunk size', async () => {
    const a = await collect(syntheticStream({ seed: 'x', size: 100_000, chunkSize: 7 * 1024 }));
    const b = await collect(syntheticStream({ seed: 'x', size: 100_000, chunkSize: 33_333 }));
    expect(a.chunks[0]).toBe(7 * 1024);
    expect(b.chunks).toEqual([33_333, 33_333, 33_333, 1]);
    expect(a.data.equals(b.data)).toBe(true);
  });

  it('looks random rather than constant', async () => {
    const { data } = await collect(syntheticStream({ seed: 'entropy', size: 65_536 }));
    const counts = new Array<number>(256).fill(0);
    for (const byte of data) counts[byte]!++;
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(Math.max(...counts)).toBeLessThan(380);
  });

  it('produces only as fast as the consumer reads (backpressure)', async () => {
    const stream = syntheticStream({ seed: 'slow', size: 100 * chunk, chunkSize: chunk });
    let generated = 0;
    stream.on('data', (c: Buffer) => {
      generated += c.length;
      stream.pause();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // One chunk delivered, at most one more buffered.
    expect(generated).toBe(chunk);
    expect(stream.readableLength).toBeLessThanOrEqual(chunk);
    stream.destroy();
  });

  it('refuses negative or fractional sizes', () => {
    expect(() => syntheticStream({ seed: 's', size: -1 })).toThrow(RangeError);
    expect(() => syntheticStream({ seed: 's', size: 1.5 })).toThrow(RangeError);
    expect(() => syntheticStream({ seed: 's', size: 10, chunkSize: 0 })).toThrow(RangeError);
  });

  it('measures throughput', async () => {
    const size = 512 * 1024 * 1024;
    const start = performance.now();
    let bytes = 0;
    for await (const c of syntheticStream({ seed: 'speed', size })) bytes += (c as Buffer).length;
    const seconds = (performance.now() - start) / 1000;
    console.log(`syntheticStream: ${(size / 1e6 / seconds).toFixed(0)} MB/s`);
    expect(bytes).toBe(size);
  });
});

describe('syntheticChecksums', () => {
  it('equals the checksums of the stream with the same seed and size', async () => {
    const size = 3 * 1024 * 1024 + 5;
    const expected = await checksumStream(syntheticStream({ seed: 'sums', size, chunkSize: 12_345 }));
    expect(await syntheticChecksums('sums', size)).toEqual(expected);
    expect(expected.bytes).toBe(size);
  });

  it('gives the empty-file values for size 0', async () => {
    expect(await syntheticChecksums('empty', 0)).toEqual({
      adler32: '00000001', md5: 'd41d8cd98f00b204e9800998ecf8427e', bytes: 0,
    });
  });
});

describe('ChecksumTap', () => {
  it('passes the data through unchanged and checksums it on the way', async () => {
    const size = 1_000_000;
    const tap = new ChecksumTap();
    const seen: Buffer[] = [];
    await pipeline(
      syntheticStream({ seed: 'tap', size }),
      tap,
      new Writable({ write(c: Buffer, _e, cb) { seen.push(c); cb(); } }),
    );
    const data = Buffer.concat(seen);
    expect(data.length).toBe(size);
    expect(tap.digest()).toEqual(await syntheticChecksums('tap', size));
    expect(tap.digest().adler32).toBe(adler32Hex(data));
  });

  it('refuses to digest before its input ended', () => {
    const tap = new ChecksumTap();
    tap.write(Buffer.from('abc'));
    expect(() => tap.digest()).toThrow(/before its input ended/);
    tap.destroy();
  });
});
