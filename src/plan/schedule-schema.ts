// The `schedule` of a test as written in the plan. The daemon (src/schedule/) reads
// the resolved form; cross-field checks that need the scenario (cycle values) or
// only warn (day-of-month with day-of-week) are in schedule-checks.ts.
import { z } from 'zod';
import { cronProblem } from './cron.js';

export const MAX_OFFSET_SECONDS = 86_400;
export const MAX_JITTER_SECONDS = 3_600;
export const MAX_CYCLE_VALUES = 24;

/** True when `zone` is an IANA time zone this Node knows (UTC included). */
export function knownTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const cycleSchema = z.strictObject({
  /** The scenario parameter that takes a new value at each fire, e.g. `size`. */
  param: z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'must be a scenario parameter name' }).max(64),
  values: z.array(z.union([z.string().max(64), z.number()])).min(2).max(MAX_CYCLE_VALUES),
});

export const scheduleSchema = z.strictObject({
  cron: z.string().max(200).superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** Added to every cron fire time, to stagger tests that share an expression. */
  offset_seconds: z.int().min(0).max(MAX_OFFSET_SECONDS, { error: `at most ${MAX_OFFSET_SECONDS} (a day)` }).default(0),
  /** A further delay in [0, jitter] seconds, derived from the seed and the fire time (reproducible). */
  jitter_seconds: z.int().min(0).max(MAX_JITTER_SECONDS, { error: `at most ${MAX_JITTER_SECONDS} (an hour)` }).default(0),
  /** Seed of the jitter; default: the experiment and test names. */
  jitter_seed: z.string().min(1).max(200).optional(),
  /** IANA time zone the cron expression is read in. */
  timezone: z.string().max(64).refine(knownTimezone, { error: 'unknown time zone (use an IANA name such as UTC or Europe/Amsterdam)' }).default('UTC'),
  /** The n-th fire of the day (from 0, in the schedule's time zone) runs with values[n mod length]. */
  cycle: cycleSchema.optional(),
});

export type ScheduleSection = z.output<typeof scheduleSchema>;
