// When a lake refuses a bearer token, the admin needs to know which token it was (issuer,
// audience, scope, expiry) without ever seeing the token itself, and whether it had
// simply run out by then: a refusal after `exp` is an expiry, whatever the status says. A
// refusal before `nbf` (lakeprobe uses a token up to NOT_BEFORE_LEEWAY_MS early, token.ts) is the clocks
// of issuer and lake disagreeing: a lake that allows no skew refuses it.
import { RucioApiError, StorageError, type TokenRefusal } from '../errors.js';
import type { StorageDriver } from '../storage/driver.js';
import type { BearerToken } from './types.js';

const MAX_CLAIM_CHARS = 80;

function claimText(value: unknown): string {
  const text = Array.isArray(value) ? value.map(String).join(',') : value === undefined || value === null ? '-' : String(value);
  // Claims come from outside: keep them one short line.
  const flat = text.replace(/\s+/g, ' ').trim() || '-';
  return flat.length > MAX_CLAIM_CHARS ? `${flat.slice(0, MAX_CLAIM_CHARS - 1)}…` : flat;
}

/** The facts of a token that say what it is, never the token itself. */
export function tokenFacts(token: BearerToken, refusedAt: Date): TokenRefusal {
  const c = token.claims ?? {};
  return {
    iss: claimText(c.iss), sub: claimText(c.sub), aud: claimText(c.aud), scope: claimText(c.scope),
    exp: token.expiresAt, nbf: typeof c.nbf === 'number' ? new Date(c.nbf * 1000) : null, refusedAt, source: token.source,
  };
}

/**
 * A refusal of a token before its `nbf`: lakeprobe used it within its not-before leeway, the lake allows
 * none. Only a refusal before `nbf` by this clock says so: a fresh token refused just after its `nbf` is
 * far more often refused for what it is (audience, scope) than for a lake's clock running behind.
 */
export function refusedBeforeValid(r: TokenRefusal): boolean {
  const expired = r.exp && r.refusedAt.getTime() >= r.exp.getTime();
  return Boolean(r.nbf && !expired && r.refusedAt.getTime() < r.nbf.getTime());
}

function notBeforeText(r: TokenRefusal): string {
  if (!r.nbf) return 'nbf=none';
  if (!refusedBeforeValid(r)) return `nbf=${r.nbf.toISOString()}`;
  const seconds = Math.round((r.nbf.getTime() - r.refusedAt.getTime()) / 1000);
  return `nbf=${r.nbf.toISOString()} (clock skew: refused ${seconds} s before it)`;
}

/**
 * 'token exp=… (expired when refused) iss=… aud=… sub=… nbf=… scope="…"': what most often explains a refusal
 * first (iss and sub are the identity a catalogue maps to an account), the long scope last (messages are cut at 300); a refusal before nbf (clock skew) leads with it.
 */
export function describeTokenRefusal(r: TokenRefusal): string {
  const exp = r.exp ? r.exp.toISOString() : 'none';
  const expired = r.exp && r.refusedAt.getTime() >= r.exp.getTime() ? ' (expired when refused)' : '';
  if (refusedBeforeValid(r)) return `token ${notBeforeText(r)} exp=${exp} iss=${r.iss} aud=${r.aud} sub=${r.sub} scope="${r.scope}"`;
  return `token exp=${exp}${expired} iss=${r.iss} aud=${r.aud} sub=${r.sub} ${notBeforeText(r)} scope="${r.scope}"`;
}

/**
 * A refusal of the token by the catalogue (401 other than AccessDenied, or the 500 CannotAuthenticate
 * Rucio 41's /auth/validate answers) or a storage (401/403).
 */
export function isTokenRefusal(error: unknown): error is RucioApiError | StorageError {
  // AccessDenied is the catalogue's permission policy refusing the account, whatever the credential.
  if (error instanceof RucioApiError) return error.exceptionClass !== 'AccessDenied' && (error.status === 401 || error.exceptionClass === 'CannotAuthenticate');
  if (error instanceof StorageError) return error.status === 401 || error.status === 403;
  return false;
}

/**
 * Adds the token's facts to a refusal (same error, same class and status, so callers that
 * expect a refusal still see one) and returns it; any other error is returned untouched.
 */
export function annotateTokenRefusal<E>(error: E, token: BearerToken, now: Date = new Date()): E {
  if (!isTokenRefusal(error) || error.tokenRefusal) return error;
  error.tokenRefusal = tokenFacts(token, now);
  error.message = `${error.message} (${describeTokenRefusal(error.tokenRefusal)})`;
  return error;
}

/** A storage driver whose refusals name the token they refused (every method, whatever the driver adds). */
export function withTokenRefusals(driver: StorageDriver, token: BearerToken, now: () => Date = () => new Date()): StorageDriver {
  const annotate = (e: unknown): never => {
    throw annotateTokenRefusal(e, token, now());
  };
  return new Proxy(driver, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const out: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        return out instanceof Promise ? out.catch(annotate) : out;
      };
    },
  });
}
