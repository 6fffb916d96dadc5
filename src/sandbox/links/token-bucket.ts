/**
 * A token bucket shared by every connection of one link direction, so that
 * concurrent transfers split the link's bandwidth as they would on a real one.
 *
 * Grants go out in request order. A grant may take the bucket into debt (a chunk
 * larger than what is left), which the following grants wait out: the long-run
 * rate is exact and, timer lateness aside, a burst never exceeds `burstBytes`
 * plus one chunk. Each grant carries the moment the link had the bytes ready to
 * send: a grant handed out by a late timer is dated when it was due, so the delay
 * that follows does not add the timer's lateness.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt = performance.now();
  private readonly waiters: { bytes: number; since: number; grant: () => void }[] = [];
  private lastGrantAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private serving = false;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly burstBytes: number,
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`bandwidth must be positive, got ${bytesPerSecond} bytes/s`);
    this.tokens = burstBytes;
  }

  /** When the grant being handed out (or the last one) was due, on the performance.now() clock. */
  get grantedAt(): number {
    return this.lastGrantAt;
  }

  /** Calls `grant` once `bytes` may be sent; inside it, `grantedAt` says since when. */
  take(bytes: number, grant: () => void): void {
    // Asked from inside a grant: the sender was ready when that grant was due.
    this.waiters.push({ bytes, since: this.serving ? this.lastGrantAt : performance.now(), grant });
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
        const next = this.waiters.shift() as { bytes: number; since: number; grant: () => void };
        // The tokens reached zero for this grant `tokens / rate` ago (a late timer), not earlier
        // than it was asked for or than the previous grant.
        const dueAt = Math.min(now, Math.max(next.since, this.lastGrantAt, now - (this.tokens / this.bytesPerSecond) * 1000));
        this.lastGrantAt = dueAt;
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
