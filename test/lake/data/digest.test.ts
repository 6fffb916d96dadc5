import { describe, expect, it } from 'vitest';
import { parseDigest } from '../../../src/lake/data/digest.js';

describe('parseDigest', () => {
  it('reads adler32 as zero-padded lowercase hex, whatever the case of name and value', () => {
    expect(parseDigest('adler32=1a0b045d', 'adler32')).toBe('1a0b045d');
    expect(parseDigest('ADLER32=620062', 'adler32')).toBe('00620062');
    expect(parseDigest('Adler32=1A0B045D', 'adler32')).toBe('1a0b045d');
  });

  it('turns the RFC 3230 base64 md5 into hex and keeps a hex md5', () => {
    expect(parseDigest('md5=XrY7u+Ae7tCTyyK7j1rNww==', 'md5')).toBe('5eb63bbbe01eeed093cb22bb8f5acdc3');
    expect(parseDigest('MD5=5EB63BBBE01EEED093CB22BB8F5ACDC3', 'md5')).toBe('5eb63bbbe01eeed093cb22bb8f5acdc3');
  });

  it('picks the asked algorithm out of a list, also split over several headers', () => {
    expect(parseDigest('crc32=12345678, md5=XrY7u+Ae7tCTyyK7j1rNww==, adler32=1a0b045d', 'adler32')).toBe('1a0b045d');
    expect(parseDigest(['crc32=1', 'md5=XrY7u+Ae7tCTyyK7j1rNww=='], 'md5')).toBe('5eb63bbbe01eeed093cb22bb8f5acdc3');
  });

  it('gives null when the header is absent, names another algorithm, or is malformed', () => {
    expect(parseDigest(undefined, 'adler32')).toBeNull();
    expect(parseDigest('', 'md5')).toBeNull();
    expect(parseDigest('adler32=1a0b045d', 'md5')).toBeNull();
    expect(parseDigest('adler32=xyz', 'adler32')).toBeNull();
    expect(parseDigest('adler32=1a0b045d00', 'adler32')).toBeNull();
    expect(parseDigest('md5=c2hvcnQ=', 'md5')).toBeNull();
  });
});
