import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADLER32_MAX_READ_BUFFER, adler32ModuleBytes, createAdler32ReadBuffer } from '../../../src/lake/data/adler32.js';
import { adler32Update, adler32UpdateJs } from '../../../src/lake/data/checksum.js';

const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-adler32-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('adler32 read buffer (data read straight into linear memory)', () => {
  it('sums a file read into it piece by piece to the value of the whole file', () => {
    const data = randomBytes(3 * 1024 * 1024 + 4093);
    const path = join(dir, 'data');
    writeFileSync(path, data);
    const buffer = createAdler32ReadBuffer(256 * 1024 + 3);
    expect(buffer.kind).toBe('wasm-simd');
    const fd = openSync(path, 'r');
    let adler = 1;
    try {
      for (let n; (n = readSync(fd, buffer.bytes, 0, buffer.bytes.length, null)) > 0; ) adler = buffer.update(adler, n);
    } finally {
      closeSync(fd);
    }
    expect(adler).toBe(adler32Update(1, data));
  });

  it('sums any range of its bytes, and its view stays usable while other buffers are made', () => {
    const buffer = createAdler32ReadBuffer(70_000);
    buffer.bytes.set(randomBytes(70_000));
    for (let i = 0; i < 3; i++) createAdler32ReadBuffer(8 * 1024 * 1024);
    expect(buffer.bytes.length).toBe(70_000);
    for (const [offset, length] of [[0, 0], [0, 70_000], [1, 69_999], [13, 33], [69_999, 1], [4097, 40_000]] as const) {
      const view = buffer.bytes.subarray(offset, offset + length);
      expect(buffer.update(1, length, offset), `${length} bytes at ${offset}`).toBe(adler32UpdateJs(1, view));
    }
    expect(buffer.update(0x1234abcd, 0)).toBe(0x1234abcd);
  });

  it('refuses ranges outside its bytes and capacities out of bounds, naming the numbers', () => {
    const buffer = createAdler32ReadBuffer(100);
    expect(() => buffer.update(1, 101)).toThrow(/101 bytes at offset 0 exceed its 100 bytes/);
    expect(() => buffer.update(1, 10, 95)).toThrow(/10 bytes at offset 95/);
    expect(() => buffer.update(1, -1)).toThrow(RangeError);
    expect(() => buffer.update(1, 1.5)).toThrow(RangeError);
    expect(() => createAdler32ReadBuffer(0)).toThrow(/capacity must be an integer from 1 to/);
    expect(() => createAdler32ReadBuffer(ADLER32_MAX_READ_BUFFER + 1)).toThrow(RangeError);
  });

  it('is a plain array summed in JavaScript when the module fails validation', () => {
    const valid = adler32ModuleBytes();
    const buffer = createAdler32ReadBuffer(5000, valid.slice(0, valid.length - 7));
    expect(buffer.kind).toBe('js');
    const data = randomBytes(5000);
    buffer.bytes.set(data);
    expect(buffer.update(1, 4999, 1)).toBe(adler32Update(1, data.subarray(1)));
    expect(() => buffer.update(1, 5001)).toThrow(RangeError);
  });
});
