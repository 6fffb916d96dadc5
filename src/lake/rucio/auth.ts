// The Rucio token of one client: obtained by userpass or x509 login (or a bearer token used
// as is), cached with its expiry and renewed shortly before it runs out.
import { decodeJwt } from 'jose';
import { annotateTokenRefusal } from '../credentials/token-refusal.js';
import { noteTokenUse } from '../credentials/token-use.js';
import { CredentialError, RucioApiError } from '../errors.js';
import { apiError, type HttpTransport } from './http.js';
import type { RucioAuth } from './types.js';

const RENEW_MARGIN_MS = 5 * 60_000;
/** Rucio gives non-OIDC tokens a fixed one-hour lifetime (a DB default, not configurable). */
const DEFAULT_TOKEN_LIFETIME_MS = 60 * 60_000;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses Rucio's response dates ('Wed, 25 Nov 2026 01:04:23 UTC') and epoch seconds (oidc_refresh). */
export function parseRucioDate(text: string): Date | null {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
  const m = /^\w{3}, (\d{1,2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (UTC|GMT)$/.exec(value);
  const month = m ? MONTHS.indexOf(m[2] as string) : -1;
  if (!m || month < 0) return null;
  return new Date(Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** The exp claim of a JWT, or null for opaque tokens. */
export function jwtExpiry(token: string): Date | null {
  if (token.split('.').length !== 3) return null;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? new Date(exp * 1000) : null;
  } catch {
    return null;
  }
}

/**
 * The `lifetime` of GET /auth/validate's answer, which is Python's str() of a dict:
 * `'lifetime': datetime.datetime(2026, 11, 25, 1, 4, 23, 804962)` (UTC, naive).
 */
export function validatedLifetime(body: string): Date | null {
  const m = /'lifetime':\s*datetime\.datetime\((\d{4}), (\d{1,2}), (\d{1,2})(?:, (\d{1,2}))?(?:, (\d{1,2}))?(?:, (\d{1,2}))?/.exec(body);
  if (!m) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
}

export interface SessionToken {
  token: string;
  /** null when the token carries no expiry (an opaque bearer token). */
  expiresAt: Date | null;
  obtainedAt: Date;
}

export interface TokenSessionOptions {
  /** Transport for /auth/* (it presents the client certificate for x509). */
  transport: HttpTransport;
  authUrl: (path: string) => URL;
  account: string;
  vo: string;
  appId: string;
  userAgent: string;
  auth: RucioAuth;
  now: () => Date;
}

export class TokenSession {
  private current: SessionToken | null = null;
  private pending: Promise<SessionToken> | null = null;

  constructor(private readonly options: TokenSessionOptions) {}

  /** False for a bearer token given from outside: there is nothing to log in with again. */
  get renewable(): boolean {
    const { auth } = this.options;
    return auth.method !== 'token' || auth.token.renew !== undefined;
  }

  /** A token that stays valid beyond the renewal margin, logging in first when needed. */
  async token(): Promise<string> {
    const { auth } = this.options;
    if (auth.method === 'token') noteTokenUse(auth.token);
    if (auth.method === 'token' && auth.token.renew) {
      // The live token decides when to renew; a new value is validated once, as a login.
      await auth.token.renew();
      if (this.current?.token === auth.token.token) return this.current.token;
      return (await this.login()).token;
    }
    if (this.current && this.isFresh(this.current)) return this.current.token;
    return (await this.login()).token;
  }

  /** Logs in now (one login at a time: concurrent callers share it). */
  login(): Promise<SessionToken> {
    this.pending ??= this.obtain()
      .then((token) => { this.current = token; return token; })
      .finally(() => { this.pending = null; });
    return this.pending;
  }

  invalidate(): void {
    this.current = null;
  }

  /** A refusal of a bearer token names the token's iss, aud, scope and exp (never the token). */
  annotateRefusal<E>(error: E): E {
    const { auth, now } = this.options;
    return auth.method === 'token' ? annotateTokenRefusal(error, auth.token, now()) : error;
  }

  /** Every secret this session knows, for scrubbing error messages. */
  secrets(): string[] {
    const { auth } = this.options;
    const own = auth.method === 'userpass' ? auth.password
      : auth.method === 'token' ? auth.token.token
        : auth.credential.keyPem;
    return this.current ? [own, this.current.token] : [own];
  }

  private isFresh(token: SessionToken): boolean {
    if (!token.expiresAt) return true;
    const left = token.expiresAt.getTime() - this.options.now().getTime();
    if (!this.renewable) return left > 0;
    const lifetime = token.expiresAt.getTime() - token.obtainedAt.getTime();
    return left > Math.min(RENEW_MARGIN_MS, lifetime / 2);
  }

  private async obtain(): Promise<SessionToken> {
    const { auth, now } = this.options;
    switch (auth.method) {
      case 'token': {
        // A token lakeprobe obtains itself is renewed first when it nears expiry.
        await auth.token.renew?.();
        const expiresAt = auth.token.expiresAt ?? jwtExpiry(auth.token.token);
        if (expiresAt && expiresAt <= now()) {
          throw new CredentialError('expired', auth.token.source, `bearer token expired at ${expiresAt.toISOString()}`);
        }
        // Asked of the server, as a login is: a token it does not accept fails here, not in the next call.
        const lifetime = await this.validate(auth.token.token);
        return { token: auth.token.token, expiresAt: expiresAt ?? lifetime, obtainedAt: now() };
      }
      case 'userpass':
        return this.fetchToken('/auth/userpass', { 'X-Rucio-Username': auth.username, 'X-Rucio-Password': auth.password });
      case 'x509': {
        const { credential } = auth;
        if (credential.notAfter <= now()) {
          throw new CredentialError('expired', credential.source, `certificate expired at ${credential.notAfter.toISOString()}`);
        }
        if (credential.notBefore > now()) {
          throw new CredentialError('not_yet_valid', credential.source, `certificate valid from ${credential.notBefore.toISOString()}`);
        }
        // Rucio's refusal does not say whom it refused: name the DN presented, what the account must have as identity.
        return this.fetchToken('/auth/x509', {}).catch((err: unknown) => {
          if (!(err instanceof RucioApiError) || err.status !== 401) throw err;
          throw new RucioApiError(err.status, err.exceptionClass, `${err.exceptionMessage} (presented DN ${credential.subjectSlash}`
            + ` from ${credential.source}; register it as an x509 identity of account ${this.options.account})`, err.method, err.path);
        });
      }
    }
  }

  /**
   * GET /auth/validate: 200 with the token's account and lifetime; a token Rucio 41 does not accept is a
   * 500 CannotAuthenticate (flaskapi/v1/auth.py Validate lets validate_auth_token's exception through).
   */
  private async validate(token: string): Promise<Date | null> {
    const { transport, authUrl, account, vo, userAgent } = this.options;
    const path = '/auth/validate';
    const res = await transport.send({
      method: 'GET', url: authUrl(path),
      headers: { 'User-Agent': userAgent, 'X-Rucio-Account': account, 'X-Rucio-VO': vo, 'X-Rucio-Auth-Token': token },
    });
    if (res.status !== 200) {
      if (res.status < 300) throw new RucioApiError(res.status, '', `unexpected answer ${res.status} to token validation`, 'GET', path);
      throw this.annotateRefusal(apiError(res, 'GET', path, this.secrets()));
    }
    return validatedLifetime(res.body);
  }

  private async fetchToken(path: string, credentials: Record<string, string>): Promise<SessionToken> {
    const { transport, authUrl, account, vo, appId, userAgent, now } = this.options;
    const res = await transport.send({
      method: 'GET',
      url: authUrl(path),
      headers: { 'User-Agent': userAgent, 'X-Rucio-Account': account, 'X-Rucio-VO': vo, 'X-Rucio-AppID': appId, ...credentials },
    });
    if (res.status !== 200) {
      if (res.status < 300) throw new RucioApiError(res.status, '', `unexpected answer ${res.status} to login`, 'GET', path);
      throw apiError(res, 'GET', path, this.secrets());
    }
    const token = res.headers['x-rucio-auth-token'];
    if (typeof token !== 'string' || !token) {
      throw new RucioApiError(res.status, '', 'login answer carries no X-Rucio-Auth-Token', 'GET', path);
    }
    const obtainedAt = now();
    const expiresHeader = res.headers['x-rucio-auth-token-expires'];
    const expiresAt = (typeof expiresHeader === 'string' ? parseRucioDate(expiresHeader) : null)
      ?? jwtExpiry(token)
      ?? new Date(obtainedAt.getTime() + DEFAULT_TOKEN_LIFETIME_MS);
    return { token, expiresAt, obtainedAt };
  }
}
