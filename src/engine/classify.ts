// classify(): any thrown value → one class of the taxonomy plus a redacted one-line message.
// Typed lake errors are decided by their fields; everything else (tool stderr, FTS and
// gfal texts, log lines) by an ordered table of patterns taken from real messages
// (test/fixtures/dac21/).

import {
  ChecksumMismatchError, CredentialError, DeletionStuckError, EmbargoViolationError, TokenIssuerError, InconclusiveError, RseConfigError, RseSelectionError, RucioApiError,
  RuleStateError, ServerCertificateError, StorageError,
} from '../lake/errors.js';
import { refusedBeforeValid } from '../lake/credentials/token-refusal.js';
import { redact } from './redact.js';
import { ERROR_CLASSES, type ErrorClass } from './taxonomy.js';
import { StarvedError } from './outputs.js';

export interface Classified {
  errorClass: ErrorClass;
  /** Redacted, one line, at most MAX_MESSAGE characters. */
  message: string;
}

export const MAX_MESSAGE = 300;
const MAX_CAUSE_DEPTH = 5;

/** A malformed or truncated answer, in the words of XRootD, davix, gfal2, FTS and Rucio. */
const PROTOCOL_ERROR = new RegExp([
  String.raw`(?:invalid|unexpected|wrong|bad|corrupt\w*|malformed|unparsable)\b[^.;]{0,30}\b(?:response|answer|reply|message|data|json|xml)\b`,
  String.raw`(?:pars\w*|decod\w*|unmarshal\w*)\b[^.;]{0,30}\b(?:response|answer|reply|json|xml|header|body|line|location|document)`,
  String.raw`(?:response|answer)\b[^.;]{0,20}\b(?:(?:could not|cannot) be (?:parsed|decoded)|not (?:valid )?json)|(?:xml|json) pars\w* error|failed parsing`,
  String.raw`invalid [\w ]{0,20}(?:status|header) field|\b(?:value|field) in (?:the )?(?:dav |http |server )?response\b|wrong format|invalid redirect`,
  String.raw`(?:could not find|missing) (?:the )?[\w-]+ header|no stat info|truncated|unexpected end of|premature (?:end|close)|incomplete (?:response|answer|json|line)`,
].join('|'), 'i');

const GRIDMAP = /\bgri?d?[- ]?map|could not map|unable to map|user mapping[^.]*fail|no mapping (?:for|of)|cert(?:ificate)? mapping|mapping failed/i;

/** Ordered: the first match wins, so specific patterns come before generic ones. */
const TEXT_RULES: [RegExp, ErrorClass][] = [
  [GRIDMAP, 'gridmap_unmapped'],
  // Which side's certificate failed (davix/neon, OpenSSL alerts the server sent about ours).
  [/server certificate verification failed: certificate has expired|server'?s? (?:host )?certificate\b[^.]*\bexpired/i, 'server_cert_expired'],
  [/server certificate verification failed: issuer is not trusted/i, 'server_ca_untrusted'],
  [/alert (?:certificate unknown|bad certificate|unknown ca|unsupported certificate)|SSL alert number (?:42|43|46|48)\b/i, 'client_cert_refused'],
  // A token or client credential we hold that cannot be decoded is ours, not the server's answer.
  [/(?:decode|deserialize)\w* (?:the )?\w*token/i, 'auth_invalid'],
  // The answer itself is broken: malformed, unparsable or cut short.
  [PROTOCOL_ERROR, 'protocol_error'],
  [/checksum (?:verification )?(?:error|fail)|fail\w* [\w -]*checksum verification|\bsize mismatch|checksum[^.]*(?:mismatch|do(?:es)? not match|differ)/i, 'checksum_mismatch'],
  [/(?:could not|unable to|failed to) (?:get|determine|calculate|compute) (?:the )?checksum|checksums? (?:are |is )?(?:not supported|unavailable)|does(?:n't| not) support (?:\w+ )?checksums|checksum (?:algorithm|type) (?:is )?not supported/i, 'destination_checksum_missing'],
  [/destination\W+checksum|checksum\W+(?:at|on|of) (?:the )?destination/i, 'destination_checksum_missing'],
  [/\bno (?:adler32|md5|crc32c?|sha\d*) checksum|checksum (?:is )?(?:missing|not (?:available|provided|supported))/i, 'destination_checksum_missing'],
  [/(?:adler32|md5|crc32c?)\s+mismatch/i, 'checksum_mismatch'],
  // We could not verify the server's chain (OpenSSL, curl, davix wording).
  [
    /certificate verification failed|SSL certificate problem|issuer is not trusted|unable to (?:get local issuer|verify the first)|self[- ]signed certificate|SSL peer certificate/i,
    'tls',
  ],
  // The trust side: a CA certificate or CRL (expired or failing), the server's host name or identity.
  [/\bCA (?:cert\w*|[Pp]ath|signature)|\bCRL\b|[Ss]erver host ?name|host identity/, 'tls'],
  // Our own proxy, certificate or token expired (also when a peer's TLS alert says so).
  [
    /alert certificate expired|(?:proxy|certificate|cert|credentials?|token|macaroon)\b[^.]*\b(?:expired|expiration|not yet valid)|(?:expired|expiration of(?: the)?|timeout of(?: the)?) (?:x509 |voms |grid )?(?:proxy|certificate|credentials?|token)/i,
    'auth_expired',
  ],
  [/connection timed out|connect(?:ion)? time-?out|timed out while connecting/i, 'connect_timeout'],
  [/connection refused|ECONNREFUSED|(?:couldn't|could not|failed to) connect to (?:server|host)|connections?\b[^.]*\brefused/i, 'connection_refused'],
  [/resolution failed|could(?:n't| not) resolve (?:host|proxy)|name or service not known|temporary failure in name resolution|ENOTFOUND|EAI_AGAIN|unknown host/i, 'dns'],
  [/connection reset|ECONNRESET|\bEPIPE\b|broken pipe|socket hang up|failure when receiving data from the peer|server returned nothing|other side closed|disconnect|aborted (?:in|by) the remote/i, 'connection_reset'],
  [/SSL connect error|handshake fail|alert (?:handshake|bad certificate|unknown ca)|\b(?:TLS|SSL)\b[^.]*\b(?:error|fail)/i, 'tls'],
  // After TLS: XRootD says "Unable to connect" after a failed handshake too.
  [/(?:cannot|can't|could not|unable to) connect|not reachable|connection (?:to \w+ )?not established|\bconnection error\b/i, 'connection_refused'],
  [/protocol (?:is )?not supported|unsupported protocol|no (?:matching|suitable) protocol/i, 'protocol_unsupported'],
  // Storage that is full or whose storage-side quota is used up (Rucio account limits are `quota`).
  [/no space|out of (?:disk )?space|not enough (?:free |disk )?space|(?:disk|pools?) (?:is |are )?full|no write pool available|quota\b[^.]*\bexceeded|ENOSPC/i, 'no_space'],
  // A rule in state STUCK (upper case, as Rucio prints it) or stuck for want of a source.
  [/\bSTUCK\b|NO_SOURCES/, 'rule_stuck'],
  [/stuck in\W{0,3}replicating|in REPLICATING state/i, 'rule_timeout'],
  [/quota|account limit/i, 'quota'],
  // The client side of authentication: credentials we could not load, or the server rejecting them.
  [
    /(?:could not|unable to|failed to|cannot) (?:to )?(?:find|open|load|read|acquire|retrieve)\b[^.]{0,40}\b(?:credentials?|certificate|private key|proxy|token)|\bPEM\b|auth(?:entication)? (?:error|fail)|login (?:failed|denied)|not authenticated|no authentication information|invalid client|account (?:is )?not active|certificate chain is empty|does not accept [\w/ ]*(?:authentication|prox(?:y|ies)|certificates?)/i,
    'auth_invalid',
  ],
  [/permission refused|access to [\w ]*denied|can ?not (?:authori[sz]e|perform)|authz\b[^.]*\b(?:fail|denied)/i, 'auth_denied'],
  [/login incorrect|cannot authenticate|authentication failed|invalid credentials|wrong password|token (?:is |was )?(?:invalid|not valid)|(?:made|makes) the token invalid|invalid token|not accept\w* (?:my|the) [\w ]*certificate|missing certificates?/i, 'auth_invalid'],
  [/permission denied|access denied|forbidden|not authori[sz]ed|unauthori[sz]ed|insufficient scope|operation not permitted|(?:HTTP|status|code)\W*(?:401|403)\b/i, 'auth_denied'],
  // A DID with no replicas listed is one that does not exist anywhere, for a reader.
  [/no such file|not found|\bno (?:\w+ ){1,3}found\b|\bno replicas?\b|does not exist|(?:HTTP|status|code)\W*404\b|ENOENT/i, 'not_found'],
  [/already exists?\b|already registered|file exists?\b|destination (?:file )?exists|overwrite[^.]*not (?:permitted|enabled|allowed)/i, 'already_exists'],
  // An FTS log line "Timeout stopped" says the watchdog was switched off, not that it fired.
  [/timed? ?out(?! stopped)|timeout(?! stopped)|deadline exceeded|(?:operation|request|transfer) expired/i, 'timeout'],
  [/not supported|does(?:n't| not) (?:support|allow) (?:it|the requested|requested)/i, 'protocol_unsupported'],
  [/service unavailable|temporar(?:il)?y (?:un|not )available|\bunavailable\b|not available|pool is disabled|no (?:read |write )?pool configured/i, 'service_unavailable'],
  [/(?:HTTP|status|code)\W*503\b/i, 'service_unavailable'],
  [/internal server error|internal (?:logic )?(?:error|failure)|server error|database (?:is locked|exception|error)|(?:HTTP|status|code)\W*5\d\d\b/i, 'server_error'],
  [/failed validating|cannot decode json|(?:invalid|malformed|bad) (?:request|parameter|name)/i, 'invalid_request'],
  [/considered invalid|does not match (?:the )?schema|input parameters?|\bis invalid\b|syntax error|invalid \w*(?:url|uri)\b|invalid (?:arguments?|path|\w+ value)|pars\w* the (?:url|uri)|exceeds the maximum/i, 'invalid_request'],
  // Grid certificates together with a named CA: a trust-chain problem.
  [/[Cc]ertificates?\b(?=.*\bCA\b)/, 'tls'],
];

/**
 * A transfer's own reason (FTS's "SCOPE [errno] text" as Rucio keeps it in the request's and the
 * rule's error), read before the rule state so a STUCK rule says why its transfers failed.
 */
const TRANSFER_RULES: [RegExp, ErrorClass][] = [
  [/NO_SOURCES\b.*\b(?:no (?:path|route)|distance)/i, 'transfer_no_route'],
  [/destination\W+checksum|checksum\W+(?:at|on|of) (?:the )?destination/i, 'destination_checksum_missing'],
  [/\bno space left|\bENOSPC\b|insufficient storage|\b(?:HTTP|status code)\W*507\b|space token\W[^.]*full/i, 'transfer_no_space'],
  [/COPY refused|third[- ]party copy (?:is )?(?:not (?:enabled|supported)|disabled|refused)|\bTPC\b[^.]*(?:not supported|disabled)/i, 'transfer_tpc_refused'],
  [/^\W*(?:TRANSFER \[\d+\] )?SOURCE\b[^.]*\b(?:HTTP\W*(?:401|403)|Authentication Error|Permission (?:denied|refused))/i, 'transfer_source_auth'],
  [/^\W*(?:TRANSFER \[\d+\] )?DESTINATION\b[^.]*\b(?:HTTP\W*(?:401|403)|Authentication Error|Permission (?:denied|refused))/i, 'transfer_destination_auth'],
  // XrdTpc's pull (the destination reads the source): "failure: Remote side failed with status code 500".
  [/^\W*(?:TRANSFER \[\d+\] )?SOURCE\b[^.]*\b(?:HTTP\W*5\d\d|server error)|rejected GET: 5\d\d|Remote side failed with status code 5\d\d/i, 'transfer_source_error'],
  [/performance marker timeout|TRANSFER\b[^.]*\b(?:timed out|timeout)|\[110\]/i, 'transfer_timeout'],
];
const REQUEST_PREFIX = /^RequestErrMsg\.\w+:/;

function transferClass(detail: string): ErrorClass | null {
  const reason = detail.replace(REQUEST_PREFIX, '');
  for (const [pattern, errorClass] of TRANSFER_RULES) if (pattern.test(reason)) return errorClass;
  return null;
}

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
  // The catalogue's own permission policy, not the storage's nor the credential's.
  AccessDenied: 'catalogue_denied',
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
  return RUCIO_CLASSES[err.exceptionClass] ?? withStatus(textClass(err.exceptionMessage), err.status);
}

/** A malformed answer that still carried an error status is that status's failure. */
function withStatus(byText: ErrorClass | null, status: number): ErrorClass {
  if (byText === 'protocol_error') return statusClass(status) ?? byText;
  return byText ?? statusClass(status) ?? 'unknown';
}

/** A class a storage driver decided by a follow-up diagnosis (src/lake/storage/diagnosis.ts). */
function diagnosedClass(err: StorageError): ErrorClass | null {
  const value = (err as { diagnosedClass?: unknown }).diagnosedClass;
  if (typeof value === 'string' && Object.hasOwn(ERROR_CLASSES, value)) return value as ErrorClass;
  // null: the diagnosis found the answer the lost one most likely had; classify by it, body included.
  if (value !== null || err.status <= 0) return null;
  const answer = (err as { answer?: unknown }).answer;
  return storageClass(new StorageError(err.status, err.method, err.url, typeof answer === 'string' ? answer : ''));
}

function storageClass(err: StorageError): ErrorClass {
  const diagnosed = diagnosedClass(err);
  if (diagnosed) return diagnosed;
  const { status, detail } = err;
  // The server's certificate failed our check: whatever status the tool reports, not our credential.
  if (/server certificate verification failed/i.test(detail)) return textClass(detail) ?? 'tls';
  const denied = status === 401 || status === 403;
  if (denied && /expired/i.test(detail)) return 'auth_expired';
  if (GRIDMAP.test(detail) || /\bmapping\b/i.test(detail)) return 'gridmap_unmapped';
  // xrdcp/xrdfs when XRootD refuses the identity at login (an unmapped DN where the gridmap is required).
  if (denied && /Authentication with \w+ failed|No protocols left to try/i.test(detail)) return 'identity_refused';
  if (/embargo/i.test(detail)) return 'auth_denied';
  if (denied) return 'auth_denied';
  if (status === 404) return /checksum|digest/i.test(detail) ? 'destination_checksum_missing' : 'not_found';
  // RFC 4918 507 Insufficient Storage: the server cannot store the representation.
  if (status === 507) return 'no_space';
  // Non-error statuses (an HTTP-TPC COPY answers 201 and reports failure in the body) and
  // 5xx bodies that name a cause are read before the status.
  return withStatus(textClass(detail), status);
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
    // The server refused our certificate or proxy (TLS alerts 42, 46, 48).
    case 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE': case 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN': case 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA':
      return 'client_cert_refused';
    case 'CERT_HAS_EXPIRED': case 'CERT_NOT_YET_VALID': return 'server_cert_expired';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE': case 'UNABLE_TO_GET_ISSUER_CERT': case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN': case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'server_ca_untrusted';
  }
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return 'tls';
  return null;
}

/** A bearer token refused at or after its `exp` ran out, whatever the status says (storages answer 403). */
function refusedAfterExpiry(err: RucioApiError | StorageError): boolean {
  const r = err.tokenRefusal;
  return Boolean(r?.exp && r.refusedAt.getTime() >= r.exp.getTime());
}

/** A bearer token refused before its `nbf` (lakeprobe allows some leeway, the lake none): clock skew. */
function refusedBeforeNotBefore(err: RucioApiError | StorageError): boolean {
  return err.tokenRefusal ? refusedBeforeValid(err.tokenRefusal) : false;
}

/** A token request the issuer refused (RFC 6749 §5.2 codes) or could not answer. */
function issuerClass(err: TokenIssuerError): ErrorClass {
  if (err.status === 503) return 'service_unavailable';
  if (err.status >= 500) return 'server_error';
  if (err.oauthError === 'invalid_scope' || err.oauthError === 'invalid_target') return 'auth_denied';
  return 'auth_invalid';
}

function typedClass(err: unknown, depth: number): ErrorClass {
  // A token refused after its exp, or before its nbf: expired or not yet valid, whatever the status.
  if ((err instanceof RucioApiError || err instanceof StorageError) && (refusedAfterExpiry(err) || refusedBeforeNotBefore(err))) return 'auth_expired';
  if (err instanceof TokenIssuerError) return issuerClass(err);
  if (err instanceof CredentialError) {
    return err.problem === 'expired' || err.problem === 'not_yet_valid' ? 'auth_expired' : 'auth_invalid';
  }
  if (err instanceof ServerCertificateError) return err.problem === 'untrusted' ? 'server_ca_untrusted' : 'server_cert_expired';
  if (err instanceof ChecksumMismatchError) return 'checksum_mismatch';
  if (err instanceof EmbargoViolationError) return 'embargo_violation';
  if (err instanceof InconclusiveError) return 'inconclusive';
  if (err instanceof RseSelectionError) return 'rse_selection';
  if (err instanceof DeletionStuckError) return 'deletion_stuck';
  if (err instanceof StarvedError) return 'upstream_starved';
  if (err instanceof RseConfigError) return 'rse_config';
  if (err instanceof RuleStateError) return transferClass(err.detail) ?? (err.state === 'TIMEOUT' ? 'rule_timeout' : 'rule_stuck');
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
