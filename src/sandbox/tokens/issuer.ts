import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import { asWlcgClaims, WLCG_ANY_AUDIENCE, type WlcgClaims } from './claims.js';
import { decideGrant, readForm, type MintRequest, type TokenClient } from './token-endpoint.js';

const ALG = 'ES256';
const DEFAULT_LIFETIME_SECONDS = 1200;

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
  close(): Promise<void>;
}

export interface TokenIssuerOptions {
  tls: { certPem: string; keyPem: string };
  port?: number;
  /** Clients that may use the token endpoint (client-credentials grant). */
  clients?: TokenClient[];
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
    const grant = decideGrant(await readForm(req), req.headers.authorization, opts.clients ?? []);
    if (!grant.ok) return sendJson(res, grant.status, { error: grant.error, error_description: grant.description });
    const token = await mint(grant.mint);
    sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: lifetime, scope: grant.mint.scope });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return sendJson(res, 200, {
        issuer,
        jwks_uri: `${issuer}/jwks`,
        token_endpoint: `${issuer}/token`,
        grant_types_supported: ['client_credentials'],
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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
