// The plan's x509 proxy renewed by its command ahead of expiry, before a run and on the
// daemon's credential timer alike. A failed renewal is a warning line while the proxy
// holds: the runs go on, and once it expires they fail as auth_expired.
import type { ResolvedPlan } from '../plan/index.js';
import { renewProxyIfDue, type ProxyRenewalOutcome } from '../lake/credentials/proxy-renewal.js';
import type { SecretSet } from './secrets.js';

export async function renewPlanProxy(
  plan: ResolvedPlan, secrets: SecretSet, log: (line: string) => void,
): Promise<ProxyRenewalOutcome | null> {
  const x509 = plan.credentials.x509;
  if (!x509 || !('proxy' in x509) || !x509.renew) return null;
  const outcome = await renewProxyIfDue(x509.proxy, x509.renew, { redact: (text) => secrets.redact(text) });
  const expiry = outcome.expiresAt ? `expires ${outcome.expiresAt.toISOString()}` : 'no readable proxy';
  if (outcome.result === 'renewed') log(`x509 proxy ${x509.proxy} renewed by ${outcome.state.command}: ${expiry}`);
  if (outcome.result === 'failed') log(`warning: x509 proxy renewal failed (${expiry}): ${outcome.state.lastError ?? ''}`);
  return outcome;
}
