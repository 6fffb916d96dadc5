import type { ResolvedCredentials } from '../plan/index.js';
import { issuedTokenStates, loadBearerToken, loadX509CertKey, loadX509Proxy } from '../lake/credentials/index.js';

export interface CredentialLifetime {
  authMethod: 'x509' | 'token';
  /** null: the credential has no expiry (an opaque token). */
  expiresAt: Date | null;
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
      out.push({ authMethod: 'x509', expiresAt: cred.notAfter });
    } catch (e) {
      out.push({ authMethod: 'x509', expiresAt: null, problem: (e as Error).message });
    }
  }
  if (credentials.token && 'issued' in credentials.token) {
    // A token lakeprobe renews itself only nears expiry when its renewal fails.
    const { issuer, clientId } = credentials.token.issued;
    const failed = issuedTokenStates().find((s) => s.issuer === issuer && s.clientId === clientId && s.lastError);
    if (failed) out.push({ authMethod: 'token', expiresAt: failed.expiresAt, problem: `renewal failed: ${failed.lastError}` });
  } else if (credentials.token) {
    try {
      const token = await loadBearerToken(credentials.token, { allowExpired: true });
      out.push({ authMethod: 'token', expiresAt: token.expiresAt });
    } catch (e) {
      out.push({ authMethod: 'token', expiresAt: null, problem: (e as Error).message });
    }
  }
  return out;
}
