// The faults the sandbox can inject, each reproducing a failure seen in a real data
// challenge (DAC21), validated with zod so that a bad spec names the field at fault.
import { z } from 'zod';

export const STORAGE_OPERATIONS = ['PUT', 'GET', 'HEAD', 'DELETE', 'MKCOL', 'PROPFIND', 'COPY', 'MOVE', '*'] as const;
export type StorageOperation = (typeof STORAGE_OPERATIONS)[number];

export const FAULT_USERS = ['member', 'nonmember'] as const;
export type FaultUser = (typeof FAULT_USERS)[number];

/** Why a transfer fails, each as FTS reports it (src/sandbox/transfers/reasons.ts). */
export const TRANSFER_FAILURE_REASONS = [
  'checksum_unavailable', 'source_error', 'tpc_refused', 'source_auth', 'destination_auth', 'no_space', 'timeout', 'no_route',
] as const;
export type TransferFailureReason = (typeof TRANSFER_FAILURE_REASONS)[number];

const rse = z.string().min(1);
const rate = z.number().min(0).max(1);
/** The catalogue's login endpoints of each auth method (Rucio 41 flaskapi/v1/auth.py): a token "logs in" by validation. */
export const LOGIN_PATHS = {
  userpass: ['/auth/userpass'],
  x509: ['/auth/x509', '/auth/x509_proxy', '/auth/x509/webui'],
  token: ['/auth/validate'],
} as const;
export type LoginMethod = keyof typeof LOGIN_PATHS;
const LOGIN_METHODS = Object.keys(LOGIN_PATHS) as [LoginMethod, ...LoginMethod[]];

/** Ten minutes: long enough to outlast any client timeout, short enough to end. */
const delayMs = z.number().int().min(0).max(600_000);

export const faultSpecSchema = z.discriminatedUnion('kind', [
  /** The storage stops listening: connections are refused until the fault is removed. */
  z.strictObject({ kind: z.literal('rse_down'), rse }),
  /** A share of the storage requests (one method or all) answer with an HTTP error. */
  z.strictObject({
    kind: z.literal('error_rate'),
    rse,
    operation: z.enum(STORAGE_OPERATIONS).default('*'),
    rate,
    status: z.number().int().min(400).max(599).default(500),
  }),
  /** Checksum queries (Want-Digest) answer 404 'Checksum not available', as IN2P3 did. */
  z.strictObject({ kind: z.literal('checksum_missing'), rse }),
  /** Transfers to the RSE never finish, so rules to it stay REPLICATING. */
  z.strictObject({ kind: z.literal('transfer_stuck'), rse }),
  /**
   * Every transfer to the RSE fails for this reason, worded as FTS words it; with `attempts`, only the first
   * `attempts` attempts of each transfer fail and the retry after them succeeds (a failure FTS recovers from).
   */
  z.strictObject({
    kind: z.literal('transfer_failure'), rse, reason: z.enum(TRANSFER_FAILURE_REASONS), attempts: z.number().int().min(1).max(20).optional(),
  }),
  /** The catalogue's /auth/* (or only one auth method's login) answers only after the delay. */
  z.strictObject({ kind: z.literal('auth_slow'), delayMs, login: z.enum(LOGIN_METHODS).optional() }),
  /** The catalogue's /auth/* refuses (401 CannotAuthenticate) or fails (500). */
  z.strictObject({ kind: z.literal('auth_fail'), status: z.literal([401, 500]).default(401) }),
  /** The member's proxy and token are rewritten with this lifetime, so they expire mid-run. */
  z.strictObject({ kind: z.literal('short_credentials'), lifetimeSeconds: z.number().int().min(1).max(86_400) }),
  /** The storage refuses bearer tokens (401) while x509 works: OIDC access failing where x509 works, as at DAC21. */
  z.strictObject({ kind: z.literal('token_refused'), rse }),
  /** The storage's gridmap lacks the user's DN. */
  z.strictObject({ kind: z.literal('gridmap_missing'), rse, user: z.enum(FAULT_USERS) }),
  /** A share of catalogue requests fail: 500 with Rucio's error shape, or a bare 502/503 from a proxy. */
  z.strictObject({ kind: z.literal('catalogue_error'), rate, status: z.literal([500, 502, 503]).default(500) }),
  /** A share of catalogue requests answer only after the delay. */
  z.strictObject({ kind: z.literal('catalogue_timeout'), delayMs, rate: rate.default(1) }),
  /** The storage lets anyone read the embargoed tree. */
  z.strictObject({ kind: z.literal('embargo_open'), rse }),
]);

export type FaultSpec = z.output<typeof faultSpecSchema>;
/** A spec as written: fields with defaults may be left out. */
export type FaultSpecInput = z.input<typeof faultSpecSchema>;
export type FaultKind = FaultSpec['kind'];
export const FAULT_KINDS = faultSpecSchema.options.map((o) => o.shape.kind.value) as FaultKind[];

/** Who serves the sandbox's RSEs: lakeprobe's own WebDAV storage or real XRootD servers. */
export type StorageKind = 'builtin' | 'xrootd';

/** Faults decided request by request inside lakeprobe's own storage: an XRootD server has no such hook. */
const BUILTIN_ONLY: readonly FaultKind[] = ['error_rate', 'checksum_missing', 'token_refused'];

/** Why a fault kind cannot act on RSEs of this storage kind, or undefined when it can. */
export function unsupportedFault(kind: FaultKind, storage: StorageKind): string | undefined {
  if (storage !== 'xrootd' || !BUILTIN_ONLY.includes(kind)) return undefined;
  return `${kind} acts inside lakeprobe's builtin storage, and this sandbox's RSEs are XRootD servers, ` +
    'whose answers it cannot change request by request (start the sandbox with --storage builtin for this fault)';
}

/** An invalid fault spec; `problems` holds one 'field: message' line per problem. */
export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
  constructor(readonly problems: string[]) {
    super(`invalid fault: ${problems.join('; ')}`);
  }
}

const requiredField = (issue: { code: string; input?: unknown }): string | undefined =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined;

function problemLines(issues: z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${key}: not a field of this fault kind`);
    if (issue.path[0] === 'kind') return [`kind: must be one of ${FAULT_KINDS.join(', ')}`];
    return [`${issue.path.join('.') || 'spec'}: ${issue.message}`];
  });
}

/** Validates a spec (defaults filled in) or throws FaultSpecError. */
export function parseFaultSpec(input: unknown): FaultSpec {
  const result = faultSpecSchema.safeParse(input, { error: requiredField });
  if (!result.success) throw new FaultSpecError(problemLines(result.error.issues));
  return result.data;
}

/** One line for listings: 'error_rate rse=X operation=PUT rate=0.5 status=500'. */
export function describeFault(spec: FaultSpec): string {
  const fields = Object.entries(spec).filter(([key]) => key !== 'kind').map(([key, value]) => `${key}=${String(value)}`);
  return [spec.kind, ...fields].join(' ');
}
