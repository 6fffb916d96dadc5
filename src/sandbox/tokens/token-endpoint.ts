import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { scopeAllowed, scopeItems } from './scopes.js';

/** A client allowed to obtain tokens with the client-credentials grant. */
export interface TokenClient {
  id: string;
  secret: string;
  /** `sub` of the tokens it receives. */
  sub: string;
  /** The widest scope it may ask for (space-separated); granted in full by default. */
  scope: string;
  groups?: string[];
}

export interface MintRequest {
  sub: string;
  scope: string;
  aud?: string | string[];
  groups?: string[];
}

export type TokenGrant = { ok: true; mint: MintRequest } | { ok: false; status: number; error: string; description: string };

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

const refuse = (status: number, error: string, description: string): TokenGrant => ({
  ok: false,
  status,
  error,
  description,
});

/**
 * Decides an OAuth 2.0 client-credentials token request (RFC 6749 §4.4): client
 * authenticated by HTTP Basic or form fields, scope narrowed within what it may have.
 */
export function decideGrant(form: URLSearchParams, authorization: string | undefined, clients: TokenClient[]): TokenGrant {
  const creds =
    basicCredentials(authorization) ??
    (form.has('client_id') ? { id: form.get('client_id') ?? '', secret: form.get('client_secret') ?? '' } : undefined);
  const client = clients.find((c) => c.id === creds?.id);
  if (!creds || !client || !timingSafeEqual(digest(creds.secret), digest(client.secret))) {
    return refuse(401, 'invalid_client', 'client authentication failed');
  }
  if (form.get('grant_type') !== 'client_credentials') {
    return refuse(400, 'unsupported_grant_type', 'only client_credentials is supported');
  }
  const allowed = scopeItems(client.scope);
  const requested = form.has('scope') ? scopeItems(form.get('scope') ?? '') : allowed;
  const refused = requested.filter((item) => !scopeAllowed(item, allowed));
  if (refused.length > 0) return refuse(400, 'invalid_scope', `scope not allowed: ${refused.join(' ')}`);
  const audience = form.getAll('audience');
  return {
    ok: true,
    mint: {
      sub: client.sub,
      scope: requested.join(' '),
      ...(audience.length > 0 ? { aud: audience.length === 1 ? audience[0] : audience } : {}),
      ...(client.groups ? { groups: client.groups } : {}),
    },
  };
}
