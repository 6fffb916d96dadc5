// Per-operation timeouts of a storage or catalogue request (the plan's `lake.timeouts`),
// and the watchdog that enforces them.
//
// Node's socket timeout only measures idleness of the socket it is set on, is not
// re-armed once it has fired, and after the response headers it is routed to the
// response (where nobody listens): a stall could take twice its setting or never end.
// The watchdog keeps its own clock per phase and re-arms itself for the time that is
// left, so each limit fires within a timer tick of its setting.

export interface StorageTimeouts {
  /** From the start of a request until the TLS session is up (a reused connection is up at once). */
  connectMs: number;
  /** From the end of what we send (headers, or the whole body) until the response headers. */
  firstByteMs: number;
  /** Longest time without a byte moving either way while a body is sent or received. */
  stallMs: number;
  /** Whole request, including the response body; 0 means no limit. */
  totalMs: number;
}

export const DEFAULT_STORAGE_TIMEOUTS: StorageTimeouts = { connectMs: 60_000, firstByteMs: 60_000, stallMs: 60_000, totalMs: 0 };

/**
 * Timeouts from client options: `timeoutMs` (older, one value) sets connect, first byte and stall;
 * what `timeouts` sets wins, phase by phase, and the rest comes from `defaults`.
 */
export function resolveTimeouts(
  options: { timeoutMs?: number; timeouts?: Partial<StorageTimeouts> }, defaults: StorageTimeouts = DEFAULT_STORAGE_TIMEOUTS,
): StorageTimeouts {
  const one = options.timeoutMs;
  const base: StorageTimeouts = one === undefined ? defaults : { connectMs: one, firstByteMs: one, stallMs: one, totalMs: defaults.totalMs };
  const merged = { ...base, ...definedOnly(options.timeouts ?? {}) };
  for (const [key, value] of Object.entries(merged)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`request timeout ${key} must be a number >= 0, got ${value}`);
  }
  return merged;
}

function definedOnly(partial: Partial<StorageTimeouts>): Partial<StorageTimeouts> {
  return Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
}

export type WatchPhase = 'connect' | 'first_byte' | 'stall';

/** The error a phase's expiry raises: ETIMEDOUT before the connection is up, ESOCKETTIMEDOUT after. */
export function timeoutError(phase: WatchPhase | 'total', ms: number): Error {
  const text = {
    connect: `connection not established within ${ms} ms`,
    first_byte: `no response within ${ms} ms after the request was sent`,
    stall: `no data received or sent for ${ms} ms`,
    total: `request not finished within ${ms} ms`,
  }[phase];
  return Object.assign(new Error(text), { code: phase === 'connect' ? 'ETIMEDOUT' : 'ESOCKETTIMEDOUT', timeoutPhase: phase });
}

/** One request's clock. progress() is cheap (a timestamp); the timer re-arms itself for the remainder. */
export class RequestWatchdog {
  private phase: WatchPhase = 'connect';
  private last = Date.now();
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly limits: StorageTimeouts,
    private readonly expire: (error: Error) => void,
  ) {
    this.arm();
  }

  enter(phase: WatchPhase): void {
    if (this.stopped) return;
    this.phase = phase;
    this.last = Date.now();
    this.arm();
  }

  progress(): void {
    this.last = Date.now();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private limitOf(phase: WatchPhase): number {
    return phase === 'connect' ? this.limits.connectMs : phase === 'first_byte' ? this.limits.firstByteMs : this.limits.stallMs;
  }

  /** Earliest deadline and what it stands for; Infinity when nothing is limited. */
  private deadline(): { at: number; phase: WatchPhase | 'total'; ms: number } {
    const ms = this.limitOf(this.phase);
    let next = { at: ms > 0 ? this.last + ms : Infinity, phase: this.phase as WatchPhase | 'total', ms };
    const total = this.limits.totalMs;
    if (total > 0 && this.started + total < next.at) next = { at: this.started + total, phase: 'total', ms: total };
    return next;
  }

  private arm(): void {
    clearTimeout(this.timer);
    const { at } = this.deadline();
    if (at === Infinity) return;
    this.timer = setTimeout(() => this.check(), Math.max(1, at - Date.now()));
    this.timer.unref?.();
  }

  private check(): void {
    if (this.stopped) return;
    const { at, phase, ms } = this.deadline();
    if (Date.now() >= at) {
      this.stop();
      this.expire(timeoutError(phase, ms));
    } else {
      this.arm();
    }
  }
}
