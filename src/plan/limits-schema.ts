// Concurrency as data: how many operations a test keeps in flight, and the
// plan-wide bounds on operations, tests and auth methods running at once.
import { z } from 'zod';

/** Operations one test keeps in flight (uploads, registrations, checks). */
export const testConcurrencySchema = z.int().min(1).max(256);

export const limitsSchema = z.strictObject({
  /** Operations in flight across the whole run, whatever the tests ask for. */
  concurrency: z.int().min(1).max(1024).default(64),
  /** Tests of a run that run at the same time. */
  tests_in_parallel: z.int().min(1).max(64).default(1),
  /** Run the auth methods of a test at the same time (at most three). */
  auth_methods_in_parallel: z.boolean().default(true),
  /** Gb/s the plan's transfers may count on per link: `validate` refuses a rule timeout shorter than a test's volume needs at it. */
  link_gbit: z.number().positive().max(1000).default(10),
});

export type LimitsSection = z.output<typeof limitsSchema>;

/** DAC21's links: 10 Gb/s. */
export const DEFAULT_LINK_GBIT = 10;

export const DEFAULT_LIMITS = { concurrency: 64, testsInParallel: 1, authMethodsInParallel: true } as const;
