import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

/** Default audience of the WLCG profile: any relying party. */
export const WLCG_ANY_AUDIENCE = 'https://wlcg.cern.ch/jwt/v1/any';

/** What the sandbox's storage (builtin and XRootD alike) is configured to accept as `aud`. */
export const SANDBOX_STORAGE_AUDIENCES = [WLCG_ANY_AUDIENCE, 'rucio'];

/**
 * Is a token with `aud` meant for a service configured with `accepted`? One audience in
 * common is enough; the WLCG "any" audience is accepted everywhere (WLCG profile 1.0).
 */
export function audienceAccepted(aud: string | string[] | undefined, accepted: readonly string[]): boolean {
  const wanted = new Set([...accepted, WLCG_ANY_AUDIENCE]);
  return [aud ?? []].flat().some((a) => wanted.has(a));
}

/** Claims of a WLCG profile 1.0 access token. */
export interface WlcgClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  scope: string;
  'wlcg.ver': string;
  'wlcg.groups'?: string[];
}

/** The payload as WLCG claims, or null when a required claim is missing or mistyped. */
export function asWlcgClaims(payload: JWTPayload): WlcgClaims | null {
  const { iss, sub, aud, exp, nbf, iat, jti, scope } = payload;
  const groups = payload['wlcg.groups'];
  const ver = payload['wlcg.ver'];
  const audOk = typeof aud === 'string' || (Array.isArray(aud) && aud.every((a) => typeof a === 'string'));
  const groupsOk = groups === undefined || (Array.isArray(groups) && groups.every((g) => typeof g === 'string'));
  if (typeof iss !== 'string' || typeof sub !== 'string' || !audOk || typeof exp !== 'number') return null;
  if (typeof scope !== 'string' || typeof ver !== 'string' || !groupsOk) return null;
  return {
    iss,
    sub,
    aud: aud as string | string[],
    exp,
    nbf: typeof nbf === 'number' ? nbf : (iat ?? exp),
    iat: typeof iat === 'number' ? iat : exp,
    jti: typeof jti === 'string' ? jti : '',
    scope,
    'wlcg.ver': ver,
    ...(groups ? { 'wlcg.groups': groups as string[] } : {}),
  };
}

/**
 * Verifies a token against an issuer's published keys: signature, `iss`, `exp`, `nbf`
 * and, when given, the audience. Null for any failure; the reason is never logged
 * because it could echo the token.
 */
export async function verifyWithJwks(
  token: string,
  issuerUrl: string,
  jwks: JSONWebKeySet,
  opts: { audience?: string | string[] } = {},
): Promise<WlcgClaims | null> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: issuerUrl,
      ...(opts.audience ? { audience: opts.audience } : {}),
    });
    return asWlcgClaims(payload);
  } catch {
    return null;
  }
}
