import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { adler32Hex, adler32Update, ChecksumAccumulator, checksumStream } from '../../../src/lake/data/checksum.js';

/** The textbook definition, one byte at a time, as an independent reference. */
function referenceAdler32(buf: Uint8Array): string {
  let a = 1;
  let b = 0;
  for (const byte of buf) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b * 65536 + a) >>> 0).toString(16).padStart(8, '0');
}

describe('adler32', () => {
  it.each([
    ['', '00000001'],
    ['a', '00620062'],
    ['abc', '024d0127'],
    ['hello world', '1a0b045d'],
    ['Wikipedia', '11e60398'],
  ])('gives the known value for %j', (text, expected) => {
    expect(adler32Hex(Buffer.from(text))).toBe(expected);
  });

  it('stays correct when the sums overflow many times (all 0xff bytes)', () => {
    const ones = Buffer.alloc(1_000_003, 0xff);
    expect(adler32Hex(ones)).toBe(referenceAdler32(ones));
  });

  it('gives the same value over a large buffer whole, chunked at odd sizes, and byte by byte', () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const whole = adler32Hex(data);
    let running = 1;
    for (let i = 0, step = 1; i < data.length; i += step, step = (step * 7 + 3) % 70001) {
      running = adler32Update(running, data.subarray(i, i + step));
    }
    expect(running.toString(16).padStart(8, '0')).toBe(whole);
    expect(referenceAdler32(data)).toBe(whole);
  });

  it('handles buffers that start at unaligned offsets of a shared ArrayBuffer', () => {
    const data = randomBytes(10_000);
    for (const offset of [1, 2, 3, 5]) {
      const view = data.subarray(offset, data.length - offset);
      expect(adler32Hex(view)).toBe(referenceAdler32(view));
    }
  });

  it('measures throughput', () => {
    const data = randomBytes(64 * 1024 * 1024);
    const start = performance.now();
    const value = adler32Hex(data);
    const seconds = (performance.now() - start) / 1000;
    console.log(`adler32: ${(data.length / 1e6 / seconds).toFixed(0)} MB/s`);
    expect(value).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('ChecksumAccumulator', () => {
  it('reports adler32, md5 and byte count of everything given', () => {
    const acc = new ChecksumAccumulator();
    acc.update(Buffer.from('hello '));
    acc.update(Buffer.from('world'));
    expect(acc.digest()).toEqual({
      adler32: '1a0b045d',
      md5: '5eb63bbbe01eeed093cb22bb8f5acdc3',
      bytes: 11,
    });
  });

  it('gives the empty-input values with no update', () => {
    expect(new ChecksumAccumulator().digest()).toEqual({
      adler32: '00000001',
      md5: 'd41d8cd98f00b204e9800998ecf8427e',
      bytes: 0,
    });
  });

  it('returns the same digest twice and refuses updates after it', () => {
    const acc = new ChecksumAccumulator();
    acc.update(Buffer.from('a'));
    expect(acc.digest()).toEqual(acc.digest());
    expect(() => acc.update(Buffer.from('b'))).toThrow(/after digest/);
  });
});

describe('checksumStream', () => {
  it('checksums a stream of Buffers and strings like the whole data', async () => {
    const data = randomBytes(200_000);
    const stream = Readable.from([data.subarray(0, 12_345), data.subarray(12_345)]);
    expect(await checksumStream(stream)).toEqual({
      adler32: referenceAdler32(data),
      md5: createHash('md5').update(data).digest('hex'),
      bytes: data.length,
    });
    expect((await checksumStream(Readable.from(['hello ', 'world']))).adler32).toBe('1a0b045d');
  });

  it('rejects when the stream fails', async () => {
    const failing = new Readable({ read() { this.destroy(new Error('disk gone')); } });
    await expect(checksumStream(failing)).rejects.toThrow('disk gone');
  });
});
