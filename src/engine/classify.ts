// classify(): any thrown value → one class of the taxonomy plus a redacted one-line message.
// Typed lake errors are decided by their fields; everything else (tool stderr, FTS and
// gfal texts, log lines) by an ordered table of patterns taken from real messages
// (test/fixtures/dac21/).

import {
  ChecksumMismatchError, CredentialError, EmbargoViolationError, InconclusiveError, RseSelectionError, RucioApiError, RuleStateError,
  StorageError,
} from '../lake/errors.js';
import { redact } from './redact.js';
import { ERROR_CLASSES, type ErrorClass } from './taxonomy.js';

export interface Classified {
  errorClass: ErrorClass;
  /** Redacted, one line, at most MAX_MESSAGE characters. */
  message: string;
}

export const MAX_MESSAGE = 300;
const MAX_CAUSE_DEPTH = 5;

const GRIDMAP = /\bgri?d?[- ]?map|could not map|unable to map|no mapping (?:for|of)|cert(?:ificate)? mapping|mapping failed/i;

/** Ordered: the first match wins, so specific patterns come before generic ones. */
const TEXT_RULES: [RegExp, ErrorClass][] = [
  [GRIDMAP, 'gridmap_unmapped'],
  [/destination\W+checksum|checksum\W+(?:at|on|of) (?:the )?destination/i, 'destination_checksum_missing'],
  [/\bno (?:adler32|md5|crc32c?|sha\d*) checksum|checksum (?:is )?(?:missing|not (?:available|provided|supported))/i, 'destination_checksum_missing'],
  [/checksum[^.]*(?:mismatch|do(?:es)? not match|differ)|(?:adler32|md5|crc32c?)\s+mismatch/i, 'checksum_mismatch'],
  // We could not verify the server's chain (OpenSSL, curl, davix wording).
  [
    /certificate verification failed|SSL certificate problem|issuer is not trusted|unable to (?:get local issuer|verify the first)|self[- ]signed certificate|SSL peer certificate/i,
    'tls',
  ],
  // Our own proxy, certificate or token expired (also when a peer's TLS alert says so).
  [
    /alert certificate expired|(?:proxy|certificate|cert|credentials?|token)\b[^.]*\b(?:expired|expiration|not yet valid)|(?:expired|expiration of(?: the)?|timeout of(?: the)?) (?:x509 |voms |grid )?(?:proxy|certificate|credentials?|token)/i,
    'auth_expired',
  ],
  [/connection timed out|connect(?:ion)? time-?out|timed out while connecting/i, 'connect_timeout'],
  [/connection refused|ECONNREFUSED|(?:couldn't|could not|failed to) connect to (?:server|host)|connections?\b[^.]*\brefused/i, 'connection_refused'],
  [/could(?:n't| not) resolve (?:host|proxy)|name or service not known|temporary failure in name resolution|ENOTFOUND|EAI_AGAIN|unknown host/i, 'dns'],
  [/connection reset|ECONNRESET|\bEPIPE\b|broken pipe|socket hang up|failure when receiving data from the peer|server returned nothing|other side closed/i, 'connection_reset'],
  [/SSL connect error|handshake fail|alert (?:handshake|bad certificate|unknown ca)|\b(?:TLS|SSL)\b[^.]*\b(?:error|fail)/i, 'tls'],
  [/protocol (?:is )?not supported|unsupported protocol|no (?:matching|suitable) protocol/i, 'protocol_unsupported'],
  // A rule in state STUCK (upper case, as Rucio prints it) or stuck for want of a source.
  [/\bSTUCK\b|NO_SOURCES/, 'rule_stuck'],
  [/stuck in\W{0,3}replicating|in REPLICATING state/i, 'rule_timeout'],
  [/quota|account limit/i, 'quota'],
  [/login incorrect|cannot authenticate|authentication failed|invalid credentials|wrong password|token (?:is |was )?(?:invalid|not valid)|(?:made|makes) the token invalid|invalid token|not accept\w* (?:my|the) [\w ]*certificate|missing certificates?/i, 'auth_invalid'],
  [/permission denied|access denied|forbidden|not authori[sz]ed|unauthori[sz]ed|insufficient scope|operation not permitted|(?:HTTP|status|code)\W*(?:401|403)\b/i, 'auth_denied'],
  [/no such file|not found|does not exist|(?:HTTP|status|code)\W*404\b|ENOENT/i, 'not_found'],
  [/already exists|already registered|file exists/i, 'already_exists'],
  // An FTS log line "Timeout stopped" says the watchdog was switched off, not that it fired.
  [/timed? ?out(?! stopped)|timeout(?! stopped)|deadline exceeded/i, 'timeout'],
  [/service unavailable|temporarily unavailable|(?:HTTP|status|code)\W*503\b/i, 'service_unavailable'],
  [/internal server error|internal (?:logic )?error|database is locked|(?:HTTP|status|code)\W*5\d\d\b/i, 'server_error'],
  [/failed validating|cannot decode json|(?:invalid|malformed|bad) (?:request|parameter|name)/i, 'invalid_request'],
  // Grid certificates together with a named CA: a trust-chain problem.
  [/[Cc]ertificates?\b(?=.*\bCA\b)/, 'tls'],
];

/** Rucio's generic wrapper; the cause is in the "Details:" that follow it. */
const RUCIO_GENERIC = /the requested service is not available at the moment\.?/i;
const RUCIO_FILLER = /Details:|An unknown exception occurred\.?/gi;

function textClass(text: string): ErrorClass | null {
  const generic = RUCIO_GENERIC.exec(text);
  const subject = generic ? text.slice(generic.index + generic[0].length).replace(RUCIO_FILLER, ' ') : text;
  for (const [pattern, errorClass] of TEXT_RULES) if (pattern.test(subject)) return errorClass;
  return null;
}

function statusClass(status: number): ErrorClass | null {
  if (status === 400) return 'invalid_request';
  if (status === 401) return 'auth_invalid';
  if (status === 403) return 'auth_denied';
  if (status === 404) return 'not_found';
  if (status === 412) return 'already_exists';
  if (status === 503) return 'service_unavailable';
  if (status === 504) return 'timeout';
  if (status >= 500 && status < 600) return 'server_error';
  return null;
}

const RUCIO_CLASSES: Record<string, ErrorClass> = {
  AccessDenied: 'auth_denied',
  InsufficientAccountLimit: 'quota',
  RSEOverQuota: 'quota',
  DataIdentifierNotFound: 'not_found',
  RuleNotFound: 'not_found',
  RSENotFound: 'not_found',
  ScopeNotFound: 'not_found',
  ReplicaNotFound: 'not_found',
  AccountNotFound: 'not_found',
  Duplicate: 'already_exists',
  DataIdentifierAlreadyExists: 'already_exists',
  FileAlreadyExists: 'already_exists',
  DuplicateRule: 'already_exists',
  InvalidObject: 'invalid_request',
  InvalidRSEExpression: 'invalid_request',
  InputValidationError: 'invalid_request',
  ValueError: 'invalid_request',
  InvalidPath: 'invalid_request',
  RSEProtocolNotSupported: 'protocol_unsupported',
  RSEOperationNotSupported: 'protocol_unsupported',
  RSEWriteBlocked: 'service_unavailable',
  ResourceTemporaryUnavailable: 'service_unavailable',
};

function rucioClass(err: RucioApiError): ErrorClass {
  if (err.exceptionClass === 'CannotAuthenticate') {
    return /expired/i.test(err.exceptionMessage) ? 'auth_expired' : 'auth_invalid';
  }
  if (err.exceptionClass === 'InvalidRSEExpression' && /empty set/i.test(err.exceptionMessage)) return 'rse_selection';
  // Generic classes (RucioException, DatabaseException, none from a proxy) say little: read the text.
  return RUCIO_CLASSES[err.exceptionClass] ?? textClass(err.exceptionMessage) ?? statusClass(err.status) ?? 'unknown';
}

/** A class a storage driver decided by a follow-up diagnosis (src/lake/storage/diagnosis.ts). */
function diagnosedClass(err: StorageError): ErrorClass | null {
  const value = (err as { diagnosedClass?: unknown }).diagnosedClass;
  if (typeof value === 'string' && Object.hasOwn(ERROR_CLASSES, value)) return value as ErrorClass;
  // null: the diagnosis found the status the lost answer most likely had.
  return value === null && err.status > 0 ? statusClass(err.status) : null;
}

function storageClass(err: StorageError): ErrorClass {
  const diagnosed = diagnosedClass(err);
  if (diagnosed) return diagnosed;
  const { status, detail } = err;
  const denied = status === 401 || status === 403;
  if (denied && /expired/i.test(detail)) return 'auth_expired';
  if (GRIDMAP.test(detail) || /\bmapping\b/i.test(detail)) return 'gridmap_unmapped';
  if (/embargo/i.test(detail)) return 'auth_denied';
  if (denied) return 'auth_denied';
  if (status === 404) return /checksum|digest/i.test(detail) ? 'destination_checksum_missing' : 'not_found';
  // Non-error statuses (an HTTP-TPC COPY answers 201 and reports failure in the body) and
  // 5xx bodies that name a cause are read before the status.
  return textClass(detail) ?? statusClass(status) ?? 'unknown';
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_REVOKED', 'CERT_SIGNATURE_FAILURE', 'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function codeClass(code: string, syscall: unknown): ErrorClass | null {
  switch (code) {
    case 'ECONNREFUSED': return 'connection_refused';
    case 'ENOTFOUND': case 'EAI_AGAIN': case 'EAI_FAIL': case 'EAI_NONAME': return 'dns';
    // The lake clients raise ETIMEDOUT while connecting / handshaking, ESOCKETTIMEDOUT once connected.
    case 'ETIMEDOUT': return 'connect_timeout';
    case 'ESOCKETTIMEDOUT': return 'timeout';
    case 'ECONNABORTED': return syscall === 'connect' ? 'connect_timeout' : 'connection_reset';
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'UND_ERR_CONNECT_TIMEOUT': return 'connect_timeout';
    case 'ECONNRESET': case 'EPIPE': case 'UND_ERR_SOCKET': return 'connection_reset';
    case 'UND_ERR_HEADERS_TIMEOUT': case 'UND_ERR_BODY_TIMEOUT': return 'timeout';
    case 'ENOENT': return 'not_found';
    case 'ERR_JWT_EXPIRED': return 'auth_expired';
    // The server rejected our (client) certificate because it has expired.
    case 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED': return 'auth_expired';
  }
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return 'tls';
  return null;
}

/** A bearer token refused at or after its `exp` ran out, whatever the status says (storages answer 403). */
function refusedAfterExpiry(err: RucioApiError | StorageError): boolean {
  const r = err.tokenRefusal;
  return Boolean(r?.exp && r.refusedAt.getTime() >= r.exp.getTime());
}

function typedClass(err: unknown, depth: number): ErrorClass {
  if ((err instanceof RucioApiError || err instanceof StorageError) && refusedAfterExpiry(err)) return 'auth_expired';
  if (err instanceof CredentialError) {
    return err.problem === 'expired' || err.problem === 'not_yet_valid' ? 'auth_expired' : 'auth_invalid';
  }
  if (err instanceof ChecksumMismatchError) return 'checksum_mismatch';
  if (err instanceof EmbargoViolationError) return 'embargo_violation';
  if (err instanceof InconclusiveError) return 'inconclusive';
  if (err instanceof RseSelectionError) return 'rse_selection';
  if (err instanceof RuleStateError) return err.state === 'TIMEOUT' ? 'rule_timeout' : 'rule_stuck';
  if (err instanceof RucioApiError) return rucioClass(err);
  if (err instanceof StorageError) return storageClass(err);
  if (typeof err === 'object' && err !== null) {
    const { code, syscall, name, cause } = err as { code?: unknown; syscall?: unknown; name?: unknown; cause?: unknown };
    const byCode = typeof code === 'string' ? codeClass(code, syscall) : null;
    if (byCode) return byCode;
    if (name === 'AbortError' || name === 'TimeoutError') return 'timeout';
    // fetch() throws "fetch failed" and puts the system error in `cause`.
    if (cause !== undefined && depth < MAX_CAUSE_DEPTH) {
      const byCause = typedClass(cause, depth + 1);
      if (byCause !== 'unknown') return byCause;
    }
  }
  return textClass(messageOf(err, depth)) ?? 'unknown';
}

function messageOf(err: unknown, depth = 0): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) {
    const cause = err.cause !== undefined && depth < MAX_CAUSE_DEPTH ? messageOf(err.cause, depth + 1) : '';
    return cause && !err.message.includes(cause) ? `${err.message}: ${cause}` : err.message;
  }
  if (typeof err === 'object' && err !== null && 'message' in err) return String(err.message);
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat;
}

/** Maps any thrown value to an error class and a redacted one-line message. Pure. */
export function classify(err: unknown, secrets: readonly string[] = []): Classified {
  return { errorClass: typedClass(err, 0), message: oneLine(redact(messageOf(err), secrets)) };
}
