import { describe, expect, it } from 'vitest';
import { sizeClass } from '../../src/engine/op-result.js';
import { formatBytes, parseSize } from '../../src/engine/sizes.js';

describe('parseSize', () => {
  it('reads binary units as powers of 1024', () => {
    expect(parseSize('1MiB')).toBe(1_048_576);
    expect(parseSize('2GiB')).toBe(2_147_483_648);
    expect(parseSize('1TiB')).toBe(1_099_511_627_776);
  });

  it('reads decimal units as powers of 1000', () => {
    expect(parseSize('5GB')).toBe(5_000_000_000);
    expect(parseSize('10kB')).toBe(10_000);
    expect(parseSize('3MB')).toBe(3_000_000);
  });

  it('accepts fractions, spaces and any letter case', () => {
    expect(parseSize('1.5 KiB')).toBe(1536);
    expect(parseSize(' 1.5 gib ')).toBe(1_610_612_736);
    expect(parseSize('0.5MB')).toBe(500_000);
  });

  it('reads a bare number or B as bytes, and passes numbers through', () => {
    expect(parseSize('512')).toBe(512);
    expect(parseSize('512B')).toBe(512);
    expect(parseSize(4096)).toBe(4096);
  });

  it('rounds fractional byte counts to whole bytes', () => {
    expect(parseSize('1.0005KB')).toBe(1001);
  });

  it('rejects text that is not a size, naming it and the expected form', () => {
    expect(() => parseSize('abc')).toThrow('not a size: "abc" (use e.g. 1MiB, 5GB, 1024)');
    expect(() => parseSize('5 XB')).toThrow(/not a size: "5 XB"/);
    expect(() => parseSize('')).toThrow(/not a size/);
    expect(() => parseSize('-1MiB')).toThrow(/not a size/);
    expect(() => parseSize('1 MiB extra')).toThrow(/not a size/);
  });
});

describe('formatBytes', () => {
  it('prints whole bytes below 1 KiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
  });

  it('prints one decimal in the largest binary unit that fits', () => {
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1_048_576)).toBe('1.0 MiB');
    expect(formatBytes(5_000_000_000)).toBe('4.7 GiB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.0 TiB');
  });

  it('stays in TiB beyond the largest unit', () => {
    expect(formatBytes(1024 ** 5)).toBe('1024.0 TiB');
  });

  it('round-trips what parseSize reads', () => {
    expect(formatBytes(parseSize('1.5 KiB'))).toBe('1.5 KiB');
    expect(formatBytes(parseSize('256MiB'))).toBe('256.0 MiB');
  });
});

describe('sizeClass', () => {
  it('rounds a byte count down to a power of two in the largest binary unit', () => {
    expect(sizeClass(1)).toBe('1B');
    expect(sizeClass(1023)).toBe('512B');
    expect(sizeClass(1024)).toBe('1KiB');
    expect(sizeClass(1536)).toBe('1KiB');
    expect(sizeClass(parseSize('1MiB'))).toBe('1MiB');
    expect(sizeClass(parseSize('100MB'))).toBe('64MiB');
    expect(sizeClass(parseSize('5GB'))).toBe('4GiB');
    expect(sizeClass(parseSize('3TiB'))).toBe('2TiB');
  });

  it('labels nothing moved as 0B', () => {
    expect(sizeClass(0)).toBe('0B');
  });

  it('keeps the label set bounded: every size from 1 B to 1 TiB maps to one of 41 labels', () => {
    const labels = new Set<string>();
    for (let bytes = 1; bytes <= 1024 ** 4; bytes = Math.ceil(bytes * 1.37)) labels.add(sizeClass(bytes));
    expect(labels.size).toBeLessThanOrEqual(41);
    for (const label of labels) expect(label).toMatch(/^(1|2|4|8|16|32|64|128|256|512)(B|KiB|MiB|GiB)$|^1TiB$/);
  });
});
