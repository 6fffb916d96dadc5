// An OAuth 2.0 client of a token issuer (INDIGO IAM, the sandbox's): OpenID discovery
// for the token endpoint, then client_credentials (RFC 6749 §4.4), refresh_token (§6)
// or token exchange (RFC 8693). Secrets travel only in the request body and the Basic
// header; messages name the issuer, the grant, the audience and the scope.
import { TokenIssuerError } from '../errors.js';
import { HttpTransport, type HttpRequest, type HttpResponse } from '../rucio/http.js';

export type OAuthGrant = 'client_credentials' | 'refresh_token' | 'token_exchange';

const GRANT_TYPE: Record<OAuthGrant, string> = {
  client_credentials: 'client_credentials',
  refresh_token: 'refresh_token',
  token_exchange: 'urn:ietf:params:oauth:grant-type:token-exchange',
};
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_DETAIL_CHARS = 200;

export interface OAuthClientConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  ca: string[];
  insecure?: boolean;
}

export interface TokenRequest {
  grant: OAuthGrant;
  audience?: string;
  scope?: string;
  refreshToken?: string;
  subjectToken?: string;
}

export interface TokenResponse {
  accessToken: string;
  expiresIn: number | null;
  scope: string | null;
  refreshToken: string | null;
}

/** 'client_credentials aud=… scope="…"': what was asked, for messages and results. */
export function describeRequest(r: TokenRequest): string {
  return `${r.grant} aud=${r.audience ?? '-'} scope="${r.scope ?? '-'}"`;
}

const flat = (text: string): string => text.replace(/\s+/g, ' ').trim();
const scrub = (text: string, secrets: string[]): string =>
  secrets.reduce((t, secret) => t.split(secret).join('***'), text).slice(0, MAX_DETAIL_CHARS);

export class OAuthClient {
  private readonly transport: HttpTransport;
  private tokenEndpoint: URL | undefined;

  constructor(private readonly config: OAuthClientConfig) {
    this.transport = new HttpTransport(
      { ca: config.ca, insecure: config.insecure, timeoutMs: REQUEST_TIMEOUT_MS },
      () => [config.clientSecret],
    );
  }

  /** The token endpoint from the issuer's OpenID configuration (asked once per client). */
  async endpoint(): Promise<URL> {
    if (this.tokenEndpoint) return this.tokenEndpoint;
    const { issuer } = this.config;
    const url = new URL(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
    const res = await this.send({ method: 'GET', url, headers: { Accept: 'application/json' } });
    if (res.status !== 200) {
      throw new TokenIssuerError(issuer, res.status, undefined, 'discovery', `GET ${url.pathname}: HTTP ${res.status}`);
    }
    const doc = parseObject(res.body);
    const endpoint = typeof doc?.token_endpoint === 'string' ? doc.token_endpoint : undefined;
    if (!endpoint) throw new TokenIssuerError(issuer, res.status, undefined, 'discovery', 'no token_endpoint in its OpenID configuration');
    this.tokenEndpoint = new URL(endpoint);
    return this.tokenEndpoint;
  }

  async request(r: TokenRequest): Promise<TokenResponse> {
    const { issuer, clientId, clientSecret } = this.config;
    const form = new URLSearchParams({ grant_type: GRANT_TYPE[r.grant] });
    if (r.scope) form.set('scope', r.scope);
    if (r.audience) form.set('audience', r.audience);
    if (r.grant === 'refresh_token') form.set('refresh_token', r.refreshToken ?? '');
    if (r.grant === 'token_exchange') {
      form.set('subject_token', r.subjectToken ?? '');
      form.set('subject_token_type', ACCESS_TOKEN_TYPE);
      form.set('requested_token_type', ACCESS_TOKEN_TYPE);
    }
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const url = await this.endpoint();
    const res = await this.send({
      method: 'POST', url, body: form.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', Authorization: `Basic ${basic}` },
    });
    const body = parseObject(res.body);
    const asked = describeRequest(r);
    // IAM echoes a refused refresh token in its description ("Invalid refresh token: …").
    const secrets = [clientSecret, r.refreshToken, r.subjectToken].filter((v): v is string => Boolean(v));
    const oneLine = (text: string): string => scrub(flat(text), secrets);
    if (res.status !== 200) {
      const code = typeof body?.error === 'string' ? oneLine(body.error) : undefined;
      const description = typeof body?.error_description === 'string' ? `: ${oneLine(body.error_description)}` : '';
      const detail = code ? `HTTP ${res.status} ${code}${description}` : `HTTP ${res.status} ${oneLine(res.statusMessage)}`;
      throw new TokenIssuerError(issuer, res.status, code, asked, detail);
    }
    const accessToken = typeof body?.access_token === 'string' ? body.access_token.trim() : '';
    if (!accessToken) throw new TokenIssuerError(issuer, res.status, undefined, asked, 'the answer carries no access_token');
    return {
      accessToken,
      expiresIn: typeof body?.expires_in === 'number' ? body.expires_in : null,
      scope: typeof body?.scope === 'string' ? body.scope : null,
      refreshToken: typeof body?.refresh_token === 'string' ? body.refresh_token : null,
    };
  }

  /** Sends; a failure to reach the issuer keeps its code (its class) and names the issuer. */
  private async send(request: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.transport.send(request);
    } catch (err) {
      if (err instanceof Error) err.message = `token request to ${this.config.issuer}: ${err.message}`;
      throw err;
    }
  }

  close(): void {
    this.transport.close();
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
