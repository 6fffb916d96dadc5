import { classify } from './classify.js';
import { isAccessDenied, listedReplicas, NOBODY_DELETES_REPLICAS, readRuleExpiry, replicaKey, ruleRemains } from './removal.js';
import type { CleanupLedger, LedgerEntry } from './ledger.js';
import { catalogueAuthMethods, openLakeSession, type LakeSession } from './lake-session.js';
import type { ResolvedPlan } from '../plan/index.js';
import type { AuthMethod } from './op-result.js';

/**
 * What cleanup did with one ledger entry. `handed_over`: Rucio removes it later
 * (a deleted rule's replicas go through judge-cleaner and reaper; an expired DID
 * through the undertaker; a file the catalogue lists through the reaper).
 * `remains`: a rule no credential may delete, which goes by itself when it expires
 * (the entry stays open until it is gone). `left_behind` stays open too.
 */
export type CleanupStatus = 'removed' | 'handed_over' | 'never_created' | 'already_gone' | 'remains' | 'left_behind';

export interface CleanupOutcome {
  entry: LedgerEntry;
  status: CleanupStatus;
  /** false only for `left_behind`. */
  ok: boolean;
  /** One line for the console, redacted: what was done, or why nothing could be done. */
  message: string;
  /** The identity that checked or removed the object ('' when none was needed or none worked). */
  actedAs: AuthMethod | '';
}

export interface CleanupLake {
  session(method: AuthMethod): Promise<LakeSession>;
  /** Auth methods that log in to the catalogue (catalogueAuthMethods): any of them may check and remove an entry. */
  methods: readonly AuthMethod[];
}

export const RULE_DELETED = 'rule deleted; replicas are removed by Rucio later';
export const FILE_LISTED = 'the catalogue lists it as a replica: Rucio\'s reaper deletes the file once no rule holds it';
export const REPLICA_REGISTERED = 'registered under its dataset\'s rule: it goes when that rule is removed or expires (judge-cleaner, reaper)';

/** Rucio refused this identity the rule's deletion: the rule stays until it expires. */
class RuleDeletionRefused extends Error {
  constructor(readonly account: string, readonly expiresAt: string | null | undefined) {
    super(`account ${account} may not delete rules`);
  }
}
export const DID_EXPIRED = 'lifetime set to 1 s; Rucio removes the DID later';

/** The creator's identity first (it surely may remove the object), then the plan's others. */
function candidates(entry: LedgerEntry, methods: readonly AuthMethod[]): AuthMethod[] {
  const creator = entry.authMethod as AuthMethod;
  return methods.includes(creator) ? [creator, ...methods.filter((m) => m !== creator)] : [...methods];
}

function statusOf(e: unknown): number | undefined {
  return (e as { status?: number } | null | undefined)?.status;
}

function splitDid(target: string): [string, string] {
  const [scope, ...name] = target.split(':');
  return [scope as string, name.join(':')];
}

/** The PFN's scheme says which driver wrote it: root:// through xrdcp, the rest WebDAV. */
function driverOf(s: LakeSession, pfn: string) {
  return s.storage(pfn.startsWith('root:') ? 'root' : 'davs');
}

/** Is the registered replica still listed on its RSE? */
async function replicaListed(s: LakeSession, entry: LedgerEntry): Promise<boolean> {
  const [scope, name] = splitDid(entry.target);
  const [record] = await s.rucio.listReplicas({ dids: [{ scope, name }], allStates: true });
  return Boolean(record?.states?.[entry.rse]);
}

/** Does the object exist? Throws when this identity cannot tell (refused, unreachable). */
async function exists(s: LakeSession, entry: LedgerEntry): Promise<boolean> {
  try {
    if (entry.kind === 'replica') return await replicaListed(s, entry);
    if (entry.kind === 'storage_file') return (await driverOf(s, entry.target).stat(entry.target)) !== null;
    if (entry.kind === 'rule') await s.rucio.getRule(entry.target);
    else await s.rucio.getDid(...splitDid(entry.target));
    return true;
  } catch (e) {
    if (statusOf(e) === 404) return false;
    throw e;
  }
}

async function remove(s: LakeSession, entry: LedgerEntry): Promise<{ status: CleanupStatus; message: string }> {
  if (entry.kind === 'rule') {
    try {
      await s.rucio.deleteRule(entry.target, true);
    } catch (e) {
      if (isAccessDenied(e)) throw new RuleDeletionRefused(s.account, await readRuleExpiry(s.rucio, entry.target));
      throw e;
    }
    return { status: 'handed_over', message: RULE_DELETED };
  }
  if (entry.kind === 'storage_file') {
    // Rucio deletes, lakeprobe asks: a file the catalogue lists is the reaper's, never ours.
    if (entry.did) {
      const [scope, name] = splitDid(entry.did);
      if ((await listedReplicas(s.rucio, [{ scope, name }])).has(replicaKey(entry.rse, entry.did))) {
        return { status: 'handed_over', message: FILE_LISTED };
      }
    }
    await driverOf(s, entry.target).delete(entry.target);
    return { status: 'removed', message: 'removed' };
  }
  // A replica lakeprobe registers is attached to a dataset whose rule already holds it.
  if (entry.kind === 'replica') return { status: 'handed_over', message: REPLICA_REGISTERED };
  // A user cannot delete a DID: a 1 s lifetime hands it to Rucio's undertaker.
  await s.rucio.setDidLifetime(...splitDid(entry.target), 1);
  return { status: 'handed_over', message: DID_EXPIRED };
}

/**
 * Finishes what earlier runs left: for each ledger entry not yet done, checks with
 * any working credential of the plan whether the object exists, removes exactly that
 * object, and closes entries for objects that were never created or are already gone.
 * What no credential can check or remove is reported as left behind, with why. Entries of
 * `skipRuns` (runs still in progress) are not touched.
 */
export async function cleanupLedger(
  ledger: CleanupLedger, lake: CleanupLake, runId?: string, skipRuns: ReadonlySet<string> = new Set(),
): Promise<CleanupOutcome[]> {
  const outcomes: CleanupOutcome[] = [];
  for (const entry of ledger.pending(runId)) {
    // A run still in progress owns its entries: what it made is not left behind yet.
    if (skipRuns.has(entry.runId)) continue;
    const outcome = await cleanEntry(entry, lake);
    if (outcome.ok && outcome.status !== 'remains') ledger.done(entry.id);
    outcomes.push(outcome);
  }
  return outcomes;
}

async function cleanEntry(entry: LedgerEntry, lake: CleanupLake): Promise<CleanupOutcome> {
  const result = (status: CleanupStatus, message: string, actedAs: AuthMethod | '' = ''): CleanupOutcome =>
    ({ entry, status, ok: status !== 'left_behind', message, actedAs });
  // The create call failed before it returned an id: there is nothing to look for.
  if (entry.target === '') return result('never_created', 'never created (the create call returned no id)');

  const tried: string[] = [];
  let refused: RuleDeletionRefused | undefined;
  if (!lake.methods.includes(entry.authMethod as AuthMethod)) tried.push(`${entry.authMethod}: the plan has no such credentials`);
  for (const method of candidates(entry, lake.methods)) {
    let secrets: string[] = [];
    let found: boolean;
    let s: LakeSession;
    try {
      s = await lake.session(method);
      secrets = s.secrets;
      found = await exists(s, entry);
    } catch (e) {
      // Printed to the console: redacted and one line, like any recorded message.
      tried.push(`${method}: ${classify(e, secrets).message}`);
      continue;
    }
    if (!found) {
      // Its creation was never confirmed: the create call failed (e.g. a 401) or the run died in it.
      return entry.state === 'pending'
        ? result('never_created', `never created (not found as ${method})`, method)
        : result('already_gone', `already gone (not found as ${method})`, method);
    }
    try {
      const { status, message } = await remove(s, entry);
      return result(status, message, method);
    } catch (e) {
      if (statusOf(e) === 404) return result('already_gone', `already gone (removed meanwhile, as ${method})`, method);
      if (e instanceof RuleDeletionRefused) {
        refused ??= e;
        tried.push(`${method}: account ${e.account} may not delete it`);
        continue;
      }
      tried.push(`${method}: exists, but removing it failed: ${classify(e, secrets).message}`);
    }
  }
  if (refused) {
    // Rucio keeps it, with its files, until it expires; nothing more is lakeprobe's to do unless it never expires.
    const line = ruleRemains(entry.target, refused.account, refused.expiresAt);
    return refused.expiresAt ? result('remains', line) : result('left_behind', `left behind: ${line} (${tried.join('; ')})`);
  }
  if (tried.length === 0) tried.push('the plan has no credentials that log in to the catalogue to check it with');
  const hint = entry.kind === 'replica' ? `; replica ${entry.target} on ${entry.rse}: ${NOBODY_DELETES_REPLICAS}` : '';
  return result('left_behind', `left behind: ${tried.join('; ')}${hint}`);
}

/** Fixed-width labels, so the console lines line up. */
const STATUS_LABEL: Record<CleanupStatus, string> = {
  removed: 'removed      ', handed_over: 'handed over  ', never_created: 'never created',
  already_gone: 'already gone ', remains: 'REMAINS      ', left_behind: 'LEFT BEHIND  ',
};

/** One line per ledger entry (what was done, or why not), then the counts. */
export function cleanupLines(outcomes: readonly CleanupOutcome[]): string[] {
  const lines = outcomes.map((o) => {
    const where = [o.entry.kind, o.entry.rse, o.entry.target || '(no id)'].filter(Boolean).join(' ');
    return `${STATUS_LABEL[o.status]} ${where} (run ${o.entry.runId}): ${o.message}`;
  });
  const counts = (Object.keys(STATUS_LABEL) as CleanupStatus[])
    .map((st) => [st, outcomes.filter((o) => o.status === st).length] as const)
    .filter(([, n]) => n > 0).map(([st, n]) => `${n} ${st.replace('_', ' ')}`);
  lines.push(`${outcomes.length} ledger entries processed${counts.length ? `: ${counts.join(', ')}` : ''}`);
  return lines;
}

/**
 * cleanupLedger with the plan's own credentials: one session per auth method, opened when an
 * entry first needs it and closed at the end. What `lakeprobe cleanup` and a stopped run do.
 */
export async function cleanupWithPlan(
  ledger: CleanupLedger, plan: ResolvedPlan, runId?: string, skipRuns?: ReadonlySet<string>,
): Promise<CleanupOutcome[]> {
  const sessions = new Map<AuthMethod, Promise<LakeSession>>();
  const session = (m: AuthMethod): Promise<LakeSession> => {
    let s = sessions.get(m);
    if (!s) sessions.set(m, (s = openLakeSession(plan, m)));
    return s;
  };
  try {
    return await cleanupLedger(ledger, { session, methods: catalogueAuthMethods(plan) }, runId, skipRuns);
  } finally {
    for (const s of sessions.values()) await s.then((x) => x.close?.(), () => {});
  }
}
