import type { SkipReason } from '../metrics/catalogue.js';
import type { Clock } from './clock.js';
import { nextFire, type DayCache, type Fire, type ScheduledTest } from './fire-plan.js';

export interface SchedulerHooks {
  /** Runs one fire; the scheduler holds the test and its locks until the promise settles. */
  run(fire: Fire): Promise<void>;
  skipped(fire: Fire, reason: SkipReason): void;
  missed(fire: Fire): void;
  /** The next planned fire of a test changed. */
  planned?(fire: Fire): void;
  /** Every time the loop wakes. */
  tick?(now: number): void;
}

/**
 * Locks shared with other processes (other agents): all of `names` or none. Resolves to
 * the release, or null when another holder has one of them.
 */
export interface SharedLocks {
  tryAcquire(names: readonly string[]): Promise<(() => Promise<void>) | null>;
}

export interface SchedulerOptions {
  /** Locks held across agents besides this process's own (e.g. PostgreSQL advisory locks). */
  sharedLocks?: SharedLocks;
  clock: Clock;
  hooks: SchedulerHooks;
  /** A fire woken later than this after its due time counts as missed (default 60 s). */
  toleranceMs?: number;
  /** Longest sleep between wake-ups, so heartbeats keep moving (default 15 s). */
  maxSleepMs?: number;
}

/** Missed fires counted one by one after a long stall, at most this many per test. */
const MAX_MISSED_PER_WAKE = 1000;

/**
 * Fires scheduled tests on time. A test never runs twice at once (overlap),
 * a sweep never shares a link with another sweep (link_busy; across agents too, through
 * the shared locks), and nothing
 * starts once stopping began; every such fire is reported with its reason.
 */
export class Scheduler {
  private tests = new Map<string, ScheduledTest>();
  private next = new Map<string, Fire>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly heldLocks = new Set<string>();
  private readonly dayCache: DayCache = new Map();
  private timer: unknown;
  private stopping = false;
  private readonly toleranceMs: number;
  private readonly maxSleepMs: number;

  constructor(private readonly options: SchedulerOptions) {
    this.toleranceMs = options.toleranceMs ?? 60_000;
    this.maxSleepMs = options.maxSleepMs ?? 15_000;
  }

  /** Sets the tests to schedule; a test kept across a reload keeps its running state and next fire. */
  replace(tests: readonly ScheduledTest[]): void {
    const now = new Date(this.options.clock.now());
    const fresh = new Map(tests.map((t) => [t.key, t]));
    for (const [key, old] of this.tests) {
      const kept = fresh.get(key);
      if (kept !== old) old.matcher.dispose();
      if (!kept) { this.next.delete(key); this.dayCache.delete(key); }
    }
    for (const t of tests) {
      const old = this.tests.get(t.key);
      const same = old && JSON.stringify(old.schedule) === JSON.stringify(t.schedule);
      const planned = same ? this.next.get(t.key) : undefined;
      if (!same) this.dayCache.delete(t.key);
      this.setNext(planned ? { ...planned, test: t } : nextFire(t, now, this.dayCache));
    }
    this.tests = fresh;
    if (!this.stopping) this.arm();
  }

  start(tests: readonly ScheduledTest[]): void {
    this.replace(tests);
  }

  nextFires(): Fire[] {
    return [...this.next.values()].sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  inFlight(): Promise<void>[] {
    return [...this.running.values()];
  }

  /** No new runs from now on; resolves when the loop is quiet (in-flight runs are the caller's to await). */
  stop(): void {
    this.stopping = true;
    if (this.timer !== undefined) this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
    for (const t of this.tests.values()) t.matcher.dispose();
  }

  private setNext(fire: Fire): void {
    this.next.set(fire.test.key, fire);
    this.options.hooks.planned?.(fire);
  }

  private arm(): void {
    if (this.timer !== undefined) this.options.clock.clearTimer(this.timer);
    const now = this.options.clock.now();
    const earliest = Math.min(...[...this.next.values()].map((f) => f.at.getTime()), now + this.maxSleepMs);
    this.timer = this.options.clock.setTimer(() => this.wake(), Math.max(0, earliest - now));
  }

  private wake(): void {
    this.timer = undefined;
    if (this.stopping) return;
    const now = this.options.clock.now();
    this.options.hooks.tick?.(now);
    for (const fire of [...this.next.values()]) {
      if (fire.at.getTime() > now) continue;
      let due: Fire = fire;
      let following = nextFire(due.test, due.at, this.dayCache);
      let missed = 0;
      // Fires that went by during a stall are missed; the last due one still runs if within tolerance.
      while (following.at.getTime() <= now) {
        this.options.hooks.missed(due);
        if (++missed >= MAX_MISSED_PER_WAKE) {
          due = nextFire(due.test, new Date(now - 1), this.dayCache);
          following = nextFire(due.test, due.at, this.dayCache);
          if (due.at.getTime() > now) break;
          continue;
        }
        due = following;
        following = nextFire(due.test, due.at, this.dayCache);
      }
      if (due.at.getTime() <= now) {
        if (now - due.at.getTime() > this.toleranceMs) this.options.hooks.missed(due);
        else this.dispatch(due);
        this.setNext(following);
      } else {
        this.setNext(due);
      }
    }
    this.arm();
  }

  private dispatch(fire: Fire): void {
    const { test } = fire;
    if (this.stopping) return this.options.hooks.skipped(fire, 'stopping');
    if (this.running.has(test.key)) return this.options.hooks.skipped(fire, 'overlap');
    if (test.locks.some((l) => this.heldLocks.has(l))) return this.options.hooks.skipped(fire, 'link_busy');
    for (const l of test.locks) this.heldLocks.add(l);
    const shared = test.locks.length ? this.options.sharedLocks : undefined;
    const done = Promise.resolve()
      .then(async () => {
        const release = shared ? await shared.tryAcquire(test.locks) : null;
        if (shared && !release) return this.options.hooks.skipped(fire, 'link_busy');
        try {
          await this.options.hooks.run(fire);
        } finally {
          await release?.();
        }
      })
      .catch(() => { /* the run reports its own failures */ })
      .finally(() => {
        this.running.delete(test.key);
        for (const l of test.locks) this.heldLocks.delete(l);
      });
    this.running.set(test.key, done);
  }
}
