import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseDigest, fileDigest } from '../../../src/sandbox/storage/digest.js';

/** Reference value: a zlib stream (RFC 1950) ends with the Adler-32 of its input. */
const zlibAdler32 = (data: Buffer): string => deflateSync(data).subarray(-4).toString('hex');

describe('chooseDigest', () => {
  it('picks the supported algorithm with the highest q-value', () => {
    expect(chooseDigest('md5')).toBe('md5');
    expect(chooseDigest('ADLER32')).toBe('adler32');
    expect(chooseDigest('adler32;q=0.3, md5;q=0.9')).toBe('md5');
    expect(chooseDigest('sha-256, md5;q=0.5')).toBe('md5');
  });

  it('answers an unsupported algorithm with adler32, as XRootD does', () => {
    expect(chooseDigest('sha-256')).toBe('adler32');
    expect(chooseDigest('md5;q=0')).toBe('adler32');
  });
});

describe('fileDigest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-digest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('formats adler32 as hex and md5 as base64 (RFC 3230)', async () => {
    const file = join(dir, 'hello.txt');
    writeFileSync(file, 'hello world');
    expect(await fileDigest(file, 'adler32')).toBe('adler32=1a0b045d');
    expect(await fileDigest(file, 'md5')).toBe('md5=XrY7u+Ae7tCTyyK7j1rNww==');
  });

  it('sums a file read in several chunks as zlib does, and an empty file as 00000001', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 256;
    const file = join(dir, 'chunks.bin');
    writeFileSync(file, data);
    expect(await fileDigest(file, 'adler32')).toBe(`adler32=${zlibAdler32(data)}`);
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, '');
    expect(await fileDigest(empty, 'adler32')).toBe('adler32=00000001');
  });
});
