import type { BearerToken, X509Credential } from './types.js';

/** A one-line description safe to print: identity and validity, never key or token material. */
export function describeCredential(credential: X509Credential | BearerToken): string {
  if ('certPem' in credential) {
    const kind = credential.isProxy ? 'x509 proxy' : 'x509 certificate';
    return `${kind} ${credential.subject}, valid until ${credential.notAfter.toISOString()} (${credential.source})`;
  }
  const expiry = credential.expiresAt ? `expires ${credential.expiresAt.toISOString()}` : 'no expiry';
  if (!credential.claims) return `opaque bearer token, ${expiry} (${credential.source})`;
  const shown = ['sub', 'iss', 'scope']
    .filter((claim) => typeof credential.claims?.[claim] === 'string')
    .map((claim) => `${claim}=${String(credential.claims?.[claim])}`);
  return `bearer token ${[...shown, expiry].join(', ')} (${credential.source})`;
}
