// Direct access for the sandbox orchestrator and tests: seeding (accounts,
// identities, RSEs, limits, scopes), the transfer engine's request queue,
// the reaper's candidates, and the cleaner/undertaker pass.
import { randomUUID } from 'node:crypto';
import { runAbacus } from './account-counters.js';
import { insertAccount, insertScope, requireAccount, upsertAccountLimit } from './accounts.js';
import type { IdentityKind } from './auth.js';
import { hashPassword } from './auth.js';
import type { Catalogue } from './context.js';
import { RucioError } from './errors.js';
import type { ExpireResult } from './housekeeping.js';
import { cleanupAfterReplicaDeletion, expire } from './housekeeping.js';
import { runJudgeEvaluator } from './judge-evaluator.js';
import type { ReplicaRow } from './replica-store.js';
import { REPLICA_STATES, findReplica, replicaPfns, setReplicaState } from './replica-store.js';
import type { RequestState } from './requests.js';
import { getRequestRow } from './requests.js';
import { insertProtocol, insertRse } from './rses.js';
import { requireRse, rseById, setRseAttribute } from './rse-store.js';
import { replicaStateChanged } from './rule-engine.js';

export interface TransferRequest {
  id: string;
  ruleId: string;
  scope: string;
  name: string;
  state: RequestState;
  destRse: string;
  /** Where the copy must be written (dest protocols able to write, best first). */
  destPfns: string[];
  /** AVAILABLE replicas elsewhere, with their readable PFNs. */
  sources: { rse: string; pfns: string[] }[];
  bytes: number;
  adler32: string | null;
  md5: string | null;
  activity: string;
  priority: number;
  createdAt: Date;
}

/** What the transfer tool measured, written to the request row (Rucio's column names in the row). */
export interface TransferReport {
  /** When the copy itself began (started_at). */
  startedAt?: Date;
  /** When the copy ended, successfully or not (transferred_at). */
  transferredAt?: Date;
  /** Bytes the copy moved (bytes). */
  bytes?: number;
  /** Attempts beyond the first (retry_count). */
  retryCount?: number;
}

export interface ReplicaInfo {
  rse: string;
  state: string;
  pfns: string[];
  tombstone: Date | null;
  locks: number;
}

export interface CatalogueAdmin {
  addAccount(name: string, type: 'USER' | 'GROUP' | 'SERVICE', opts?: { admin?: boolean; email?: string }): void;
  /** OIDC identities are 'SUB=<sub>, ISS=<iss>'; passwords are stored salted and hashed. */
  addIdentity(id: { kind: IdentityKind; identity: string; account: string; password?: string; isDefault?: boolean }): void;
  /** Returns the RSE id. */
  addRse(name: string, opts: { deterministic: boolean; rseType: 'DISK' | 'TAPE'; volatile: boolean; stagingArea?: boolean; qosClass?: string }): string;
  addProtocol(rse: string, protocol: Record<string, unknown>): void;
  setRseAttribute(rse: string, key: string, value: string | number | boolean | null): void;
  /** A distance from one RSE to another (rucio-admin rse add-distance), as POST /rses/<src>/distances/<dst> stores it. */
  addDistance(source: string, destination: string, distance: number): void;
  setRseAvailability(rse: string, flags: { read?: boolean; write?: boolean; delete?: boolean }): void;
  setAccountLimit(account: string, rse: string, bytes: number): void;
  addScope(account: string, scope: string): void;
  /** Replica state name ('AVAILABLE', 'COPYING', ...) or null when there is no replica. */
  getReplicaState(scope: string, name: string, rse: string): string | null;
  listReplicas(scope: string, name: string): ReplicaInfo[];
  listRequests(state?: RequestState): TransferRequest[];
  markRequestSubmitted(id: string, info: {
    sourceRse?: string; transfertool?: string; externalId?: string; externalHost?: string; destUrl?: string;
  }): void;
  /** The copy itself began (an attempt left the transfer tool's queue): the request's started_at. */
  markRequestStarted(id: string, at: Date): void;
  /**
   * An attempt failed and the transfer tool retries it: the failed attempt goes to the history as its own FAILED
   * row, and the request counts one more retry (retry_count, previous_attempt_id) and waits for its next start.
   * Rucio's finisher does this as requeue_and_archive (lib/rucio/core/request.py), giving the retry a new id; here
   * the request keeps its id so the transfer tool keeps following it. Returns the history row's id.
   */
  recordFailedAttempt(id: string, error: string): string;
  /** A transfer finished: success makes the destination replica AVAILABLE, failure makes its locks STUCK. */
  completeRequest(id: string, outcome: { ok: true; sourceRse?: string } | { ok: false; error: string }, report?: TransferReport): void;
  /** Replicas whose tombstone has passed and that no lock holds: what a reaper may delete. */
  replicasToReap(rse?: string, graceSeconds?: number, retrySeconds?: number): ReapCandidate[];
  /** As replicasToReap, and marks each BEING_DELETED (list_and_mark_unlocked_replicas): no longer listed as available. */
  markReplicasToReap(rse?: string, graceSeconds?: number, retrySeconds?: number): ReapCandidate[];
  /**
   * Removes the replica row only while it is BEING_DELETED and unlocked (delete_replicas after the file went);
   * a file left with no replica leaves its collections and the DID table.
   */
  removeReapedReplica(scope: string, name: string, rse: string): boolean;
  removeReplica(scope: string, name: string, rse: string): void;
  /** Runs judge-cleaner and undertaker once, at `now` (default: the catalogue clock). */
  expire(now?: Date): ExpireResult;
  /** One abacus-account pass now (rucio-abacus-account --run-once): queued usage deltas reach the counters. */
  runAbacus(): number;
  /** One judge-evaluator pass now over every queued DID, whatever the delay (rucio-judge-evaluator --run-once). */
  runJudgeEvaluator(): number;
  /** The transfer tool's side of request cancellation: `listener` gets the ids of submitted requests a deletion cancelled. */
  onTransfersCancelled(listener: (requestIds: string[]) => void): () => void;
}

export interface ReapCandidate { rse: string; scope: string; name: string; pfns: string[] }

/** core/replica.py list_and_mark_unlocked_replicas: a BEING_DELETED replica is taken again after delay_seconds (600). */
const REAP_RETRY_SECONDS = 600;

export function createAdmin(cat: Catalogue): CatalogueAdmin {
  const db = cat.db;
  const tx = <T>(fn: () => T): T => db.transaction(fn)();
  const pfnsOf = (r: ReplicaRow, op: 'read' | 'write'): string[] =>
    replicaPfns(db, rseById(db, r.rse_id), r.scope, r.name, r.path, op).map((p) => p.pfn);
  const lockCount = db.prepare('SELECT COUNT(*) AS n FROM locks WHERE scope = ? AND name = ? AND rse_id = ?');
  // core/replica.py list_and_mark_unlocked_replicas: no lock, tombstone passed, state A/U/BAD (or BEING_DELETED for
  // longer than the retry delay), not the source of a transfer in flight, on an RSE that allows deletion (daemons/reaper/reaper.py).
  const reapable = (rse: string | undefined, graceSeconds: number, retrySeconds: number): ReplicaRow[] => {
    const rseId = rse ? requireRse(db, rse, cat.vo).id : null;
    const now = cat.now();
    return db.prepare(`SELECT p.* FROM replicas p JOIN rses r ON r.id = p.rse_id
                       WHERE p.tombstone IS NOT NULL AND p.tombstone < ? AND (? IS NULL OR p.rse_id = ?)
                       AND (p.state IN ('A', 'U', 'D') OR (p.state = 'B' AND p.updated_at < ?)) AND r.availability_delete = 1
                       AND NOT EXISTS (SELECT 1 FROM locks l WHERE l.scope = p.scope AND l.name = p.name AND l.rse_id = p.rse_id)
                       AND NOT EXISTS (SELECT 1 FROM requests q WHERE q.scope = p.scope AND q.name = p.name
                                       AND q.source_rse_id = p.rse_id AND q.state = 'SUBMITTED' AND q.archived_at IS NULL)
                       ORDER BY p.tombstone, p.updated_at`).all(now - graceSeconds * 1000, rseId, rseId, now - retrySeconds * 1000) as ReplicaRow[];
  };
  /** A request still in the queue: one a rule deletion cancelled (archived) takes no more reports. */
  const liveRequest = (id: string): ReturnType<typeof getRequestRow> => {
    const q = getRequestRow(db, id);
    if (q.archived_at !== null) throw new RucioError(404, 'RequestNotFound', `Request with ID ${id} is no longer queued (${q.state}, archived)`);
    return q;
  };

  return {
    addAccount: (name, type, opts = {}) => tx(() => insertAccount(cat, name, type, opts)),
    addIdentity: ({ kind, identity, account, password, isDefault }) => tx(() => {
      requireAccount(db, account);
      if (kind === 'USERPASS' && !password) throw new RucioError(400, 'ValueError', 'A USERPASS identity needs a password');
      const secret = password ? hashPassword(password) : null;
      db.prepare(`INSERT INTO identities (kind, identity, account, salt, password_hash, is_default, created_at)
                  VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(kind, identity, account, secret?.salt ?? null, secret?.hash ?? null, isDefault ? 1 : 0, cat.now());
    }),
    addRse: (name, opts) => tx(() => insertRse(cat, name, opts)),
    addProtocol: (rse, protocol) => tx(() => insertProtocol(cat, rse, protocol)),
    setRseAttribute: (rse, key, value) => tx(() => setRseAttribute(db, requireRse(db, rse, cat.vo).id, key, value)),
    addDistance: (source, destination, distance) => tx(() => {
      const now = cat.now();
      db.prepare('INSERT INTO distances (src_rse_id, dest_rse_id, distance, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
        .run(requireRse(db, source, cat.vo).id, requireRse(db, destination, cat.vo).id, distance, now, now);
    }),
    setRseAvailability: (rse, flags) => tx(() => {
      const row = requireRse(db, rse, cat.vo);
      const bit = (v: boolean | undefined, old: number): number => (v === undefined ? old : v ? 1 : 0);
      db.prepare('UPDATE rses SET availability_read = ?, availability_write = ?, availability_delete = ?, updated_at = ? WHERE id = ?')
        .run(bit(flags.read, row.availability_read), bit(flags.write, row.availability_write),
          bit(flags.delete, row.availability_delete), cat.now(), row.id);
    }),
    setAccountLimit: (account, rse, bytes) => tx(() => upsertAccountLimit(cat, account, rse, bytes)),
    addScope: (account, scope) => tx(() => insertScope(cat, account, scope)),
    getReplicaState: (scope, name, rse) => {
      const r = findReplica(db, requireRse(db, rse, cat.vo).id, scope, name);
      return r ? REPLICA_STATES[r.state] : null;
    },
    listReplicas: (scope, name) =>
      (db.prepare('SELECT * FROM replicas WHERE scope = ? AND name = ?').all(scope, name) as ReplicaRow[]).map((r) => ({
        rse: rseById(db, r.rse_id).name, state: REPLICA_STATES[r.state], pfns: pfnsOf(r, 'read'),
        tombstone: r.tombstone === null ? null : new Date(r.tombstone), locks: (lockCount.get(r.scope, r.name, r.rse_id) as { n: number }).n,
      })),
    listRequests: (state) => {
      const rows = (state
        ? db.prepare('SELECT * FROM requests WHERE state = ? AND archived_at IS NULL ORDER BY priority DESC, created_at, rowid').all(state)
        : db.prepare('SELECT * FROM requests ORDER BY created_at, rowid').all()) as ReturnType<typeof getRequestRow>[];
      return rows.map((q) => {
        const dest = rseById(db, q.dest_rse_id);
        const destReplica = findReplica(db, dest.id, q.scope, q.name);
        const sources = (db.prepare(`SELECT * FROM replicas WHERE scope = ? AND name = ? AND state = 'A' AND rse_id != ?`)
          .all(q.scope, q.name, dest.id) as ReplicaRow[]).map((r) => ({ rse: rseById(db, r.rse_id).name, pfns: pfnsOf(r, 'read') }));
        return {
          id: q.id, ruleId: q.rule_id, scope: q.scope, name: q.name, state: q.state, destRse: dest.name,
          destPfns: destReplica ? pfnsOf(destReplica, 'write') : [], sources, bytes: q.bytes, adler32: q.adler32, md5: q.md5,
          activity: q.activity, priority: q.priority, createdAt: new Date(q.created_at),
        };
      });
    },
    markRequestSubmitted: (id, info) => tx(() => {
      liveRequest(id);
      const source = info.sourceRse ? requireRse(db, info.sourceRse, cat.vo).id : null;
      const now = cat.now();
      db.prepare(`UPDATE requests SET state = 'SUBMITTED', source_rse_id = COALESCE(?, source_rse_id), transfertool = ?,
                  external_id = ?, external_host = ?, dest_url = COALESCE(?, dest_url), submitted_at = ?,
                  updated_at = ? WHERE id = ?`)
        .run(source, info.transfertool ?? null, info.externalId ?? null, info.externalHost ?? null, info.destUrl ?? null,
          now, now, id);
    }),
    markRequestStarted: (id, at) => tx(() => {
      liveRequest(id);
      db.prepare('UPDATE requests SET started_at = ?, updated_at = ? WHERE id = ?').run(at.getTime(), cat.now(), id);
    }),
    recordFailedAttempt: (id, error) => tx(() => {
      const q = liveRequest(id);
      const now = cat.now();
      const historyId = randomUUID().replace(/-/g, '');
      db.prepare(`INSERT INTO requests (id, rule_id, scope, name, dest_rse_id, source_rse_id, state, bytes, md5, adler32, account, activity,
                  priority, attributes, err_msg, external_id, external_host, transfertool, dest_url, retry_count, previous_attempt_id,
                  submitted_at, started_at, transferred_at, archived_at, created_at, updated_at)
                  VALUES (?, ?, ?, ?, ?, ?, 'FAILED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(historyId, q.rule_id, q.scope, q.name, q.dest_rse_id, q.source_rse_id, q.bytes, q.md5, q.adler32, q.account, q.activity,
          q.priority, q.attributes, error, q.external_id, q.external_host, q.transfertool, q.dest_url, q.retry_count,
          q.previous_attempt_id, q.submitted_at, q.started_at, now, now, q.created_at, now);
      db.prepare('UPDATE requests SET retry_count = retry_count + 1, previous_attempt_id = ?, started_at = NULL, updated_at = ? WHERE id = ?')
        .run(historyId, now, id);
      return historyId;
    }),
    completeRequest: (id, outcome, report = {}) => tx(() => {
      const q = liveRequest(id);
      const now = cat.now();
      if (outcome.ok && outcome.sourceRse) {
        db.prepare('UPDATE requests SET source_rse_id = ? WHERE id = ?').run(requireRse(db, outcome.sourceRse, cat.vo).id, id);
      }
      const state = outcome.ok ? 'A' : 'U';
      if (findReplica(db, q.dest_rse_id, q.scope, q.name)) setReplicaState(db, q.dest_rse_id, q.scope, q.name, state, now);
      replicaStateChanged(cat, q.dest_rse_id, q.scope, q.name, state, outcome.ok ? null : outcome.error);
      // The conveyor-finisher archives a finished request (core/request.py archive_request): from now on
      // it is read through /requests/history/..., no longer /requests/....
      db.prepare(`UPDATE requests SET started_at = COALESCE(?, started_at), transferred_at = COALESCE(?, transferred_at),
                  bytes = COALESCE(?, bytes), retry_count = COALESCE(?, retry_count), archived_at = ? WHERE id = ?`)
        .run(report.startedAt?.getTime() ?? null, report.transferredAt?.getTime() ?? null, report.bytes ?? null,
          report.retryCount ?? null, now, id);
    }),
    replicasToReap: (rse, graceSeconds = 0, retrySeconds = REAP_RETRY_SECONDS) =>
      reapable(rse, graceSeconds, retrySeconds).map((r) => ({ rse: rseById(db, r.rse_id).name, scope: r.scope, name: r.name, pfns: pfnsOf(r, 'read') })),
    markReplicasToReap: (rse, graceSeconds = 0, retrySeconds = REAP_RETRY_SECONDS) => tx(() => {
      const now = cat.now();
      const mark = db.prepare("UPDATE replicas SET state = 'B', updated_at = ? WHERE rse_id = ? AND scope = ? AND name = ?");
      return reapable(rse, graceSeconds, retrySeconds).map((r) => {
        // The PFNs are those of the replica as it was listed (a non-deterministic path stays on the row).
        const pfns = pfnsOf(r, 'read');
        mark.run(now, r.rse_id, r.scope, r.name);
        return { rse: rseById(db, r.rse_id).name, scope: r.scope, name: r.name, pfns };
      });
    }),
    removeReapedReplica: (scope, name, rse) => tx(() => {
      const rseId = requireRse(db, rse, cat.vo).id;
      if ((lockCount.get(scope, name, rseId) as { n: number }).n > 0) return false;
      if (db.prepare("DELETE FROM replicas WHERE rse_id = ? AND scope = ? AND name = ? AND state = 'B'").run(rseId, scope, name).changes === 0) return false;
      cleanupAfterReplicaDeletion(cat, scope, name);
      return true;
    }),
    removeReplica: (scope, name, rse) => tx(() => {
      db.prepare('DELETE FROM replicas WHERE rse_id = ? AND scope = ? AND name = ?').run(requireRse(db, rse, cat.vo).id, scope, name);
    }),
    expire: (now) => expire(now ? { ...cat, now: () => now.getTime() } : cat),
    runJudgeEvaluator: () => tx(() => runJudgeEvaluator(cat)),
    onTransfersCancelled: (listener) => {
      cat.transferCancellations.add(listener);
      return () => cat.transferCancellations.delete(listener);
    },
    runAbacus: () => tx(() => runAbacus(cat)),
  };
}
