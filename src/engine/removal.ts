// How data leaves the lake: Rucio deletes, lakeprobe asks. lakeprobe removes the rules
// it made and lets the lake's reaper delete their files; it deletes a file at storage
// itself only while the catalogue does not list it. What a run or `cleanup` may not
// remove is said plainly: which rule, who may remove it, and when it goes by itself.
import { RucioApiError } from '../lake/errors.js';
import type { RucioClient } from '../lake/rucio/index.js';

/** Who Rucio 41's generic permission policy lets delete a rule (lib/rucio/core/permission/generic.py perm_del_rule). */
export const WHO_MAY_DELETE_RULES = 'only root or an account with the admin attribute may delete rules (Rucio\'s generic policy, perm_del_rule)';

/** Rucio 41 refuses DELETE /replicas to every account, root included (generic.py perm_delete_replicas is False). */
export const NOBODY_DELETES_REPLICAS =
  'Rucio refuses DELETE /replicas to every account, root included: the replica goes when no rule holds it and its tombstone passes, '
  + 'or when its DID expires (a lifetime set by the scope\'s owner, root or an admin)';

/** The catalogue refused the caller this action (Rucio's AccessDenied, whatever the status). */
export function isAccessDenied(e: unknown): boolean {
  return e instanceof RucioApiError && e.exceptionClass === 'AccessDenied';
}

/** When a rule goes by itself, as a phrase: "until it expires at …" or "for good: it has no lifetime". */
export function ruleExpiry(expiresAt: string | null | undefined): string {
  if (expiresAt === undefined) return 'until its lifetime ends (its expiry could not be read)';
  return expiresAt === null ? 'for good: it has no lifetime' : `until it expires at ${expiresAt}`;
}

/** The rule's expires_at, or undefined when it cannot be read (the message says so). */
export async function readRuleExpiry(rucio: RucioClient, ruleId: string): Promise<string | null | undefined> {
  try {
    return (await rucio.getRule(ruleId)).expires_at;
  } catch {
    return undefined;
  }
}

/** One line for a rule whose deletion was refused: it stays with its files, who may remove it, when it goes. */
export function ruleRemains(ruleId: string, account: string, expiresAt: string | null | undefined): string {
  return `rule ${ruleId} remains with its files ${ruleExpiry(expiresAt)}: Rucio refused account ${account} its deletion; `
    + `${WHO_MAY_DELETE_RULES}`;
}

/** '<rse>\u0000scope:name' for each replica the catalogue lists, in any state. */
export async function listedReplicas(rucio: RucioClient, dids: readonly { scope: string; name: string }[]): Promise<Set<string>> {
  const records = await rucio.listReplicas({ dids: dids.map(({ scope, name }) => ({ scope, name })), allStates: true });
  return new Set(records.flatMap((r) => Object.keys(r.states ?? {}).map((rse) => replicaKey(rse, `${r.scope}:${r.name}`))));
}

export function replicaKey(rse: string, did: string): string {
  return `${rse}\u0000${did}`;
}
