import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { exactLength } from '../../../src/lake/data/exact-length.js';

const sink = (): Writable => new Writable({ write(_c, _e, cb) { cb(); } });
const fail = (detail: string): Error => new Error(detail);

describe('exactLength', () => {
  it('passes a body of exactly the declared size', async () => {
    await expect(pipeline(Readable.from([Buffer.from('abc'), Buffer.from('de')]), exactLength(5, fail), sink())).resolves.toBeUndefined();
  });

  it('fails a shorter body at its end', async () => {
    await expect(pipeline(Readable.from([Buffer.from('abc')]), exactLength(5, fail), sink()))
      .rejects.toThrow('body ended after 3 of the declared 5 bytes');
  });

  it('fails a longer body as soon as it overflows', async () => {
    await expect(pipeline(Readable.from([Buffer.from('abcdef')]), exactLength(5, fail), sink()))
      .rejects.toThrow('body is longer than the declared 5 bytes');
  });
});
