import { describe, expect, it } from 'vitest';
import type { ResolvedPlan, ResolvedSchedule } from '../../src/plan/index.js';
import { FakeClock } from '../../src/schedule/clock.js';
import { CronMatcher } from '../../src/schedule/cron-matcher.js';
import { fireIndexOfDay, jitterSeconds, nextFire, scheduledTests, upcomingFires, type Fire, type ScheduledTest } from '../../src/schedule/fire-plan.js';
import { Scheduler } from '../../src/schedule/scheduler.js';

const T0 = Date.parse('2026-03-02T00:00:00Z');

function scheduled(test: string, schedule: Partial<ResolvedSchedule> & { cron: string }, locks: string[] = []): ScheduledTest {
  const s: ResolvedSchedule = { offsetSeconds: 0, jitterSeconds: 0, timezone: 'UTC', ...schedule };
  return { key: `E/${test}`, experiment: 'E', test, schedule: s, locks, matcher: new CronMatcher(s.cron, s.timezone) };
}

interface Log { runs: Fire[]; skipped: [string, string][]; missed: string[] }

function harness(clock: FakeClock, runMs: (f: Fire) => number = () => 1000) {
  const log: Log = { runs: [], skipped: [], missed: [] };
  const scheduler = new Scheduler({
    clock, toleranceMs: 5_000,
    hooks: {
      run: (fire) => {
        log.runs.push(fire);
        return new Promise((resolve) => clock.setTimer(resolve, runMs(fire)));
      },
      skipped: (fire, reason) => log.skipped.push([fire.test.test, reason]),
      missed: (fire) => log.missed.push(`${fire.test.test}@${fire.at.toISOString()}`),
    },
  });
  return { log, scheduler };
}

const iso = (f: Fire): string => f.at.toISOString();

describe('fire times', () => {
  it('adds the offset to every cron fire time, in UTC by default', () => {
    const t = scheduled('a', { cron: '0 * * * *', offsetSeconds: 90 });
    const fires = upcomingFires([t], new Date(T0), 3);
    expect(fires.map(iso)).toEqual(['2026-03-02T00:01:30.000Z', '2026-03-02T01:01:30.000Z', '2026-03-02T02:01:30.000Z']);
  });

  it('reads the expression in the schedule time zone', () => {
    const t = scheduled('a', { cron: '0 9 * * *', timezone: 'Europe/Amsterdam' });
    expect(iso(nextFire(t, new Date(T0)))).toBe('2026-03-02T08:00:00.000Z');
  });

  it('cycles a sweep parameter by the fire of the day: hours 0/1/2 mod 3 run 50MB/500MB/5GB', () => {
    const t = scheduled('sweep', { cron: '0 * * * *', cycle: { param: 'size', values: ['50MB', '500MB', '5GB'] } });
    const fires = upcomingFires([t], new Date(T0 - 1000), 7);
    expect(fires.map((f) => `${f.at.getUTCHours()}:${f.cycle?.value}`)).toEqual([
      '0:50MB', '1:500MB', '2:5GB', '3:50MB', '4:500MB', '5:5GB', '6:50MB',
    ]);
    // The position comes from the time of day, not from when the daemon started.
    const late = nextFire(t, new Date(Date.parse('2026-03-02T13:30:00Z')));
    expect(fireIndexOfDay(t, late.cronTime)).toBe(14);
    expect(late.cycle?.value).toBe('5GB');
  });

  it('derives jitter from the seed and fire time: reproducible, bounded, and different per test', () => {
    const when = new Date(T0);
    expect(jitterSeconds('E/a', when, 30)).toBe(jitterSeconds('E/a', when, 30));
    const spread = new Set(Array.from({ length: 50 }, (_, i) => jitterSeconds(`E/t${i}`, when, 30)));
    expect(spread.size).toBeGreaterThan(10);
    for (const j of spread) expect(j).toBeGreaterThanOrEqual(0);
    for (const j of spread) expect(j).toBeLessThanOrEqual(30);
    const t = scheduled('a', { cron: '0 * * * *', jitterSeconds: 30 });
    const f = nextFire(t, new Date(T0));
    expect(f.at.getTime() - f.cronTime.getTime()).toBe(jitterSeconds('E/a', f.cronTime, 30) * 1000);
  });
});

describe('Scheduler on a fake clock', () => {
  it('runs each test at its planned times', async () => {
    const clock = new FakeClock(T0 + 500);
    const { log, scheduler } = harness(clock);
    scheduler.start([scheduled('a', { cron: '*/10 * * * * *' }), scheduled('b', { cron: '*/10 * * * * *', offsetSeconds: 5 })]);
    await clock.advance(30_000);
    scheduler.stop();
    expect(log.runs.map((f) => `${f.test.test} ${f.at.toISOString().slice(11, 19)}`)).toEqual([
      'b 00:00:05', 'a 00:00:10', 'b 00:00:15', 'a 00:00:20', 'b 00:00:25', 'a 00:00:30',
    ]);
    expect(log.skipped).toEqual([]);
  });

  it('never runs a test twice at once: a fire while it still runs is skipped as overlap', async () => {
    const clock = new FakeClock(T0 + 500);
    const { log, scheduler } = harness(clock, () => 25_000);
    scheduler.start([scheduled('slow', { cron: '*/10 * * * * *' })]);
    await clock.advance(60_000);
    scheduler.stop();
    expect(log.runs.map((f) => f.at.toISOString().slice(17, 19))).toEqual(['10', '40']);
    expect(log.skipped).toEqual([['slow', 'overlap'], ['slow', 'overlap'], ['slow', 'overlap'], ['slow', 'overlap']]);
  });

  it('lets only one sweep use a link at a time (link_busy) while other tests go on', async () => {
    const clock = new FakeClock(T0 + 500);
    const { log, scheduler } = harness(clock, () => 12_000);
    scheduler.start([
      scheduled('sweep1', { cron: '*/20 * * * * *' }, ['link:A->B']),
      scheduled('sweep2', { cron: '*/20 * * * * *', offsetSeconds: 5 }, ['link:A->B']),
      scheduled('other', { cron: '*/20 * * * * *', offsetSeconds: 5 }, ['link:A->C']),
    ]);
    await clock.advance(29_000);
    scheduler.stop();
    expect(log.runs.map((f) => `${f.test.test}@${f.at.toISOString().slice(17, 19)}`)).toEqual(['sweep2@05', 'other@05', 'sweep1@20', 'other@25']);
    expect(log.skipped).toEqual([['sweep2', 'link_busy']]);
  });

  it('counts the fires that went by during a stall as missed, and resumes on plan', async () => {
    const clock = new FakeClock(T0 + 500);
    const { log, scheduler } = harness(clock);
    scheduler.start([scheduled('a', { cron: '*/10 * * * * *' })]);
    // Nothing is due for a while: jump the clock past three fires without waking the loop in between.
    (clock as unknown as { time: number }).time = T0 + 35_500;
    await clock.advance(0);
    await clock.advance(10_000);
    scheduler.stop();
    expect(log.missed).toEqual(['a@2026-03-02T00:00:10.000Z', 'a@2026-03-02T00:00:20.000Z', 'a@2026-03-02T00:00:30.000Z']);
    expect(log.runs.map((f) => f.at.toISOString().slice(17, 19))).toEqual(['40']);
  });

  it('keeps a running test and its plan across a reload, and drops a removed one', async () => {
    const clock = new FakeClock(T0 + 500);
    const { log, scheduler } = harness(clock, () => 15_000);
    scheduler.start([scheduled('a', { cron: '*/10 * * * * *' }), scheduled('gone', { cron: '*/10 * * * * *' })]);
    await clock.advance(12_000);
    expect(scheduler.isRunning('E/a')).toBe(true);
    scheduler.replace([scheduled('a', { cron: '*/10 * * * * *' })]);
    await clock.advance(10_000);
    scheduler.stop();
    expect(log.runs.map((f) => `${f.test.test}@${f.at.toISOString().slice(17, 19)}`)).toEqual(['a@10', 'gone@10']);
    expect(log.skipped).toEqual([['a', 'overlap']]);
  });

  it('starts nothing once stopped', async () => {
    const clock = new FakeClock(T0 + 500);
    const { log, scheduler } = harness(clock);
    scheduler.start([scheduled('a', { cron: '*/10 * * * * *' })]);
    scheduler.stop();
    await clock.advance(60_000);
    expect(log.runs).toEqual([]);
    expect(clock.pending()).toBe(0);
  });
});

describe('exclusive resources of a scheduled test', () => {
  const plan = (tests: { name: string; scenario: string; params?: unknown; rses?: { names?: string[]; expression?: string } }[]) => ({
    name: 'p', file: 'p.yaml', sandbox: true, lake: { vo: 'def', insecure: false }, credentials: {}, sources: [],
    rses: { names: ['R1', 'R2', 'R3'] },
    experiments: [{ name: 'E', tests: tests.map((t) => ({ ...t, auth: null, params: t.params ?? {}, schedule: { cron: '* * * * *', offsetSeconds: 0, jitterSeconds: 0 } })) }],
  }) as unknown as ResolvedPlan;

  it('holds a burst\'s RSE (its rse param, else the first selected), so two bursts never share one; a sweep holds its links', () => {
    const tests = scheduledTests(plan([
      { name: 'b1', scenario: 'burst', params: { rse: 'R2' } },
      { name: 'b2', scenario: 'burst' },
      { name: 'b3', scenario: 'burst', rses: { expression: 'tier=1' } },
      { name: 's', scenario: 'longhaul-sweep', params: { links: [{ from: 'R1', to: 'R3' }] } },
      { name: 'u', scenario: 'upload' },
    ]));
    expect(Object.fromEntries(tests.map((t) => [t.test, t.locks]))).toEqual({
      b1: ['rse:R2'], b2: ['rse:R1'], b3: ['rses:tier=1'], s: ['link:R1->R3'], u: [],
    });
    for (const t of tests) t.matcher.dispose();
  });
});
