// `lake.timeouts`: per-phase limits of every storage and catalogue request, in seconds, as a
// plan sets them. The lake clients take them in milliseconds (src/lake/storage/timeouts.ts).
import { z } from 'zod';
import type { StorageTimeouts } from '../lake/storage/timeouts.js';

/** Seconds: at least 0.1 s (a smaller limit fails every request), at most a day. */
const seconds = (most: number): z.ZodNumber =>
  z.number({ error: 'must be a number of seconds' }).min(0.1, { error: 'must be at least 0.1 seconds' })
    .max(most, { error: `must be at most ${most} seconds` });

export const lakeTimeoutsSchema = z.strictObject({
  /** Until the TLS session is up. */
  connect: seconds(600).optional(),
  /** From the end of the request (with its body) until the response headers. */
  first_byte: seconds(3600).optional(),
  /** Longest time without a byte moving while a body is sent or received. */
  stall: seconds(3600).optional(),
  /** A whole request, body included (default: no limit). */
  total: seconds(86_400).optional(),
});

export type LakeTimeoutsSection = z.output<typeof lakeTimeoutsSchema>;

/** The driver form of a plan's `lake.timeouts` (only the phases it sets). */
export function storageTimeoutsOf(section: LakeTimeoutsSection): Partial<StorageTimeouts> {
  const ms = (s: number | undefined): number | undefined => (s === undefined ? undefined : Math.round(s * 1000));
  const out: Partial<StorageTimeouts> = {};
  if (section.connect !== undefined) out.connectMs = ms(section.connect);
  if (section.first_byte !== undefined) out.firstByteMs = ms(section.first_byte);
  if (section.stall !== undefined) out.stallMs = ms(section.stall);
  if (section.total !== undefined) out.totalMs = ms(section.total);
  return out;
}
