import type { IncomingMessage } from 'node:http';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { decodeJwt } from 'jose';
import { audienceAccepted, SANDBOX_STORAGE_AUDIENCES, WLCG_ANY_AUDIENCE } from '../tokens/claims.js';
import { grantsStorage, pathWithin, type StorageAction } from '../tokens/scopes.js';
import type { Identity, Refusal, StorageEndpointOptions } from './types.js';

type AuthOptions = Pick<StorageEndpointOptions, 'gridmap' | 'embargo' | 'verifyToken' | 'verifyChain' | 'audiences'>;

/** The client's chain as presented, leaf first (Node links it through issuerCertificate). */
function peerChain(req: IncomingMessage): Buffer[] {
  const chain: Buffer[] = [];
  let cert: DetailedPeerCertificate | undefined = (req.socket as TLSSocket).getPeerCertificate(true);
  while (cert?.raw && !chain.some((der) => der.equals(cert?.raw as Buffer))) {
    chain.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return chain;
}

function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/** Expired versus anything else, for the 401 body only: the token is not trusted for more. */
function tokenExpired(token: string): boolean {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && exp * 1000 < Date.now();
  } catch {
    return false;
  }
}

/** The `aud` claim for a refusal message (never the token itself); bounded in length. */
function describeAud(aud: string | string[] | undefined): string {
  const text = aud === undefined ? '(none)' : [aud].flat().map((a) => JSON.stringify(a)).join(', ');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Who is asking: a Bearer token wins over the client certificate, as in XrdHttp. */
export async function authenticate(req: IncomingMessage, opts: AuthOptions): Promise<Identity | Refusal> {
  const token = bearerToken(req);
  if (token !== undefined) {
    const claims = await opts.verifyToken(token);
    if (!claims) return { status: 401, message: tokenExpired(token) ? 'token expired' : 'invalid token' };
    // The signature is verified: the payload can be read as is.
    const payload = decodeJwt(token);
    const aud = claims.aud ?? payload.aud;
    const accepted = opts.audiences ?? SANDBOX_STORAGE_AUDIENCES;
    if (!audienceAccepted(aud, accepted)) {
      // As XRootD and dCache with an audience configured: a token for another service is refused.
      return { status: 403, message: `Token audience ${describeAud(aud)} not accepted (this storage accepts: ${[...new Set([...accepted, WLCG_ANY_AUDIENCE])].join(', ')})` };
    }
    const sub = payload.sub ?? 'unknown';
    return { kind: 'token', sub, scope: claims.scope, groups: claims.groups ?? [] };
  }
  const chain = peerChain(req);
  if (chain.length === 0) return { status: 401, message: 'No client certificate or bearer token presented' };
  const verdict = opts.verifyChain(chain);
  if (!verdict.ok) {
    return verdict.expired
      ? { status: 401, message: `Client certificate expired: ${verdict.reason}` }
      : { status: 403, message: `Client certificate rejected: ${verdict.reason}` };
  }
  const user = opts.gridmap[verdict.dn];
  if (user === undefined) return { status: 403, message: `Gridmap lookup failure: DN ${verdict.dn} not mapped` };
  return { kind: 'x509', dn: verdict.dn, user };
}

export function identityName(identity: Identity): string {
  return identity.kind === 'x509' ? identity.dn : identity.sub;
}

/**
 * May `identity` do `action` on `path`? Tokens are bound by their storage scopes
 * (storage.modify also allows creating); mapped x509 users may read and write.
 * The embargoed tree is open to member DNs and to tokens carrying the embargo group.
 */
export function authorize(
  identity: Identity,
  method: string,
  action: StorageAction,
  path: string,
  embargo: AuthOptions['embargo'],
): Refusal | undefined {
  if (identity.kind === 'token') {
    const granted =
      grantsStorage(identity.scope, action, path) ||
      (action === 'create' && grantsStorage(identity.scope, 'modify', path));
    if (!granted) return { status: 403, message: `Insufficient token scope for ${method} ${path}` };
  }
  if (pathWithin(path, embargo.path)) {
    const member =
      identity.kind === 'x509' ? embargo.members.includes(identity.dn) : identity.groups.includes(embargo.group);
    if (!member) return { status: 403, message: 'Access to embargoed path denied' };
  }
  return undefined;
}
