import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/sandbox/links/token-bucket.js';

describe('TokenBucket', () => {
  it('grants in request order, a request made from inside a grant included', async () => {
    const bucket = new TokenBucket(10_000_000, 1000);
    const order: string[] = [];
    await new Promise<void>((done) => {
      bucket.take(1500, () => {
        order.push('a');
        bucket.take(600, () => order.push('b'));
      });
      bucket.take(600, () => order.push('c'));
      bucket.take(600, () => {
        order.push('d');
        done();
      });
    });
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('paces grants to its rate once the burst is spent', async () => {
    const bucket = new TokenBucket(1_000_000, 10_000);
    const t0 = performance.now();
    await new Promise<void>((done) => {
      for (let i = 0; i < 30; i++) bucket.take(10_000, i === 29 ? done : () => {});
    });
    // 300 kB at 1 MB/s, less the 10 kB burst and the debt the last grant may leave.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(270);
    bucket.close();
  });

  it('makes up for a late timer while grants are waiting, as a busy link would', async () => {
    const bucket = new TokenBucket(1_000_000, 10_000);
    const t0 = performance.now();
    await new Promise<void>((done) => {
      for (let i = 0; i < 50; i++) {
        bucket.take(10_000, () => {
          // Stall the event loop once, as a busy process would.
          if (i === 10) for (const until = performance.now() + 400; performance.now() < until;);
          if (i === 49) done();
        });
      }
    });
    // 500 kB at 1 MB/s is 0.5 s; losing the stalled time would make it 0.9 s.
    expect(performance.now() - t0).toBeLessThan(750);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
  });
});
