import type { BearerToken, X509Credential } from './types.js';
import { describeVoms } from './voms.js';

/** A one-line description safe to print: identity and validity, never key or token material. */
export function describeCredential(credential: X509Credential | BearerToken): string {
  if ('certPem' in credential) {
    const kind = credential.isProxy ? 'x509 proxy' : 'x509 certificate';
    const voms = (credential.voms ?? []).map((v) => `, ${describeVoms(v)} valid until ${v.notAfter.toISOString()}`).join('');
    return `${kind} ${credential.subject}, valid until ${credential.notAfter.toISOString()}${voms} (${credential.source})`;
  }
  const expiry = credential.expiresAt ? `expires ${credential.expiresAt.toISOString()}` : 'no expiry';
  if (!credential.claims) return `opaque bearer token, ${expiry} (${credential.source})`;
  const shown = ['sub', 'iss', 'scope']
    .filter((claim) => typeof credential.claims?.[claim] === 'string')
    .map((claim) => `${claim}=${String(credential.claims?.[claim])}`);
  return `bearer token ${[...shown, expiry].join(', ')} (${credential.source})`;
}
