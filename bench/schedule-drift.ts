// Schedule drift: fire time minus planned time for 1,000 scheduled tests on the
// real clock (each every 5 s, offsets spread over the period), for a bounded time.
// Usage: node dist/bench/schedule-drift.js [tests, default 1000] [seconds, default 12]
import { systemClock } from '../src/schedule/clock.js';
import { CronMatcher } from '../src/schedule/cron-matcher.js';
import type { ScheduledTest } from '../src/schedule/fire-plan.js';
import { Scheduler } from '../src/schedule/scheduler.js';

const TESTS = Number(process.argv[2] ?? 1000);
const SECONDS = Number(process.argv[3] ?? 12);

const tests: ScheduledTest[] = Array.from({ length: TESTS }, (_, i) => {
  const schedule = { cron: '*/5 * * * * *', offsetSeconds: i % 5, jitterSeconds: 0, timezone: 'UTC' };
  return { key: `B/t${i}`, experiment: 'B', test: `t${i}`, schedule, locks: [], matcher: new CronMatcher(schedule.cron, 'UTC') };
});
const drifts: number[] = [];
let skipped = 0;
let missed = 0;
const scheduler = new Scheduler({
  clock: systemClock,
  hooks: {
    run: async (fire) => { drifts.push(Date.now() - fire.at.getTime()); },
    skipped: () => { skipped++; },
    missed: () => { missed++; },
  },
});
scheduler.start(tests);
await new Promise((r) => setTimeout(r, SECONDS * 1000));
scheduler.stop();
drifts.sort((a, b) => a - b);
const q = (p: number): number => drifts[Math.min(drifts.length - 1, Math.floor(p * drifts.length))] ?? NaN;
console.log(`${TESTS} tests over ${SECONDS} s: ${drifts.length} fires, ${skipped} skipped, ${missed} missed`);
console.log(`drift (fire time - planned time): p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);
