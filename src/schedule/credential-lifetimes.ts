import type { ResolvedCredentials } from '../plan/index.js';
import { issuedTokenStates, loadBearerToken, loadX509CertKey, loadX509Proxy } from '../lake/credentials/index.js';
import { proxyRenewalStates } from '../lake/credentials/proxy-renewal.js';

export interface CredentialLifetime {
  authMethod: 'x509' | 'token';
  /** null: the credential has no expiry (an opaque token). */
  expiresAt: Date | null;
  /** When it became valid (x509 notBefore, token iat or nbf); null when unknown. */
  issuedAt?: Date | null;
  /** Why it could not be read; never key or token material. */
  problem?: string;
  /** Where it comes from: a file, a variable, or the issuer and grant lakeprobe renews it with. */
  source?: string;
  audience?: string;
  scope?: string;
  /** Tokens lakeprobe renews itself: when it last obtained one. */
  lastRenewal?: Date | null;
  /** Renewed by lakeprobe ahead of expiry: its expiry alone is no cause for alarm. */
  renewed?: boolean;
}

const claimText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : Array.isArray(v) ? v.map(String).join(' ') : undefined;

/** Reads the configured x509 and token credentials for their expiry. userpass has none. */
export async function credentialLifetimes(credentials: ResolvedCredentials): Promise<CredentialLifetime[]> {
  const out: CredentialLifetime[] = [];
  if (credentials.x509) {
    const x = credentials.x509;
    try {
      const cred = 'proxy' in x ? await loadX509Proxy(x.proxy, { allowExpired: true }) : await loadX509CertKey(x.cert, x.key, { allowExpired: true });
      out.push({ authMethod: 'x509', expiresAt: cred.notAfter, issuedAt: cred.notBefore, source: cred.source, ...proxyRenewal(x) });
    } catch (e) {
      out.push({ authMethod: 'x509', expiresAt: null, problem: (e as Error).message, source: 'proxy' in x ? x.proxy : x.cert, ...proxyRenewal(x) });
    }
  }
  if (credentials.token && 'issued' in credentials.token) {
    // One row per live token (per audience and scope); the alert looks only at failed renewals.
    const { issuer, clientId, grant } = credentials.token.issued;
    const live = issuedTokenStates().filter((s) => s.issuer === issuer && s.clientId === clientId);
    for (const s of live) {
      out.push({
        authMethod: 'token', expiresAt: s.expiresAt, source: s.source, lastRenewal: s.lastRenewal, renewed: !s.lastError,
        ...(s.audience ? { audience: s.audience } : {}), ...(s.scope ? { scope: s.scope } : {}),
        ...(s.lastError ? { problem: `renewal failed: ${s.lastError}` } : {}),
      });
    }
    if (live.length === 0) out.push({ authMethod: 'token', expiresAt: null, source: `${grant} at ${issuer} as client ${clientId}`, renewed: true, lastRenewal: null });
  } else if (credentials.token) {
    const source = 'file' in credentials.token ? credentials.token.file : credentials.token.source;
    try {
      const token = await loadBearerToken(credentials.token, { allowExpired: true });
      const audience = claimText(token.claims?.aud);
      const scope = claimText(token.claims?.scope);
      out.push({ authMethod: 'token', expiresAt: token.expiresAt, issuedAt: issuedAt(token.claims), source, ...(audience ? { audience } : {}), ...(scope ? { scope } : {}) });
    } catch (e) {
      out.push({ authMethod: 'token', expiresAt: null, problem: (e as Error).message, source });
    }
  }
  return out;
}

/** A proxy the plan renews with its command: when it last did, and whether the last attempt failed. */
function proxyRenewal(x: NonNullable<ResolvedCredentials['x509']>): Partial<CredentialLifetime> {
  if (!('proxy' in x) || !x.renew) return {};
  const state = proxyRenewalStates().find((s) => s.proxy === x.proxy);
  return {
    renewed: !state?.lastError, lastRenewal: state?.lastSuccess ?? null,
    ...(state?.lastError ? { problem: `renewal failed: ${state.lastError}` } : {}),
  };
}

function issuedAt(claims: unknown): Date | null {
  const c = (claims ?? {}) as { iat?: unknown; nbf?: unknown };
  const seconds = typeof c.iat === 'number' ? c.iat : typeof c.nbf === 'number' ? c.nbf : null;
  return seconds === null ? null : new Date(seconds * 1000);
}
