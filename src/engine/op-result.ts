import type { ErrorClass } from './taxonomy.js';
import type { ProgressSnapshot } from './run-progress.js';

/** `scenario`: the scenario's own code failed (a bug, class `scenario_crash`), not one of its lake operations. */
export const OPERATIONS = [
  'auth', 'upload', 'register', 'rule', 'replicate', 'download', 'verify', 'delete', 'access', 'list', 'scenario',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export type AuthMethod = 'userpass' | 'x509' | 'token';
/**
 * `skipped`: the operation did not run because an earlier one it needs failed (its message
 * names that one). It is neither a success nor a second failure.
 */
export type Outcome = 'ok' | 'failed' | 'skipped';

/** Operations that ran: what figures, failure rates and verdicts count (skipped ones are not). */
export const performed = (r: Pick<OpResult, 'outcome'>): boolean => r.outcome !== 'skipped';

/**
 * Facts a success criterion needs that counts and times do not carry: the data left its origin
 * (`deleted_at_origin`), the client's listing or search finds it (`discoverable`), its metadata
 * was set and read back (`metadata`), a rule's replicas are where and as many as it asked (`placement`),
 * a read through a cache RSE was served from its disk or fetched from the origin (`cache`).
 */
export const CHECK_KINDS = ['deleted_at_origin', 'discoverable', 'metadata', 'placement', 'cache'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** What a result checked: its kind, what it was checked on (an RSE, a DID, an RSE expression) and, for placement, the copies asked. */
export interface CheckFact {
  kind: CheckKind;
  target: string;
  copies?: number;
  /** For `cache`: whether the cache served the read from its disk (hit) or fetched it from its origin (miss). */
  cache?: 'hit' | 'miss';
}

/**
 * A file's transfer as the catalogue's request showed it (README "Transfers in flight"): queued from
 * `queuedAt` (the request's creation), active from `startedAt` (the copy began; absent when never seen
 * started) until `endedAt`; `failedAttempts` failed and were retried. `seenIn`: `history` when the
 * finished request was read from Rucio's request history, `live` when pieced together from polls of
 * the live request (all an account without root or admin rights may read).
 */
export interface TransferFact {
  queuedAt: string;
  startedAt?: string;
  endedAt: string;
  failedAttempts: number;
  seenIn: 'history' | 'live';
}

/**
 * How much a result matters, read alike by reports, metrics, alerts and exit codes:
 * `critical` (an embargo violation, a checksum mismatch), `error` (any other failure),
 * `warning` (succeeded, but something needs attention soon, e.g. a credential about to expire),
 * `info` (succeeded, nothing to say).
 */
export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The one event type: every lake operation a scenario performs yields exactly one. */
export interface OpResult {
  runId: string;
  experiment: string;
  test: string;
  scenario: string;
  operation: Operation;
  /** The RSE the operation acted on ('' when none, e.g. catalogue auth). */
  rse: string;
  srcRse: string;
  dstRse: string;
  /** 'rucio' for catalogue calls, else the storage protocol. */
  protocol: string;
  authMethod: AuthMethod;
  /** Which identity acted, e.g. 'member' / 'nonmember' for embargo tests. */
  identityRole: string;
  bytes: number;
  /** Bounded label for the file size, e.g. '1MiB' (see sizeClass()). */
  sizeClass: string;
  /** ISO-8601 start time. */
  start: string;
  durationMs: number;
  outcome: Outcome;
  severity: Severity;
  /** null when outcome is 'ok' or 'skipped'. */
  errorClass: ErrorClass | null;
  /** Redacted: never contains tokens, passwords or key material. For a warning, what to look at; when skipped, the failed operation it needed. */
  errorMessage: string;
  ruleId: string;
  requestId: string;
  /**
   * The audiences and scopes of the bearer tokens the operation presented, `aud=… scope="…"`
   * joined by '; ' ('' or absent when it used none); never a token.
   */
  tokenUse?: string;
  /** The agent that ran the operation (absent when the process was not named one with --agent). */
  agent?: string;
  /** Set on a result that establishes a fact a criterion reads (its outcome says whether it held). */
  check?: CheckFact;
  /** Set on a file's replicate result when its transfer request was seen. */
  transfer?: TransferFact;
}

/** Receives results as they happen. Results are written to durable sinks before others see them. */
export interface Sink {
  onBegin?(run: RunInfo): void | Promise<void>;
  onResult(result: OpResult): void | Promise<void>;
  /** Live counters (operations in flight, done / total, bytes), after each operation starts or ends. Synchronous. */
  onProgress?(progress: ProgressSnapshot): void;
  onEnd?(run: RunInfo, summary: RunSummary): void | Promise<void>;
}

export interface RunInfo {
  runId: string;
  planName: string;
  planFile: string;
  startedAt: string;
}

export interface RunSummary {
  /** Operations performed (skipped ones are not). */
  total: number;
  failed: number;
  finishedAt: string;
  /** Scenario runs that threw outside ctx.op (a bug): a run with any cannot pass. */
  scenarioCrashes?: number;
}

/** Whether a string can be an RSE name rather than an RSE expression (which has operators: = | & \\ ( ) *). */
export const isRseName = (s: string): boolean => /^[A-Za-z0-9_.-]+$/.test(s);

const SIZE_UNITS: [number, string][] = [
  [1024 ** 4, 'TiB'], [1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB'],
];

/** Bounded size label: the byte count rounded down to a power of two, in binary units. */
export function sizeClass(bytes: number): string {
  if (bytes <= 0) return '0B';
  const pow2 = 2 ** Math.floor(Math.log2(bytes));
  for (const [unit, name] of SIZE_UNITS) if (pow2 >= unit) return `${pow2 / unit}${name}`;
  return `${pow2}B`;
}
