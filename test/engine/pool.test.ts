import { describe, expect, it } from 'vitest';
import { AbortedError, batches, forEachPool, Limiter } from '../../src/engine/pool.js';

/** A body that counts how many run at once and lets the test release them. */
function gauge() {
  let now = 0;
  let max = 0;
  const gates: (() => void)[] = [];
  const body = async (): Promise<void> => {
    now++;
    max = Math.max(max, now);
    await new Promise<void>((resolve) => gates.push(resolve));
    now--;
  };
  const releaseAll = async (): Promise<void> => {
    while (gates.length) gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { body, releaseAll, get max() { return max; }, get waiting() { return gates.length; } };
}

describe('Limiter', () => {
  it('lets at most `limit` holders in and hands slots on in arrival order', async () => {
    const limiter = new Limiter(2);
    const order: number[] = [];
    const releases = await Promise.all([limiter.acquire(), limiter.acquire()]);
    expect(limiter.inFlight).toBe(2);
    const third = limiter.acquire().then((r) => { order.push(3); return r; });
    const fourth = limiter.acquire().then((r) => { order.push(4); return r; });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    releases[0]?.();
    releases[0]?.(); // releasing twice frees one slot only
    const r3 = await third;
    expect(order).toEqual([3]);
    expect(limiter.inFlight).toBe(2);
    releases[1]?.();
    const r4 = await fourth;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect(limiter.inFlight).toBe(0);
  });

  it('gives up waiting when the signal aborts, without taking a slot', async () => {
    const limiter = new Limiter(1);
    const release = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    release();
    expect(limiter.inFlight).toBe(0);
    await expect(limiter.acquire(controller.signal)).rejects.toBeInstanceOf(AbortedError);
  });

  it('refuses a limit that is not a bounded positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 1025]) expect(() => new Limiter(bad)).toThrow(RangeError);
  });
});

describe('forEachPool', () => {
  it('never runs more bodies at once than the limit, and runs every item', async () => {
    const g = gauge();
    const seen: number[] = [];
    const done = forEachPool(Array.from({ length: 10 }, (_, i) => i), 3, async (i) => { seen.push(i); await g.body(); });
    for (let round = 0; round < 5; round++) {
      await new Promise((r) => setImmediate(r));
      expect(g.waiting).toBeLessThanOrEqual(3);
      await g.releaseAll();
    }
    await done;
    expect(g.max).toBe(3);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('starts no new item once the signal aborted', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    await forEachPool([1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      if (i === 2) controller.abort();
    }, controller.signal);
    expect(started).toEqual([1, 2]);
  });

  it('lets started bodies settle, then rethrows the first failure', async () => {
    const settled: number[] = [];
    await expect(forEachPool([1, 2, 3, 4], 2, async (i) => {
      await new Promise((r) => setImmediate(r));
      settled.push(i);
      if (i === 1) throw new Error('boom 1');
    })).rejects.toThrow('boom 1');
    expect(settled.sort()).toEqual([1, 2]);
  });
});

describe('batches', () => {
  it('splits a list into consecutive batches of a bounded size', () => {
    expect(batches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(batches([], 3)).toEqual([]);
    expect(() => batches([1], 0)).toThrow(RangeError);
  });
});
