// Probe checks in a plan: k6-style thresholds (plan-wide or per test) and the regression
// rules that compare a run with a baseline. Each expression is parsed here, so a bad one is
// reported at its own line before anything runs.
import { z } from 'zod';
import { parseThreshold, type Threshold } from '../probe/threshold.js';

export const MAX_THRESHOLD_KEYS = 50;
export const MAX_EXPRESSIONS_PER_KEY = 10;

export const thresholdsSchema = z
  .record(z.string(), z.array(z.string()).min(1).max(MAX_EXPRESSIONS_PER_KEY))
  .superRefine((value, ctx) => {
    const keys = Object.keys(value);
    if (keys.length > MAX_THRESHOLD_KEYS) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_THRESHOLD_KEYS} threshold keys` });
    }
    for (const key of keys) {
      (value[key] ?? []).forEach((expression, i) => {
        try {
          parseThreshold(key, expression);
        } catch (e) {
          ctx.addIssue({ code: 'custom', path: [key, i], message: (e as Error).message });
        }
      });
    }
  })
  .transform((value): Threshold[] =>
    Object.entries(value).flatMap(([key, expressions]) => expressions.map((e) => parseThreshold(key, e))));

export const regressionSchema = z.strictObject({
  throughput_drop_percent: z.number().positive().max(100).optional(),
  p95_rise_percent: z.number().positive().max(10_000).optional(),
  new_error_class: z.boolean().optional(),
  min_samples: z.int().min(1).max(1_000_000).default(1),
});
