// Plan keys the challenge report reads: a test's description and the criteria of its `success`
// block, in words a coordinator writes (files / volume within a time, a sustained rate, time to
// replicate per link, no rule stuck, deleted at origin, replicas on QoS classes, discoverable,
// availability). Spread into schema.ts so the objects stay strict; contradictions are refused here.
import { z } from 'zod';
import { parseSize } from '../engine/sizes.js';
import type { CheckKind } from '../engine/op-result.js';

/** Upper bounds, so a typo cannot ask for an exabyte or a century. */
export const REPORT_BOUNDS = {
  descriptionChars: 2000,
  files: 10_000_000,
  bytes: 10 ** 15,
  withinSeconds: 366 * 24 * 3600,
  /** 1 TB/s: beyond any link a lake has. */
  rateBytesPerSecond: 10 ** 12,
  replicas: 20,
  copies: 10,
  expressionChars: 500,
} as const;

const size = z.union([z.number(), z.string()]).transform((v, ctx) => {
  try {
    return parseSize(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
}).pipe(z.number().int().min(1).max(REPORT_BOUNDS.bytes, { error: `must be at most ${REPORT_BOUNDS.bytes} bytes (1 PB)` }));

/** A rate as "100MB/s" (any size unit, per second) or a number of bytes per second. */
const rate = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const text = typeof v === 'string' ? v.trim() : v;
  if (typeof text === 'string' && !/\/\s*s$/i.test(text)) {
    ctx.addIssue({ code: 'custom', message: `not a rate: "${text}" (use e.g. 100MB/s, 1GiB/s, or bytes per second as a number)` });
    return z.NEVER;
  }
  try {
    return parseSize(typeof text === 'string' ? text.replace(/\/\s*s$/i, '') : text);
  } catch {
    ctx.addIssue({ code: 'custom', message: `not a rate: "${String(text)}" (use e.g. 100MB/s, 1GiB/s, or bytes per second as a number)` });
    return z.NEVER;
  }
}).pipe(z.number().positive().max(REPORT_BOUNDS.rateBytesPerSecond, { error: `must be at most ${REPORT_BOUNDS.rateBytesPerSecond} bytes per second (1 TB/s)` }));

const seconds = z.number().positive().max(REPORT_BOUNDS.withinSeconds, { error: `must be at most ${REPORT_BOUNDS.withinSeconds} (a year)` });

export const reportTestKeys = {
  description: z.string().max(REPORT_BOUNDS.descriptionChars, { error: `must be at most ${REPORT_BOUNDS.descriptionChars} characters` }).optional(),
};

const replicaSpec = z.strictObject({
  /** An RSE expression or QoS class the test's rules ask for, e.g. QOS=SAFE. */
  expression: z.string().min(1).max(REPORT_BOUNDS.expressionChars, { error: `at most ${REPORT_BOUNDS.expressionChars} characters` }),
  copies: z.int().min(1).max(REPORT_BOUNDS.copies, { error: `at most ${REPORT_BOUNDS.copies}` }).default(1),
});

export const reportSuccessKeys = {
  /** Share of data transfers (upload, replicate, download) that must succeed, e.g. 0.99. */
  min_success_rate: z.number().min(0).max(1).optional(),
  /** Files that must be moved (uploaded or replicated), within `within_seconds` when set. */
  min_files: z.int().min(1).max(REPORT_BOUNDS.files, { error: `must be at most ${REPORT_BOUNDS.files}` }).optional(),
  /** Bytes that must be moved, e.g. "10GiB", within `within_seconds` when set. */
  min_bytes: size.optional(),
  /** Files and bytes count only when they land within this many seconds of the test's first operation. */
  within_seconds: seconds.optional(),
  /** Sustained data rate: bytes moved over the test's wall time, e.g. "100MB/s". Kept as is by --scale. */
  min_rate: rate.optional(),
  /** Time to replicate (rule creation → OK on the link), this percentile on every link at most max_seconds. */
  replication_time: z.strictObject({
    percentile: z.number().min(1).max(100).default(95),
    max_seconds: seconds,
  }).optional(),
  /** No rule stuck, and none replicating longer than this many seconds. */
  max_rule_seconds: seconds.optional(),
  /** The data is gone from its origin after replication (as CTA, MAGIC and LOFAR asked). */
  deleted_at_origin: z.literal(true, { error: 'set true, or leave it out' }).optional(),
  /** Replicas on the asked QoS classes / RSE expressions, with the asked copies. */
  replicas: z.array(replicaSpec).min(1).max(REPORT_BOUNDS.replicas, { error: `at most ${REPORT_BOUNDS.replicas}` }).optional(),
  /** The data is found by the client's listing / search of its DID. */
  discoverable: z.literal(true, { error: 'set true, or leave it out' }).optional(),
  /** Metadata was set on the data and read back. */
  metadata: z.literal(true, { error: 'set true, or leave it out' }).optional(),
  /** Availability of every RSE the test exercised, over the report's window (share of time slots with a success). */
  min_availability: z.number().gt(0).max(1).optional(),
};

type SuccessKeys = { [K in keyof typeof reportSuccessKeys]?: z.output<(typeof reportSuccessKeys)[K]> };

/** Criteria that contradict one another or say nothing on their own, refused with the key at fault. */
export function successProblems(s: SuccessKeys, ctx: z.RefinementCtx): void {
  if (s.within_seconds !== undefined && s.min_files === undefined && s.min_bytes === undefined) {
    ctx.addIssue({ code: 'custom', path: ['within_seconds'], message: 'within_seconds needs min_files or min_bytes: what must arrive within that time' });
  }
  if (s.replication_time && s.max_rule_seconds !== undefined && s.replication_time.max_seconds > s.max_rule_seconds) {
    ctx.addIssue({ code: 'custom', path: ['replication_time', 'max_seconds'], message: `more than max_rule_seconds (${s.max_rule_seconds}): a file cannot take longer than its rule` });
  }
  const seen = new Set<string>();
  s.replicas?.forEach((r, i) => {
    if (seen.has(r.expression)) ctx.addIssue({ code: 'custom', path: ['replicas', i, 'expression'], message: `"${r.expression}" is asked twice` });
    seen.add(r.expression);
  });
}

/** The criteria that need a fact only some scenarios record, and the fact. */
export const CRITERION_CHECKS: readonly { key: keyof SuccessKeys; check: CheckKind }[] = [
  { key: 'deleted_at_origin', check: 'deleted_at_origin' },
  { key: 'discoverable', check: 'discoverable' },
  { key: 'metadata', check: 'metadata' },
  { key: 'replicas', check: 'placement' },
  { key: 'replication_time', check: 'placement' },
  { key: 'max_rule_seconds', check: 'placement' },
];

export interface ReportSuccess {
  minSuccessRate?: number;
  minFiles?: number;
  minBytes?: number;
  withinSeconds?: number;
  /** Bytes per second. */
  minRate?: number;
  replicationTime?: { percentile: number; maxSeconds: number };
  maxRuleSeconds?: number;
  deletedAtOrigin?: boolean;
  replicas?: { expression: string; copies: number }[];
  discoverable?: boolean;
  metadata?: boolean;
  minAvailability?: number;
}

export function reportSuccess(s: SuccessKeys): ReportSuccess {
  const out: ReportSuccess = {};
  if (s.min_success_rate !== undefined) out.minSuccessRate = s.min_success_rate;
  if (s.min_files !== undefined) out.minFiles = s.min_files;
  if (s.min_bytes !== undefined) out.minBytes = s.min_bytes;
  if (s.within_seconds !== undefined) out.withinSeconds = s.within_seconds;
  if (s.min_rate !== undefined) out.minRate = s.min_rate;
  if (s.replication_time) out.replicationTime = { percentile: s.replication_time.percentile, maxSeconds: s.replication_time.max_seconds };
  if (s.max_rule_seconds !== undefined) out.maxRuleSeconds = s.max_rule_seconds;
  if (s.deleted_at_origin) out.deletedAtOrigin = true;
  if (s.replicas) out.replicas = s.replicas.map((r) => ({ expression: r.expression, copies: r.copies }));
  if (s.discoverable) out.discoverable = true;
  if (s.metadata) out.metadata = true;
  if (s.min_availability !== undefined) out.minAvailability = s.min_availability;
  return out;
}
