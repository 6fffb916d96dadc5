// Bounded concurrency for the engine and the scenarios: a limiter (a counting
// semaphore) and a worker pool over a list. Never an unbounded Promise.all over
// a user-sized list: at most `limit` bodies run at once, and an aborted signal
// stops new work from starting (work already started finishes on its own terms).

/** Upper bound of any limit, whatever the plan says (the plan schema bounds it lower). */
export const MAX_LIMIT = 1024;

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RangeError(`concurrency limit must be an integer from 1 to ${MAX_LIMIT}, got ${limit}`);
  }
  return limit;
}

/** Thrown to waiters when the signal aborts before they got a slot. */
export class AbortedError extends Error {
  constructor() {
    super('aborted before it could start');
    this.name = 'AbortedError';
  }
}

/** At most `limit` holders at once; others wait in FIFO order. */
export class Limiter {
  readonly limit: number;
  private active = 0;
  private readonly waiting: { grant: () => void; reject: (e: Error) => void }[] = [];

  constructor(limit: number) {
    this.limit = checkLimit(limit);
  }

  /** Holders right now. */
  get inFlight(): number {
    return this.active;
  }

  /** Waits for a slot; the returned function releases it (once). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw new AbortedError();
    if (this.active < this.limit) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        grant: () => { signal?.removeEventListener('abort', onAbort); resolve(); },
        reject,
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new AbortedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
    return this.releaser();
  }

  /** Runs `body` holding one slot. */
  async run<T>(body: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await body();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter: `active` stays the same.
      if (next) next.grant();
      else this.active--;
    };
  }
}

/**
 * Calls `body` for each item with at most `limit` calls in flight, in list order of
 * start. Resolves when every started call has settled; the first error is rethrown
 * after that (no new items start once one failed or the signal aborted).
 */
export async function forEachPool<T>(
  items: readonly T[], limit: number, body: (item: T, index: number) => Promise<void>, signal?: AbortSignal,
): Promise<void> {
  checkLimit(limit);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure && !signal?.aborted) {
      const index = next++;
      try {
        await body(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(limit, items.length); i++) workers.push(worker());
  await Promise.all(workers);
  if (failure) throw (failure as { error: unknown }).error;
}

/** Splits a list into consecutive batches of at most `size` items. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  checkLimit(size);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
