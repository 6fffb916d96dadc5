// The sandbox's reaper: deletes the files of replicas nothing holds any more
// (tombstone set and passed, no lock), then forgets the replicas. As Rucio's reaper
// (core/replica.py list_and_mark_unlocked_replicas), a replica without a tombstone is never taken:
// one registered without a rule stays until someone sets a tombstone or a rule releases it.
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
}

export interface ReapedReplica {
  rse: string;
  scope: string;
  name: string;
  pfn?: string;
}

export interface ReapResult {
  removed: ReapedReplica[];
  /** Replicas left in the catalogue because their file could not be deleted. */
  failed: (ReapedReplica & { error: string })[];
}

/** One reaper pass: DELETE each file (404 means already gone), then remove its replica row. */
export async function reapOnce(opts: ReapOptions): Promise<ReapResult> {
  const result: ReapResult = { removed: [], failed: [] };
  const eligible = (): { rse: string; scope: string; name: string; pfns: string[] }[] => opts.admin.replicasToReap(opts.rse, opts.graceSeconds);
  const candidates = eligible();
  if (candidates.length === 0) return result;
  const { destToken } = await opts.credentials();
  for (const replica of candidates) {
    const { rse, scope, name } = replica;
    // A rule may have locked it since the pass started.
    if (!eligible().some((r) => r.rse === rse && r.scope === scope && r.name === name)) continue;
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
    opts.admin.removeReplica(scope, name, rse);
    result.removed.push({ rse, scope, name, pfn });
  }
  return result;
}
