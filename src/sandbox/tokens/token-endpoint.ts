// The token endpoint's decisions, as INDIGO IAM makes them: client authentication, the
// grants a client may use, the scopes and audiences it may ask for, and refusals with
// the OAuth 2.0 error codes and statuses of RFC 6749 §5.2 and RFC 8693 §2.2.2 (IAM
// answers through Spring Security OAuth2: invalid_client and unauthorized_client are
// 401, invalid_grant, invalid_scope and unsupported_grant_type 400).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WlcgClaims } from './claims.js';
import { scopeAllowed, scopeItems } from './scopes.js';

export const GRANT_CLIENT_CREDENTIALS = 'client_credentials';
export const GRANT_REFRESH_TOKEN = 'refresh_token';
export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TOKEN_TYPE_ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
export type GrantType = typeof GRANT_CLIENT_CREDENTIALS | typeof GRANT_REFRESH_TOKEN | typeof GRANT_TOKEN_EXCHANGE;

/** A client registered with the issuer. */
export interface TokenClient {
  id: string;
  secret: string;
  /** `sub` of the tokens it receives by client credentials. */
  sub: string;
  /** The widest scope it may ask for (space-separated); granted in full by default. */
  scope: string;
  groups?: string[];
  /** Grants it may use; client_credentials only by default (IAM registers grants per client). */
  grantTypes?: GrantType[];
  /** Audiences it may ask for; any when unset. */
  audiences?: string[];
}

export interface MintRequest {
  sub: string;
  scope: string;
  aud?: string | string[];
  groups?: string[];
}

/** What a refresh token stands for: the client it was issued to and the grant behind it. */
export interface RefreshGrant {
  clientId: string;
  sub: string;
  scope: string;
  groups?: string[];
  expiresAt: number;
}

export interface GrantContext {
  clients: TokenClient[];
  refreshGrant(token: string): RefreshGrant | undefined;
  verify(token: string): Promise<WlcgClaims | null>;
}

export type TokenGrant =
  | { ok: true; mint: MintRequest; grantType: GrantType; refreshToken?: string }
  | { ok: false; status: number; error: string; description: string };

const MAX_BODY = 64 * 1024;

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return {
    id: decodeURIComponent(decoded.slice(0, colon)),
    secret: decodeURIComponent(decoded.slice(colon + 1)),
  };
}

const refuse = (status: number, error: string, description: string): TokenGrant => ({ ok: false, status, error, description });

/** Requested scope narrowed within `allowed`, or the refused items. */
function narrowScope(form: URLSearchParams, allowed: string[]): { scope: string[] } | { refused: string[] } {
  const requested = form.has('scope') ? scopeItems(form.get('scope') ?? '') : allowed;
  const refused = requested.filter((item) => !scopeAllowed(item, allowed));
  return refused.length > 0 ? { refused } : { scope: requested };
}

/**
 * Decides a token request: client_credentials (RFC 6749 §4.4), refresh_token (§6) or
 * token exchange (RFC 8693), each only for a client registered for it.
 */
export async function decideGrant(form: URLSearchParams, authorization: string | undefined, ctx: GrantContext): Promise<TokenGrant> {
  const creds =
    basicCredentials(authorization) ??
    (form.has('client_id') ? { id: form.get('client_id') ?? '', secret: form.get('client_secret') ?? '' } : undefined);
  const client = ctx.clients.find((c) => c.id === creds?.id);
  if (!creds || !client || !timingSafeEqual(digest(creds.secret), digest(client.secret))) {
    return refuse(401, 'invalid_client', 'Bad client credentials');
  }
  const grantType = form.get('grant_type') ?? '';
  if (![GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE].includes(grantType)) {
    return refuse(400, 'unsupported_grant_type', `Unsupported grant type: ${grantType.slice(0, 80)}`);
  }
  if (!(client.grantTypes ?? [GRANT_CLIENT_CREDENTIALS]).includes(grantType as GrantType)) {
    return refuse(401, 'unauthorized_client', `Unauthorized grant type: ${grantType}`);
  }
  const audience = form.getAll('audience');
  const foreign = audience.filter((a) => client.audiences && !client.audiences.includes(a));
  if (foreign.length > 0) return refuse(400, 'invalid_target', `audience not allowed for this client: ${foreign.join(' ')}`);
  const aud = audience.length > 0 ? { aud: audience.length === 1 ? audience[0] : audience } : {};

  let base: { sub: string; allowed: string[]; groups?: string[] };
  let refreshToken: string | undefined;
  if (grantType === GRANT_REFRESH_TOKEN) {
    refreshToken = form.get('refresh_token') ?? '';
    const held = ctx.refreshGrant(refreshToken);
    // As IAM (spring-security-oauth2 DefaultTokenServices), the refused token is echoed in the
    // description: clients must keep it out of their messages. Another client's token is no better.
    const echo = refreshToken.slice(0, 200);
    if (!held || held.clientId !== client.id) return refuse(400, 'invalid_grant', `Invalid refresh token: ${echo}`);
    if (held.expiresAt <= Date.now()) return refuse(400, 'invalid_grant', `Invalid refresh token (expired): ${echo}`);
    base = { sub: held.sub, allowed: scopeItems(held.scope), ...(held.groups ? { groups: held.groups } : {}) };
  } else if (grantType === GRANT_TOKEN_EXCHANGE) {
    if (form.get('subject_token_type') !== TOKEN_TYPE_ACCESS) {
      return refuse(400, 'invalid_request', `subject_token_type must be ${TOKEN_TYPE_ACCESS}`);
    }
    const subject = await ctx.verify(form.get('subject_token') ?? '');
    if (!subject) return refuse(400, 'invalid_grant', 'subject_token is not a valid access token of this issuer');
    // An exchanged token is never wider than the subject token nor than the client may have.
    const clientAllowed = scopeItems(client.scope);
    const allowed = scopeItems(subject.scope).filter((item) => scopeAllowed(item, clientAllowed));
    base = { sub: subject.sub, allowed, ...(subject['wlcg.groups'] ? { groups: subject['wlcg.groups'] } : {}) };
  } else {
    base = { sub: client.sub, allowed: scopeItems(client.scope), ...(client.groups ? { groups: client.groups } : {}) };
  }
  const narrowed = narrowScope(form, base.allowed);
  if ('refused' in narrowed) return refuse(400, 'invalid_scope', `Invalid scope: ${narrowed.refused.join(' ').slice(0, 200)}`);
  return {
    ok: true,
    grantType: grantType as GrantType,
    mint: { sub: base.sub, scope: narrowed.scope.join(' '), ...aud, ...(base.groups ? { groups: base.groups } : {}) },
    ...(refreshToken !== undefined ? { refreshToken } : {}),
  };
}
