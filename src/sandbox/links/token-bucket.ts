/**
 * A token bucket shared by every connection of one link direction, so that
 * concurrent transfers split the link's bandwidth as they would on a real one.
 *
 * Grants go out in request order. A grant may take the bucket into debt (a chunk
 * larger than what is left), which the following grants wait out: the long-run
 * rate is exact and, timer lateness aside, a burst never exceeds `burstBytes`
 * plus one chunk.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt = performance.now();
  private readonly waiters: { bytes: number; grant: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private serving = false;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly burstBytes: number,
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`bandwidth must be positive, got ${bytesPerSecond} bytes/s`);
    this.tokens = burstBytes;
  }

  /** Calls `grant` once `bytes` may be sent. */
  take(bytes: number, grant: () => void): void {
    this.waiters.push({ bytes, grant });
    // A grant may ask for the next chunk straight away: serve() is already looping then.
    if (!this.timer && !this.serving) this.serve();
  }

  /** Drops pending grants and the timer. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiters.length = 0;
  }

  private serve(): void {
    // While grants wait the link is busy sending: a late timer must not cost it
    // bandwidth, so only idle time is capped at the burst.
    const backlogged = this.timer !== undefined;
    this.timer = undefined;
    const now = performance.now();
    const refilled = this.tokens + ((now - this.refilledAt) / 1000) * this.bytesPerSecond;
    this.tokens = backlogged ? refilled : Math.min(this.burstBytes, refilled);
    this.refilledAt = now;
    this.serving = true;
    try {
      while (this.waiters.length > 0 && this.tokens >= 0) {
        const next = this.waiters.shift() as { bytes: number; grant: () => void };
        this.tokens -= next.bytes;
        next.grant();
      }
    } finally {
      this.serving = false;
    }
    if (this.waiters.length > 0) {
      const waitMs = Math.max(1, Math.ceil((-this.tokens / this.bytesPerSecond) * 1000));
      this.timer = setTimeout(() => this.serve(), waitMs);
    }
  }
}
