// When a lake refuses a bearer token, the admin needs to know which token it was (issuer,
// audience, scope, expiry) without ever seeing the token itself, and whether it had
// simply run out by then: a refusal after `exp` is an expiry, whatever the status says.
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
    iss: claimText(c.iss), aud: claimText(c.aud), scope: claimText(c.scope),
    exp: token.expiresAt, refusedAt, source: token.source,
  };
}

/** 'token exp=… (expired when refused) iss=… aud=… scope="…"': expiry first, the long scope last (messages are cut at 300). */
export function describeTokenRefusal(r: TokenRefusal): string {
  const exp = r.exp ? r.exp.toISOString() : 'none';
  const expired = r.exp && r.refusedAt.getTime() >= r.exp.getTime() ? ' (expired when refused)' : '';
  return `token exp=${exp}${expired} iss=${r.iss} aud=${r.aud} scope="${r.scope}"`;
}

/**
 * A refusal of the token by the catalogue (401, or the 500 CannotAuthenticate Rucio 41's /auth/validate
 * answers) or a storage (401/403).
 */
export function isTokenRefusal(error: unknown): error is RucioApiError | StorageError {
  if (error instanceof RucioApiError) return error.status === 401 || error.exceptionClass === 'CannotAuthenticate';
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
