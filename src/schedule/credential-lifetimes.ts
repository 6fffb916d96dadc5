import type { ResolvedCredentials } from '../plan/index.js';
import { loadBearerToken, loadX509CertKey, loadX509Proxy } from '../lake/credentials/index.js';

export interface CredentialLifetime {
  authMethod: 'x509' | 'token';
  /** null: the credential has no expiry (an opaque token). */
  expiresAt: Date | null;
  /** When it became valid (x509 notBefore, token iat or nbf); null when unknown. */
  issuedAt?: Date | null;
  /** Why it could not be read; never key or token material. */
  problem?: string;
}

/** Reads the configured x509 and token credentials for their expiry. userpass has none. */
export async function credentialLifetimes(credentials: ResolvedCredentials): Promise<CredentialLifetime[]> {
  const out: CredentialLifetime[] = [];
  if (credentials.x509) {
    const x = credentials.x509;
    try {
      const cred = 'proxy' in x ? await loadX509Proxy(x.proxy, { allowExpired: true }) : await loadX509CertKey(x.cert, x.key, { allowExpired: true });
      out.push({ authMethod: 'x509', expiresAt: cred.notAfter, issuedAt: cred.notBefore });
    } catch (e) {
      out.push({ authMethod: 'x509', expiresAt: null, problem: (e as Error).message });
    }
  }
  if (credentials.token) {
    try {
      const token = await loadBearerToken(credentials.token, { allowExpired: true });
      out.push({ authMethod: 'token', expiresAt: token.expiresAt, issuedAt: issuedAt(token.claims) });
    } catch (e) {
      out.push({ authMethod: 'token', expiresAt: null, problem: (e as Error).message });
    }
  }
  return out;
}

function issuedAt(claims: unknown): Date | null {
  const c = (claims ?? {}) as { iat?: unknown; nbf?: unknown };
  const seconds = typeof c.iat === 'number' ? c.iat : typeof c.nbf === 'number' ? c.nbf : null;
  return seconds === null ? null : new Date(seconds * 1000);
}
