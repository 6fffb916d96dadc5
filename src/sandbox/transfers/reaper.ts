// The sandbox's reaper, in Rucio's order (daemons/reaper/reaper.py): marks the replicas nothing
// holds any more (tombstone set and passed, no lock) BEING_DELETED, deletes their files, then
// removes their rows — so no replica is ever listed AVAILABLE without its file. As Rucio's
// (core/replica.py list_and_mark_unlocked_replicas), a replica without a tombstone is never taken:
// one registered without a rule stays until someone sets a tombstone or a rule releases it, and
// one whose file could not be deleted stays BEING_DELETED until a pass after the retry delay.
import type { CatalogueAdmin } from '../catalogue/admin.js';
import type { TransferCredentials } from './engine.js';
import { isHttpsPfn, networkReason, send, toHttpsUrl } from './http.js';

export interface ReapOptions {
  admin: CatalogueAdmin;
  caPems: string[];
  /** The destination token is used: it carries storage.modify. */
  credentials: () => Promise<TransferCredentials>;
  /** Only this RSE (default: all). */
  rse?: string;
  /**
   * Leave replicas alone until their tombstone is this old: a replica whose rule just went
   * (or one tombstoned by tombstone_delay) may be locked again by a new rule in the meantime.
   */
  graceSeconds?: number;
  /** Take a replica left BEING_DELETED by a failed pass again after this long (Rucio: 600 s). */
  retrySeconds?: number;
}

export interface ReapedReplica {
  rse: string;
  scope: string;
  name: string;
  pfn?: string;
}

export interface ReapResult {
  removed: ReapedReplica[];
  /** Replicas left in the catalogue (BEING_DELETED) because their file could not be deleted. */
  failed: (ReapedReplica & { error: string })[];
}

/** One reaper pass: mark the replicas BEING_DELETED, DELETE each file (404 means already gone), then remove its row. */
export async function reapOnce(opts: ReapOptions): Promise<ReapResult> {
  const result: ReapResult = { removed: [], failed: [] };
  if (opts.admin.replicasToReap(opts.rse, opts.graceSeconds, opts.retrySeconds).length === 0) return result;
  const { destToken } = await opts.credentials();
  const candidates = opts.admin.markReplicasToReap(opts.rse, opts.graceSeconds, opts.retrySeconds);
  for (const replica of candidates) {
    const { rse, scope, name } = replica;
    const pfn = replica.pfns.find(isHttpsPfn);
    if (pfn === undefined) {
      result.failed.push({ rse, scope, name, error: `no https or davs protocol on ${rse} to delete with` });
      continue;
    }
    let error: string | undefined;
    try {
      const a = await send(toHttpsUrl(pfn), { method: 'DELETE', headers: { Authorization: `Bearer ${destToken}` }, ca: opts.caPems });
      if (a.status >= 300 && a.status !== 404) error = `DELETE answered ${a.status}: ${a.body.split('\n', 1)[0]?.slice(0, 200) ?? ''}`;
    } catch (err) {
      error = `DELETE failed: ${networkReason(err)}`;
    }
    if (error !== undefined) {
      result.failed.push({ rse, scope, name, pfn, error });
      continue;
    }
    // A rule that locked it meanwhile keeps its row (Rucio: the lock turns it back into a copy to make).
    if (opts.admin.removeReapedReplica(scope, name, rse)) result.removed.push({ rse, scope, name, pfn });
  }
  return result;
}
