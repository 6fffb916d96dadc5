import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { adler32Hex } from '../../../src/lake/data/checksum.js';
import { md5RingGauge, restartMd5Worker } from '../../../src/lake/data/md5-ring.js';
import { ParallelChecksums } from '../../../src/lake/data/parallel-checksums.js';
import { ChecksumTap } from '../../../src/lake/data/synthetic.js';

const RING = 64 * 1024;

const reference = (data: Buffer): { adler32: string; md5: string; bytes: number } =>
  ({ adler32: adler32Hex(data), md5: createHash('md5').update(data).digest('hex'), bytes: data.length });

/** A small deterministic PRNG, so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function randomSplit(data: Buffer, next: () => number, maxPiece: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const n = Math.min(data.length - at, 1 + Math.floor(next() * maxPiece));
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

async function hashPieces(pieces: Buffer[]): Promise<unknown> {
  const sums = new ParallelChecksums();
  for (const piece of pieces) await sums.update(piece);
  return sums.finish();
}

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

describe('md5 ring hand-off (small ring)', () => {
  beforeEach(() => restartMd5Worker({ ringBytes: RING }));
  afterAll(() => restartMd5Worker());

  it('gives the one-shot md5 and adler32 for random sizes and splits, chunks larger than the ring included', async () => {
    const next = random(8);
    for (let round = 0; round < 12; round++) {
      const data = createHash('sha512').update(String(round)).digest();
      const size = Math.floor(next() * 700_000);
      const input = Buffer.alloc(size);
      for (let i = 0; i < size; i += data.length) data.copy(input, i);
      const maxPiece = round % 3 === 0 ? 4 * RING : round % 3 === 1 ? RING / 2 : 300;
      expect(await hashPieces(randomSplit(input, next, maxPiece))).toEqual(reference(input));
    }
    expect(md5RingGauge().openJobs).toBe(0);
  });

  it('keeps concurrent jobs apart while they share the ring', async () => {
    const next = random(3);
    const inputs = Array.from({ length: 6 }, (_, i) => Buffer.alloc(200_000 + i * 7_777, i + 1));
    const results = await Promise.all(inputs.map((input) => hashPieces(randomSplit(input, next, 2 * RING))));
    expect(results).toEqual(inputs.map(reference));
  });

  it('never holds more bytes in flight than the ring, and waits for space instead', async () => {
    const big = Buffer.alloc(10 * RING + 3, 0x5a);
    const jobs = [0, 1, 2].map(() => hashPieces([big, big.subarray(5), big]));
    const gauges = [];
    for (let i = 0; i < 20; i++) {
      gauges.push(md5RingGauge());
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(jobs);
    const gauge = md5RingGauge();
    expect(gauge.ringBytes).toBe(RING);
    expect(gauge.maxBytesInFlight).toBeGreaterThan(0);
    expect(gauge.maxBytesInFlight).toBeLessThanOrEqual(RING);
    for (const g of gauges) expect(g.bytesInFlight).toBeLessThanOrEqual(RING);
    expect(gauge.spaceWaits).toBeGreaterThan(0);
    await vi.waitFor(() => expect(md5RingGauge().bytesInFlight).toBe(0));
  });

  it('abort while an update waits for space ends the wait, keeps nothing, and a later job works', async () => {
    const sums = new ParallelChecksums();
    const waiting = sums.update(Buffer.alloc(20 * RING, 1));
    expect(waiting).not.toBeNull();
    sums.abort();
    await waiting;
    expect(md5RingGauge().openJobs).toBe(0);
    await vi.waitFor(() => expect(md5RingGauge().bytesInFlight).toBe(0));
    expect(() => sums.update(Buffer.from('x'))).toThrow(/after abort/);
    const data = Buffer.alloc(3 * RING + 1, 9);
    expect(await hashPieces([data])).toEqual(reference(data));
  });

  it('a stream that fails mid-way through a ChecksumTap frees its job', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(3 * RING, 2));
        this.destroy(new Error('disk gone'));
      },
    });
    await expect(pipeline(failing, new ChecksumTap(), sink())).rejects.toThrow('disk gone');
    await vi.waitFor(() => expect(md5RingGauge()).toMatchObject({ openJobs: 0, bytesInFlight: 0 }));
    const tap = new ChecksumTap();
    await pipeline(Readable.from([Buffer.from('after')]), tap, sink());
    expect(tap.digest()).toEqual(reference(Buffer.from('after')));
  });

  it('a worker crash rejects open jobs, waiting ones included, and the next job gets a new worker', async () => {
    const open = new ParallelChecksums();
    await open.update(Buffer.alloc(1000, 1));
    const waiting = new ParallelChecksums();
    const stuck = waiting.update(Buffer.alloc(50 * RING, 1));
    expect(stuck).not.toBeNull();
    const outcome = stuck!.then(() => 'resolved', (e: Error) => e.message);
    const crashed = md5RingGauge().workerId;
    await restartMd5Worker({ ringBytes: RING });
    await expect(open.finish()).rejects.toThrow(/md5 worker exited/);
    expect(await outcome).toMatch(/md5 worker exited/);
    expect(() => waiting.update(Buffer.from('x'))).toThrow(/md5 worker exited/);
    const data = Buffer.from('a new worker');
    expect(await hashPieces([data])).toEqual(reference(data));
    expect(md5RingGauge().workerId).not.toBe(crashed);
  });
});
