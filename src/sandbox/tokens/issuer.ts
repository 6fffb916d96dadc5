import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import { asWlcgClaims, WLCG_ANY_AUDIENCE, type WlcgClaims } from './claims.js';
import {
  decideGrant, GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE, readForm, TOKEN_TYPE_ACCESS,
  type MintRequest, type RefreshGrant, type TokenClient,
} from './token-endpoint.js';

const ALG = 'ES256';
/** IAM's default access-token lifetime: one hour. */
const DEFAULT_LIFETIME_SECONDS = 3600;
/** Refresh tokens outlive access tokens by far (IAM: 30 days); a bound keeps the store small. */
const REFRESH_LIFETIME_SECONDS = 30 * 24 * 3600;
const MAX_REFRESH_TOKENS = 1000;

export interface MintOptions extends MintRequest {
  lifetimeSeconds?: number;
  /** Absolute `nbf` (epoch seconds); defaults to the issue time. */
  nbf?: number;
}

export interface TokenIssuer {
  /** The issuer URL, `https://localhost:<port>`; also the `iss` claim. */
  issuer: string;
  port: number;
  jwks: JSONWebKeySet;
  mint(opts: MintOptions): Promise<string>;
  verify(token: string): Promise<WlcgClaims | null>;
  /** A refresh token for a client, as IAM hands out after a user's consent (or oidc-agent keeps). */
  issueRefreshToken(grant: Omit<RefreshGrant, 'expiresAt'> & { lifetimeSeconds?: number }): string;
  /** Withdraws a refresh token (IAM: revocation); the next refresh with it is an invalid_grant. */
  revokeRefreshToken(token: string): void;
  /** Stops answering token requests with success: the endpoint replies 503, as an issuer down for maintenance. */
  setAvailable(available: boolean): void;
  /** Token requests answered, by grant type, for tests that count renewals. */
  issued: Record<string, number>;
  close(): Promise<void>;
}

export interface TokenIssuerOptions {
  tls: { certPem: string; keyPem: string };
  port?: number;
  /** Clients that may use the token endpoint. */
  clients?: TokenClient[];
  /** Access-token lifetime; one hour by default, as IAM. */
  tokenLifetimeSeconds?: number;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** A WLCG-profile token issuer over HTTPS on 127.0.0.1: discovery, JWKS and a token endpoint. */
export async function startTokenIssuer(opts: TokenIssuerOptions): Promise<TokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks: JSONWebKeySet = { keys: [{ ...publicJwk, kid, alg: ALG, use: 'sig' }] };
  const lifetime = opts.tokenLifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
  let issuer = '';
  let available = true;
  const refreshGrants = new Map<string, RefreshGrant>();
  const issued: Record<string, number> = {};

  const mint = async (m: MintOptions): Promise<string> => {
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + (m.lifetimeSeconds ?? lifetime);
    const claims: Record<string, unknown> = {
      scope: m.scope,
      'wlcg.ver': '1.0',
      ...(m.groups ? { 'wlcg.groups': m.groups } : {}),
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(m.sub)
      .setAudience(m.aud ?? WLCG_ANY_AUDIENCE)
      .setIssuedAt(iat)
      .setNotBefore(m.nbf ?? Math.min(iat, exp))
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(privateKey);
  };

  const verify = async (token: string): Promise<WlcgClaims | null> => {
    try {
      const { payload } = await jwtVerify(token, publicKey, { issuer, algorithms: [ALG] });
      return asWlcgClaims(payload);
    } catch {
      return null;
    }
  };

  const issueFromEndpoint = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const form = await readForm(req);
    if (!available) return sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'issuer down' });
    const grant = await decideGrant(form, req.headers.authorization, {
      clients: opts.clients ?? [], verify, refreshGrant: (t) => refreshGrants.get(t),
    });
    if (!grant.ok) return sendJson(res, grant.status, { error: grant.error, error_description: grant.description });
    const token = await mint(grant.mint);
    issued[grant.grantType] = (issued[grant.grantType] ?? 0) + 1;
    sendJson(res, 200, {
      access_token: token, token_type: 'Bearer', expires_in: lifetime, scope: grant.mint.scope,
      ...(grant.refreshToken !== undefined ? { refresh_token: grant.refreshToken } : {}),
      ...(grant.grantType === GRANT_TOKEN_EXCHANGE ? { issued_token_type: TOKEN_TYPE_ACCESS } : {}),
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return sendJson(res, 200, {
        issuer,
        jwks_uri: `${issuer}/jwks`,
        token_endpoint: `${issuer}/token`,
        grant_types_supported: [GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        id_token_signing_alg_values_supported: [ALG],
        scopes_supported: ['storage.read:/', 'storage.create:/', 'storage.modify:/', 'storage.stage:/'],
      });
    }
    if (req.method === 'GET' && path === '/jwks') return sendJson(res, 200, jwks);
    if (req.method === 'POST' && path === '/token') return issueFromEndpoint(req, res);
    sendJson(res, 404, { error: 'not_found' });
  };

  const server = createServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 400, { error: 'invalid_request' });
      else res.destroy();
    });
  });
  const port = await listen(server, opts.port ?? 0);
  issuer = `https://localhost:${port}`;

  return {
    issuer,
    port,
    jwks,
    mint,
    verify,
    issued,
    issueRefreshToken: ({ lifetimeSeconds, ...grant }) => {
      if (refreshGrants.size >= MAX_REFRESH_TOKENS) refreshGrants.delete(refreshGrants.keys().next().value as string);
      const token = randomBytes(32).toString('base64url');
      refreshGrants.set(token, { ...grant, expiresAt: Date.now() + (lifetimeSeconds ?? REFRESH_LIFETIME_SECONDS) * 1000 });
      return token;
    },
    revokeRefreshToken: (token) => {
      refreshGrants.delete(token);
    },
    setAvailable: (value) => {
      available = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
