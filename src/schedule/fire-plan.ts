import { createHash } from 'node:crypto';
import type { ResolvedPlan, ResolvedSchedule } from '../plan/index.js';
import { CronMatcher } from './cron-matcher.js';

/** A scheduled test as the daemon sees it. */
export interface ScheduledTest {
  /** `${experiment}/${test}`. */
  key: string;
  experiment: string;
  test: string;
  schedule: ResolvedSchedule;
  /** Locks a run holds: a sweep holds its links, so two sweeps never share one at once. */
  locks: string[];
  matcher: CronMatcher;
}

export interface Fire {
  test: ScheduledTest;
  /** When the cron expression matched. */
  cronTime: Date;
  /** cronTime + offset + jitter: when the run is due. */
  at: Date;
  /** The cycled parameter value of this fire, when the schedule cycles. */
  cycle?: { param: string; value: string | number; index: number };
}

/** Cap on fires counted per day for a cycle position (a per-second cron still terminates). */
const MAX_FIRES_PER_DAY = 100_000;

export function scheduledTests(plan: ResolvedPlan): ScheduledTest[] {
  const out: ScheduledTest[] = [];
  for (const e of plan.experiments) {
    for (const t of e.tests) {
      if (!t.schedule) continue;
      out.push({
        key: `${e.name}/${t.name}`, experiment: e.name, test: t.name, schedule: t.schedule,
        locks: exclusiveLocks(t.scenario, t.params, t.rses ?? plan.rses, Boolean(t.schedule.cycle)),
        matcher: new CronMatcher(t.schedule.cron, t.schedule.timezone ?? 'UTC'),
      });
    }
  }
  return out;
}

/** What a run holds exclusively: a sweep its links; a burst its RSE (two bursts on one RSE would measure each other). */
function exclusiveLocks(scenario: string, params: unknown, rses: { names?: readonly string[]; expression?: string }, cycles: boolean): string[] {
  if (scenario === 'burst') {
    const rse = (params as { rse?: string } | undefined)?.rse ?? rses.names?.[0];
    return [rse !== undefined ? `rse:${rse}` : `rses:${rses.expression ?? '*'}`];
  }
  return cycles || hasLinks(params) ? sweepLocks(params, rses) : [];
}

const hasLinks = (params: unknown): boolean => Array.isArray((params as { links?: unknown } | undefined)?.links);

/**
 * A sweep's links, from the parameter the sweep reads (`links`), else its default: the
 * first selected RSE to each of the others. An RSE expression is resolved only at run
 * time, so its sweep holds the whole selection.
 */
function sweepLocks(params: unknown, rses: { names?: readonly string[]; expression?: string }): string[] {
  const links = (params as { links?: { from: string; to: string }[] } | undefined)?.links;
  if (links?.length) return [...new Set(links.map((l) => `link:${l.from}->${l.to}`))];
  const [first, ...others] = rses.names ?? [];
  if (first !== undefined && others.length) return others.map((to) => `link:${first}->${to}`);
  return [`rses:${rses.names?.join(',') ?? rses.expression ?? '*'}`];
}

/** Reproducible jitter in [0, max] whole seconds from the seed and the fire time. */
export function jitterSeconds(seed: string, cronTime: Date, max: number): number {
  if (max <= 0) return 0;
  const digest = createHash('sha256').update(`${seed}|${cronTime.toISOString()}`).digest();
  return digest.readUInt32BE(0) % (max + 1);
}

export function fireAt(test: ScheduledTest, cronTime: Date, dayCache?: DayCache): Fire {
  const s = test.schedule;
  const jitter = jitterSeconds(s.jitterSeed ?? test.key, cronTime, s.jitterSeconds);
  const fire: Fire = { test, cronTime, at: new Date(cronTime.getTime() + (s.offsetSeconds + jitter) * 1000) };
  if (s.cycle) {
    const index = fireIndexOfDay(test, cronTime, dayCache) % s.cycle.values.length;
    fire.cycle = { param: s.cycle.param, value: s.cycle.values[index] as string | number, index };
  }
  return fire;
}

/** The first fire due strictly after `after`. */
export function nextFire(test: ScheduledTest, after: Date, dayCache?: DayCache): Fire {
  const s = test.schedule;
  // Fires are due up to offset + jitter after their cron time: search from that far back.
  let cursor = new Date(after.getTime() - (s.offsetSeconds + s.jitterSeconds) * 1000 - 1000);
  for (;;) {
    const cronTime = test.matcher.next(cursor);
    const fire = fireAt(test, cronTime, dayCache);
    if (fire.at.getTime() > after.getTime()) return fire;
    cursor = cronTime;
  }
}

/** Remembers, per test, the fire times of the last day it counted. */
export type DayCache = Map<string, { dayStart: number; times: number[] }>;

/** Which fire of its day (0-based, in the schedule's time zone) `cronTime` is. */
export function fireIndexOfDay(test: ScheduledTest, cronTime: Date, cache: DayCache = new Map()): number {
  const dayStart = startOfDay(cronTime, test.schedule.timezone ?? 'UTC');
  let entry = cache.get(test.key);
  if (!entry || entry.dayStart !== dayStart) {
    entry = { dayStart, times: [] };
    let cursor = new Date(dayStart - 1000);
    const dayEnd = dayStart + 86_400_000;
    while (entry.times.length < MAX_FIRES_PER_DAY) {
      const t = test.matcher.next(cursor);
      if (t.getTime() >= dayEnd) break;
      entry.times.push(t.getTime());
      cursor = t;
    }
    cache.set(test.key, entry);
  }
  const i = entry.times.indexOf(cronTime.getTime());
  return i >= 0 ? i : entry.times.filter((t) => t < cronTime.getTime()).length;
}

/** Midnight of the day `date` falls on in `timezone`, as epoch ms (DST days approximated by the wall offset). */
function startOfDay(date: Date, timezone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone, hour12: false, hour: 'numeric', minute: 'numeric', second: 'numeric',
  }).formatToParts(date);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0) % 24;
  const h = get('hour');
  const m = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  const sec = Number(parts.find((p) => p.type === 'second')?.value ?? 0);
  return date.getTime() - date.getUTCMilliseconds() - ((h * 60 + m) * 60 + sec) * 1000;
}

/** The next `count` fires of every test, in time order. */
export function upcomingFires(tests: readonly ScheduledTest[], from: Date, count: number): Fire[] {
  const cache: DayCache = new Map();
  const out: Fire[] = [];
  for (const t of tests) {
    let after = from;
    for (let i = 0; i < count; i++) {
      const f = nextFire(t, after, cache);
      out.push(f);
      after = f.at;
    }
  }
  return out.sort((a, b) => a.at.getTime() - b.at.getTime()).slice(0, count * Math.max(1, tests.length));
}
