// /auth/* (userpass, x509, validate) and token validation for every other call:
// opaque tokens from the tokens table, or JWTs checked by the injected verifier.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller, Catalogue } from './context.js';
import { header } from './context.js';
import { RucioError, errorReply } from './errors.js';
import { PyLiteral, pyDatetimeRepr, pyRepr, rucioDate } from './format.js';
import type { HeaderValue, Reply } from './http.js';

export type IdentityKind = 'USERPASS' | 'X509' | 'OIDC';

/** The verified client certificate of the connection, as the server saw it. */
export type PeerIdentity = { kind: 'none' } | { kind: 'invalid'; reason: string } | { kind: 'dn'; dn: string };

export function hashPassword(password: string, salt = randomBytes(16).toString('hex')): { salt: string; hash: string } {
  return { salt, hash: createHash('sha256').update(salt + password).digest('hex') };
}

function passwordMatches(password: string, salt: string, hash: string): boolean {
  const candidate = Buffer.from(hashPassword(password, salt).hash, 'hex');
  const stored = Buffer.from(hash, 'hex');
  return candidate.length === stored.length && timingSafeEqual(candidate, stored);
}

function authHeaders(exposeAll: boolean): Record<string, HeaderValue> {
  return {
    'Access-Control-Expose-Headers': exposeAll
      ? 'X-Rucio-Auth-Token, X-Rucio-Auth-Token-Expires, X-Rucio-Auth-Account, X-Rucio-Auth-Accounts'
      : 'X-Rucio-Auth-Token',
    'Content-Type': 'application/octet-stream',
    'Cache-Control': ['no-cache, no-store, max-age=0, must-revalidate', 'post-check=0, pre-check=0'],
    Pragma: 'no-cache',
  };
}

const fail = (status: number, cls: string, message: string, exposeAll = true): Reply =>
  errorReply(new RucioError(status, cls, message), authHeaders(exposeAll));

/** Accounts mapped to an identity: the default one alone if flagged, else all (oldest first). */
function accountsFor(cat: Catalogue, kind: IdentityKind, identity: string): string[] {
  const rows = cat.db
    .prepare(`SELECT i.account, i.is_default FROM identities i JOIN accounts a ON a.name = i.account
              WHERE i.kind = ? AND i.identity = ? AND a.status = 'ACTIVE' ORDER BY i.created_at, i.account`)
    .all(kind, identity) as { account: string; is_default: number }[];
  const preferred = rows.find((r) => r.is_default);
  return preferred ? [preferred.account] : rows.map((r) => r.account);
}

function identityMapsTo(cat: Catalogue, kind: IdentityKind, identity: string, account: string): boolean {
  return !!cat.db
    .prepare(`SELECT 1 FROM identities i JOIN accounts a ON a.name = i.account
              WHERE i.kind = ? AND i.identity = ? AND i.account = ? AND a.status = 'ACTIVE'`)
    .get(kind, identity, account);
}

function issueToken(cat: Catalogue, account: string, identity: string, appid: string, exposeAll: boolean): Reply {
  const now = cat.now();
  cat.db.prepare('DELETE FROM tokens WHERE account = ? AND expires_at <= ?').run(account, now);
  const token = `${account}-${identity}-${appid}-${randomUUID().replace(/-/g, '')}`;
  const expiresAt = now + cat.tokenLifetimeSeconds * 1000;
  cat.db.prepare('INSERT INTO tokens (token, account, identity, expires_at) VALUES (?, ?, ?, ?)').run(token, account, identity, expiresAt);
  const headers = authHeaders(exposeAll);
  headers['X-Rucio-Auth-Account'] = account;
  headers['X-Rucio-Auth-Token'] = token;
  headers['X-Rucio-Auth-Token-Expires'] = rucioDate(expiresAt) ?? '';
  return { status: 200, headers, body: '' };
}

function multipleAccounts(accounts: string[]): Reply {
  const headers = authHeaders(true);
  headers['X-Rucio-Auth-Accounts'] = accounts.join(',');
  return { status: 206, headers, body: JSON.stringify(accounts) };
}

function wrongVo(cat: Catalogue, headers: IncomingHttpHeaders): boolean {
  const vo = header(headers, 'X-Rucio-VO');
  return vo !== undefined && vo !== cat.vo;
}

export function authUserpass(cat: Catalogue, headers: IncomingHttpHeaders): Reply {
  const username = header(headers, 'X-Rucio-Username');
  const password = header(headers, 'X-Rucio-Password');
  const appid = header(headers, 'X-Rucio-AppID') ?? 'unknown';
  if (!username || !password) return fail(401, 'CannotAuthenticate', 'Cannot authenticate without passing all required arguments');
  let account = header(headers, 'X-Rucio-Account');
  if (!account) {
    const accounts = accountsFor(cat, 'USERPASS', username);
    if (accounts.length === 0) return fail(401, 'IdentityError', 'Cannot authenticate. The identity does not exist.');
    if (accounts.length > 1) return multipleAccounts(accounts);
    account = accounts[0] as string;
  }
  const row = cat.db
    .prepare(`SELECT salt, password_hash FROM identities WHERE kind = 'USERPASS' AND identity = ? AND account = ?`)
    .get(username, account) as { salt: string | null; password_hash: string | null } | undefined;
  const ok = !wrongVo(cat, headers) && row?.salt && row.password_hash &&
    identityMapsTo(cat, 'USERPASS', username, account) && passwordMatches(password, row.salt, row.password_hash);
  if (!ok) return fail(401, 'CannotAuthenticate', `Cannot authenticate to account ${account} with given credentials`);
  return issueToken(cat, account, username, appid, true);
}

export function authX509(cat: Catalogue, headers: IncomingHttpHeaders, peer: PeerIdentity): Reply {
  if (peer.kind === 'none') return fail(401, 'CannotAuthenticate', 'Cannot get DN');
  if (peer.kind === 'invalid') return fail(401, 'CannotAuthenticate', `Cannot verify the client certificate chain: ${peer.reason}`);
  const appid = header(headers, 'X-Rucio-AppID') ?? 'unknown';
  let account = header(headers, 'X-Rucio-Account');
  if (!account) {
    const accounts = accountsFor(cat, 'X509', peer.dn);
    if (accounts.length === 0) return fail(401, 'IdentityError', `Identity '${peer.dn}' of type 'X509' does not exist`);
    if (accounts.length > 1) {
      const allow = header(headers, 'X-Rucio-Allow-Return-Multiple-Accounts')?.toLowerCase() === 'true';
      if (!allow) return fail(401, 'CannotAuthenticate', 'Multiple accounts associated with the provided identity');
      return multipleAccounts(accounts);
    }
    account = accounts[0] as string;
  }
  if (wrongVo(cat, headers) || !identityMapsTo(cat, 'X509', peer.dn, account)) {
    return fail(401, 'CannotAuthenticate', `Cannot authenticate to account ${account} with given credentials`);
  }
  return issueToken(cat, account, peer.dn, appid, true);
}

export interface TokenInfo extends Caller {
  expiresAt: number;
  audience: string | null;
  authzScope: string | null;
}

function isAdmin(cat: Catalogue, account: string): boolean {
  const row = cat.db.prepare('SELECT admin FROM accounts WHERE name = ?').get(account) as { admin: number } | undefined;
  return account === 'root' || !!row?.admin;
}

/** The caller behind a token, or null when it is unknown, expired or not acceptable. */
export async function validateToken(cat: Catalogue, token: string): Promise<TokenInfo | null> {
  const row = cat.db.prepare('SELECT account, identity, expires_at FROM tokens WHERE token = ?').get(token) as
    { account: string; identity: string; expires_at: number } | undefined;
  if (row) {
    if (row.expires_at <= cat.now()) return null;
    return { account: row.account, identity: row.identity, admin: isAdmin(cat, row.account), expiresAt: row.expires_at, audience: null, authzScope: null };
  }
  if (token.split('.').length !== 3) return null;
  // A verifier that throws has not vouched for the token.
  const claims = await cat.verifyJwt(token).catch(() => null);
  if (!claims || claims.exp * 1000 <= cat.now() || ![claims.aud].flat().includes('rucio')) return null;
  const identity = `SUB=${claims.sub}, ISS=${claims.iss}`;
  const account = accountsFor(cat, 'OIDC', identity)[0];
  if (!account) return null;
  return {
    account, identity, admin: isAdmin(cat, account), expiresAt: claims.exp * 1000,
    audience: [claims.aud].flat().join(' '), authzScope: claims.scope,
  };
}

/**
 * What core/authentication.py validate_auth_token raises for a token it cannot accept: CannotAuthenticate carrying
 * traceback.format_exc() — 'NoneType: None' for a token that is neither known nor a JWT (no exception in flight),
 * the traceback of validate_jwt's own refusal for a JWT it does not accept (core/oidc.py).
 */
function validationFailure(token: string): string {
  if (token.split('.').length !== 3) return 'NoneType: None\n';
  return 'Traceback (most recent call last):\n' +
    '  File "/opt/rucio/lib/rucio/core/oidc.py", line 964, in validate_jwt\n' +
    '    raise CannotAuthenticate(traceback.format_exc())\n' +
    'rucio.common.exception.CannotAuthenticate: Cannot authenticate.\nDetails: NoneType: None\n';
}

/**
 * GET /auth/validate (flaskapi/v1/auth.py Validate.get): no token is a 400; a token that does not validate makes
 * validate_auth_token raise CannotAuthenticate, which the view does not catch, so ErrorHandlingMethodView answers
 * 500 with the view's CORS headers (the view's own 401 branch is never reached).
 */
export async function authValidate(cat: Catalogue, headers: IncomingHttpHeaders): Promise<Reply> {
  const token = header(headers, 'X-Rucio-Auth-Token')?.trim();
  if (!token) return errorReply(new RucioError(400, 'ValueError', 'Token must be set.'));
  const info = await validateToken(cat, token);
  if (!info) {
    return errorReply(new RucioError(500, 'CannotAuthenticate', validationFailure(token)), { 'Access-Control-Expose-Headers': 'X-Rucio-Auth-Token' });
  }
  const body = pyRepr({
    account: info.account, identity: info.identity, lifetime: new PyLiteral(pyDatetimeRepr(info.expiresAt)),
    audience: info.audience, authz_scope: info.authzScope, vo: cat.vo,
  });
  return { status: 200, headers: authHeaders(false), body };
}
