import { classify } from './classify.js';
import type { CleanupLedger, LedgerEntry } from './ledger.js';
import type { LakeSession } from './lake-session.js';
import type { AuthMethod } from './op-result.js';

export interface CleanupOutcome {
  entry: LedgerEntry;
  ok: boolean;
  message: string;
}

/**
 * Finishes what crashed runs left: for each ledger entry not yet done, removes
 * exactly that object (as the identity that created it), and nothing else.
 * A 404 counts as done: something else (a lifetime, the reaper) got there first.
 */
export async function cleanupLedger(
  ledger: CleanupLedger,
  session: (method: AuthMethod) => Promise<LakeSession>,
  runId?: string,
): Promise<CleanupOutcome[]> {
  const outcomes: CleanupOutcome[] = [];
  for (const entry of ledger.pending(runId)) {
    let secrets: string[] = [];
    try {
      if (entry.target === '') {
        // Intended but never created (the create call failed before returning an id).
        ledger.done(entry.id);
        outcomes.push({ entry, ok: true, message: 'never created' });
        continue;
      }
      const s = await session(entry.authMethod as AuthMethod);
      secrets = s.secrets;
      if (entry.kind === 'replica') {
        const outcome = await removeReplica(s, entry);
        if (outcome.ok) ledger.done(entry.id);
        outcomes.push({ entry, ...outcome });
        continue;
      }
      if (entry.kind === 'rule') await s.rucio.deleteRule(entry.target, true);
      // The PFN's scheme says which driver wrote it: root:// through xrdcp, the rest WebDAV.
      else if (entry.kind === 'storage_file') await s.storage(entry.target.startsWith('root:') ? 'root' : 'davs').delete(entry.target);
      else {
        const [scope, ...name] = entry.target.split(':');
        await s.rucio.setDidLifetime(scope as string, name.join(':'), 1);
      }
      ledger.done(entry.id);
      outcomes.push({ entry, ok: true, message: 'removed' });
    } catch (e) {
      const status = (e as { status?: number } | null | undefined)?.status;
      if (status === 404) {
        ledger.done(entry.id);
        outcomes.push({ entry, ok: true, message: 'already gone' });
      } else {
        // Printed to the console: redacted and one line, like any recorded message.
        outcomes.push({ entry, ok: false, message: classify(e, secrets).message });
      }
    }
  }
  return outcomes;
}

/**
 * A registered replica that no rule covers. Only root may delete replicas in Rucio's
 * generic policy, so when the catalogue refuses, the replica is reported as left
 * behind (never closed silently); an entry whose replica is not listed is done.
 */
async function removeReplica(s: LakeSession, entry: LedgerEntry): Promise<{ ok: boolean; message: string }> {
  const [scope = '', ...rest] = entry.target.split(':');
  const did = { scope, name: rest.join(':') };
  const listed = async (): Promise<boolean> => {
    const [record] = await s.rucio.listReplicas({ dids: [did], allStates: true });
    return Boolean(record?.states?.[entry.rse]);
  };
  if (!(await listed())) return { ok: true, message: 'already gone' };
  try {
    await s.rucio.deleteReplicas(entry.rse, [did]);
  } catch (e) {
    return {
      ok: false,
      message: `left behind: replica ${entry.target} on ${entry.rse} has no rule and could not be removed `
        + `(${classify(e, s.secrets).message}); a Rucio admin can remove it`,
    };
  }
  return (await listed()) ? { ok: false, message: `left behind: replica ${entry.target} on ${entry.rse} still listed after removal` }
    : { ok: true, message: 'removed' };
}
