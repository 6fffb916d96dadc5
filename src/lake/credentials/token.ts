// Loads a bearer token (WLCG JWT or opaque). Claims are decoded without verification:
// the lake verifies tokens; we only need expiry and a safe description.
import { decodeJwt } from 'jose';
import { CredentialError } from '../errors.js';
import { readCredentialFile, type ReadOptions } from './read.js';
import type { BearerToken } from './types.js';

export interface TokenLoadOptions extends ReadOptions {
  now?: Date;
  allowExpired?: boolean;
}

/** Issuers and lakes disagree by a few seconds; a token minted "now" must not look premature. */
export const NOT_BEFORE_LEEWAY_MS = 60_000;

export async function loadBearerToken(
  from: { file: string } | { value: string; source: string },
  opts: TokenLoadOptions = {},
): Promise<BearerToken> {
  const source = 'file' in from ? from.file : from.source;
  // WLCG discovery: surrounding whitespace in a token file or variable is not part of the token.
  const token = ('file' in from ? await readCredentialFile(from.file, true, opts) : from.value).trim();
  if (!token) throw new CredentialError('invalid', source, 'token is empty');
  if (/\s/.test(token)) throw new CredentialError('invalid', source, 'token contains whitespace');

  const claims = token.split('.').length === 3 ? jwtClaims(token, source) : null;
  const expiresAt = typeof claims?.exp === 'number' ? new Date(claims.exp * 1000) : null;
  const notBefore = typeof claims?.nbf === 'number' ? new Date(claims.nbf * 1000) : null;
  const now = (opts.now ?? new Date()).getTime();
  if (!opts.allowExpired && expiresAt && now >= expiresAt.getTime()) {
    throw new CredentialError('expired', source, `token expired at ${expiresAt.toISOString()}`);
  }
  if (!opts.allowExpired && notBefore && now + NOT_BEFORE_LEEWAY_MS < notBefore.getTime()) {
    throw new CredentialError('not_yet_valid', source, `token not valid before ${notBefore.toISOString()}`);
  }
  return { token, claims, expiresAt, source };
}

function jwtClaims(token: string, source: string): Record<string, unknown> {
  try {
    return decodeJwt(token);
  } catch {
    throw new CredentialError('invalid', source, 'token looks like a JWT but its claims cannot be decoded');
  }
}
