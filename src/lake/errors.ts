// Typed errors thrown by the lake clients (Rucio, storage, credentials).
// The engine's taxonomy (src/engine/taxonomy.ts) turns them into error classes;
// lake clients never decide classes themselves.
import { catalogueOperation } from './rucio/operation-name.js';

/** What a refused bearer token was (never the token itself), attached to the refusal. */
export interface TokenRefusal {
  iss: string;
  /** The token's subject: with `iss`, the identity the lake must map to an account. */
  sub: string;
  aud: string;
  scope: string;
  /** The token's `exp`, null when it has none. */
  exp: Date | null;
  /** The token's `nbf`, null when it has none. */
  nbf: Date | null;
  /** When the lake refused it: at or after `exp` the refusal is an expiry. */
  refusedAt: Date;
  /** Where the token came from (file path or variable name). */
  source: string;
}

/** A Rucio REST call failed. Rucio's status codes are inconsistent: classify by exceptionClass. */
export class RucioApiError extends Error {
  override readonly name = 'RucioApiError';
  constructor(
    readonly status: number,
    /** The ExceptionClass header/body field, or '' when the server sent none (e.g. a proxy's 502). */
    readonly exceptionClass: string,
    readonly exceptionMessage: string,
    readonly method: string,
    readonly path: string,
  ) {
    // A permission refusal names the service and the operation, so it is not read as the storage's or the credential's.
    const refusal = exceptionClass === 'AccessDenied' ? `the catalogue refused this account "${catalogueOperation(method, path)}": ` : '';
    super(`${method} ${path}: ${status} ${exceptionClass || 'HTTP error'}: ${refusal}${exceptionMessage}`);
  }

  /** Set when the refused credential was a bearer token (see annotateTokenRefusal). */
  tokenRefusal?: TokenRefusal;
}

/** A storage (WebDAV / XRootD / gfal) operation failed. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    /** HTTP status, or 0 when the failure was not an HTTP answer (tool exit, stream error). */
    readonly status: number,
    readonly method: string,
    readonly url: string,
    /** Short server-provided detail (response body head, tool stderr), already free of secrets. */
    readonly detail: string,
  ) {
    super(`${method} ${url}: ${status ? `${status} ` : ''}${detail}`);
  }

  /** Set when the refused credential was a bearer token (see annotateTokenRefusal). */
  tokenRefusal?: TokenRefusal;
}

export type ServerCertificateProblem = 'expired' | 'not_yet_valid' | 'untrusted';

/** The server's host certificate failed verification: the site's side, not the user's credential. */
export class ServerCertificateError extends Error {
  override readonly name = 'ServerCertificateError';
  constructor(
    readonly problem: ServerCertificateProblem,
    readonly method: string,
    readonly url: string,
    /** host:port that presented it. */
    readonly endpoint: string,
    readonly certificate: { subject: string; issuer: string; validFrom: string; validTo: string },
    detail: string,
    /** Node's verification code (CERT_HAS_EXPIRED, SELF_SIGNED_CERT_IN_CHAIN …). */
    readonly code = '',
  ) {
    const what = {
      expired: `expired on ${certificate.validTo}`,
      not_yet_valid: `is valid only from ${certificate.validFrom}`,
      untrusted: 'has an issuer this client does not trust',
    }[problem];
    super(`${method} ${url}: the server's host certificate at ${endpoint} ${what} (subject ${certificate.subject}; issuer ${certificate.issuer}; `
      + `valid ${certificate.validFrom} to ${certificate.validTo}): ${detail}`);
  }
}

export type CredentialProblem = 'missing' | 'unreadable' | 'invalid' | 'expired' | 'not_yet_valid';

/** A credential (proxy, certificate, key, token, password) could not be used. */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';
  constructor(
    readonly problem: CredentialProblem,
    /** What credential: a file path or a description such as 'BEARER_TOKEN'. Never its content. */
    readonly source: string,
    detail: string,
  ) {
    super(`${source}: ${detail}`);
  }
}

/** A checksum computed on one side differs from the one on the other side. */
export class ChecksumMismatchError extends Error {
  override readonly name = 'ChecksumMismatchError';
  constructor(
    readonly algorithm: string,
    readonly expected: string,
    readonly actual: string,
    readonly where: string,
    /** Which replica: the file as scope:name and the PFN read, so one bad replica among many is named. */
    readonly replica?: { did: string; pfn: string },
  ) {
    const which = replica ? ` of ${replica.did} (${replica.pfn})` : '';
    super(`${algorithm} mismatch at ${where}${which}: expected ${expected}, got ${actual}`);
  }
}

/** Data lakeprobe asked the lake to remove (a rule cut at its origin) is still listed there after the wait. */
export class DeletionStuckError extends Error {
  override readonly name = 'DeletionStuckError';
  constructor(readonly rse: string, readonly detail: string) {
    super(`not deleted at ${rse}: ${detail}`);
  }
}

/** A replication rule ended STUCK/SUSPENDED, or did not reach OK in time. */
export class RuleStateError extends Error {
  override readonly name = 'RuleStateError';
  constructor(
    readonly ruleId: string,
    /** The rule's final state, or 'TIMEOUT' when it was still replicating at the deadline. */
    readonly state: string,
    readonly detail: string,
  ) {
    super(`rule ${ruleId} ${state === 'TIMEOUT' ? 'did not reach OK in time' : `is ${state}`}${detail ? `: ${detail}` : ''}`);
  }
}

/** An identity outside the embargo group could read embargoed data. */
export class EmbargoViolationError extends Error {
  override readonly name = 'EmbargoViolationError';
  constructor(readonly url: string, readonly identity: string) {
    super(`${identity} could read embargoed ${url}: the storage must refuse it`);
  }
}

/** An RSE expression resolves to no RSE, or a QoS expression to an RSE without a QoS class. */
export class RseSelectionError extends Error {
  override readonly name = 'RseSelectionError';
}

/** An RSE setting a plan depends on is off or missing: an availability flag, a protocol for an operation, a distance. */
export class RseConfigError extends Error {
  override readonly name = 'RseConfigError';
}

/** A check could not decide, e.g. the identity that must be refused was not shown to work at all. */
export class InconclusiveError extends Error {
  override readonly name = 'InconclusiveError';
}

/**
 * An OAuth 2.0 token endpoint refused or failed a token request. `oauthError` is the
 * RFC 6749 §5.2 / RFC 8693 error code it answered (absent for a non-OAuth answer).
 */
export class TokenIssuerError extends Error {
  override readonly name = 'TokenIssuerError';
  constructor(
    readonly issuer: string,
    readonly status: number,
    readonly oauthError: string | undefined,
    /** What was asked: grant, audience and scope (never a secret). */
    readonly asked: string,
    detail: string,
  ) {
    super(`token request to ${issuer} (${asked}) refused: ${detail}`);
  }
}
