// Plan keys the challenge report reads: a test's description and the volume / success-rate
// criteria of its `success` block. Spread into schema.ts so the objects stay strict.
import { z } from 'zod';
import { parseSize } from '../engine/sizes.js';

/** Upper bounds, so a typo cannot ask for an exabyte or a century. */
export const REPORT_BOUNDS = {
  descriptionChars: 2000,
  files: 10_000_000,
  bytes: 10 ** 15,
  withinSeconds: 366 * 24 * 3600,
} as const;

const size = z.union([z.number(), z.string()]).transform((v, ctx) => {
  try {
    return parseSize(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
}).pipe(z.number().int().min(1).max(REPORT_BOUNDS.bytes, { error: `must be at most ${REPORT_BOUNDS.bytes} bytes (1 PB)` }));

export const reportTestKeys = {
  description: z.string().max(REPORT_BOUNDS.descriptionChars, { error: `must be at most ${REPORT_BOUNDS.descriptionChars} characters` }).optional(),
};

export const reportSuccessKeys = {
  /** Share of data transfers (upload, replicate, download) that must succeed, e.g. 0.99. */
  min_success_rate: z.number().min(0).max(1).optional(),
  /** Files that must be moved (uploaded or replicated), within `within_seconds` when set. */
  min_files: z.int().min(1).max(REPORT_BOUNDS.files, { error: `must be at most ${REPORT_BOUNDS.files}` }).optional(),
  /** Bytes that must be moved, e.g. "10GiB", within `within_seconds` when set. */
  min_bytes: size.optional(),
  /** Files and bytes count only when they land within this many seconds of the test's first operation. */
  within_seconds: z.number().positive().max(REPORT_BOUNDS.withinSeconds, { error: `must be at most ${REPORT_BOUNDS.withinSeconds} (a year)` }).optional(),
};

export interface ReportSuccess {
  minSuccessRate?: number;
  minFiles?: number;
  minBytes?: number;
  withinSeconds?: number;
}

export function reportSuccess(s: { min_success_rate?: number; min_files?: number; min_bytes?: number; within_seconds?: number }): ReportSuccess {
  const out: ReportSuccess = {};
  if (s.min_success_rate !== undefined) out.minSuccessRate = s.min_success_rate;
  if (s.min_files !== undefined) out.minFiles = s.min_files;
  if (s.min_bytes !== undefined) out.minBytes = s.min_bytes;
  if (s.within_seconds !== undefined) out.withinSeconds = s.within_seconds;
  return out;
}
