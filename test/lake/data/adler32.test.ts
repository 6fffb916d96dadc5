import { randomBytes } from 'node:crypto';
import { adler32 as hashWasmAdler32 } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import { ADLER32_SLICE, adler32Engine, adler32ModuleBytes, createAdler32Engine } from '../../../src/lake/data/adler32.js';
import { adler32Hex, adler32Update, adler32UpdateJs } from '../../../src/lake/data/checksum.js';

/** The textbook definition, one byte at a time, as an independent reference. */
function referenceAdler32(buf: Uint8Array, start = 1): number {
  let a = start & 0xffff;
  let b = start >>> 16;
  for (const byte of buf) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b * 65536 + a) >>> 0;
}

const hex = (value: number): string => value.toString(16).padStart(8, '0');
const wasm = createAdler32Engine();

describe('adler32 in WebAssembly SIMD', () => {
  it('is the engine Node uses (the committed module validates)', () => {
    expect(wasm.kind).toBe('wasm-simd');
    expect(adler32Engine().kind).toBe('wasm-simd');
  });

  it.each([
    ['', '00000001'],
    ['a', '00620062'],
    ['abc', '024d0127'],
    ['Wikipedia', '11e60398'],
  ])('gives the known value for %j', (text, expected) => {
    expect(hex(wasm.update(1, Buffer.from(text)))).toBe(expected);
    expect(adler32Hex(Buffer.from(text))).toBe(expected);
  });

  it('stays exact on 1 MiB of 0xff bytes, where the lanes come closest to overflowing', () => {
    const ones = Buffer.alloc(1024 * 1024, 0xff);
    expect(hex(wasm.update(1, ones))).toBe(hex(referenceAdler32(ones)));
    // Around the module's 8 KiB blocks: a partial one, a whole one, one byte past, many and a tail.
    for (const n of [8191, 8192, 8193, 8192 * 37 + 31]) {
      expect(hex(wasm.update(1, ones.subarray(0, n))), `${n} bytes`).toBe(hex(referenceAdler32(ones.subarray(0, n))));
    }
  });

  it('agrees with the byte-at-a-time definition at every size around step, block and slice boundaries', () => {
    const sizes = [...Array.from({ length: 101 }, (_, i) => i), 5551, 5552, 5553, 8191, 8192, 8193, 16383, 16384, 16385, 32767, 32768, 32769];
    sizes.push(ADLER32_SLICE - 1, ADLER32_SLICE, ADLER32_SLICE + 1, ADLER32_SLICE + 7, 2 * ADLER32_SLICE + 33);
    const random = randomBytes(2 * ADLER32_SLICE + 33);
    const ones = Buffer.alloc(random.length, 0xff);
    for (const data of [random, ones]) {
      for (const n of sizes) {
        const view = data.subarray(0, n);
        const expected = hex(referenceAdler32(view));
        expect(hex(wasm.update(1, view)), `${n} bytes`).toBe(expected);
        expect(hex(adler32UpdateJs(1, view)), `${n} bytes (JS)`).toBe(expected);
      }
    }
  });

  it('continues across arbitrary splits to the one-shot value', () => {
    const data = randomBytes(3 * ADLER32_SLICE + 101);
    const whole = wasm.update(1, data);
    for (const seed of [1, 31, 32, 33, 4095, 70001]) {
      let running = 1;
      for (let i = 0, step = seed; i < data.length; i += step, step = (step * 7 + 3) % 1_500_007 || 1) {
        running = wasm.update(running, data.subarray(i, i + step));
      }
      expect(hex(running), `splits from ${seed}`).toBe(hex(whole));
    }
    // And from any starting value, not just 1.
    expect(wasm.update(0x12345678 % (65521 * 65536), data.subarray(0, 1000))).toBe(referenceAdler32(data.subarray(0, 1000), 0x12345678 % (65521 * 65536)));
  });

  it('reads only the view at any byte offset of a larger buffer', () => {
    const backing = randomBytes(200_000);
    for (let offset = 0; offset < 40; offset++) {
      for (const length of [0, 1, 2, 3, 31, 33, 65_537]) {
        const view = new Uint8Array(backing.buffer, backing.byteOffset + offset, length);
        expect(hex(wasm.update(1, view)), `offset ${offset}, ${length} bytes`).toBe(hex(referenceAdler32(view)));
        expect(hex(adler32UpdateJs(1, view)), `JavaScript loop, offset ${offset}, ${length} bytes`).toBe(hex(referenceAdler32(view)));
      }
    }
  });

  it('sums a small Buffer carved from the shared pool slab by its own bytes only', () => {
    const small = Buffer.from('Wikipedia');
    expect(small.buffer.byteLength).toBeGreaterThan(small.length);
    expect(adler32Hex(small)).toBe('11e60398');
    const pooled = Buffer.from(randomBytes(3000).toString('hex').slice(0, 3001), 'latin1');
    expect(hex(adler32Update(1, pooled))).toBe(hex(referenceAdler32(pooled)));
  });

  it('agrees with the JavaScript loop and with hash-wasm on several MiB of random data', async () => {
    const data = randomBytes(5 * ADLER32_SLICE + 12_345);
    const value = hex(adler32Update(1, data));
    expect(hex(adler32UpdateJs(1, data))).toBe(value);
    expect(await hashWasmAdler32(data)).toBe(value);
  });
});

describe('adler32 without WebAssembly SIMD', () => {
  it('falls back to the JavaScript loop, with the same values, when the module fails validation', () => {
    const valid = adler32ModuleBytes();
    const broken = valid.slice(0, valid.length - 7);
    expect(WebAssembly.validate(broken)).toBe(false);
    const fallback = createAdler32Engine(broken);
    expect(fallback.kind).toBe('js');
    expect(fallback.update).toBe(adler32UpdateJs);
    expect(hex(fallback.update(1, Buffer.from('Wikipedia')))).toBe('11e60398');
    const data = randomBytes(ADLER32_SLICE + 7);
    expect(fallback.update(1, data)).toBe(referenceAdler32(data));
    expect(fallback.update(1, data)).toBe(wasm.update(1, data));
  });
});
