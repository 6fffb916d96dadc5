// Replica rows: states (one-letter codes in the database, names on the wire),
// creation, and the PFNs a replica has under each protocol of its RSE.
import type { Db } from './db.js';
import { lfnPath, pfnFor } from './lfn2pfn.js';
import type { Protocol, RseRow } from './rse-store.js';
import { lfn2pfnAlgorithm, rseAttributes, rseProtocols } from './rse-store.js';

export const REPLICA_STATES = {
  A: 'AVAILABLE', U: 'UNAVAILABLE', C: 'COPYING', B: 'BEING_DELETED', D: 'BAD', T: 'TEMPORARY_UNAVAILABLE', S: 'SOURCE',
} as const;
export type ReplicaState = keyof typeof REPLICA_STATES;

/** Accepts a one-letter code or a state name. */
export function replicaStateCode(v: unknown): ReplicaState | null {
  if (typeof v !== 'string') return null;
  if (v in REPLICA_STATES) return v as ReplicaState;
  const hit = Object.entries(REPLICA_STATES).find(([, name]) => name === v);
  return hit ? (hit[0] as ReplicaState) : null;
}

export interface ReplicaRow {
  rse_id: string;
  scope: string;
  name: string;
  bytes: number;
  md5: string | null;
  adler32: string | null;
  state: ReplicaState;
  path: string | null;
  tombstone: number | null;
  created_at: number;
  updated_at: number;
}

export function findReplica(db: Db, rseId: string, scope: string, name: string): ReplicaRow | undefined {
  return db.prepare('SELECT * FROM replicas WHERE rse_id = ? AND scope = ? AND name = ?').get(rseId, scope, name) as
    ReplicaRow | undefined;
}

/** `path` is under the protocol prefix; null on deterministic RSEs (computed from the name). */
export type NewReplica = Pick<ReplicaRow, 'scope' | 'name' | 'bytes' | 'md5' | 'adler32' | 'state' | 'path'> & { rseId: string };

/**
 * Rucio's tombstone_from_delay() (lib/rucio/core/replica.py): no delay, no tombstone; a negative
 * delay gives the epoch (OBSOLETE); otherwise now + delay seconds.
 */
export function tombstoneFromDelay(delay: unknown, now: number): number | null {
  const seconds = typeof delay === 'number' ? Math.trunc(delay) : typeof delay === 'string' && /^\s*-?\d+\s*$/.test(delay) ? Number(delay) : 0;
  if (!seconds) return null;
  return seconds < 0 ? 0 : now + seconds * 1000;
}

/** Inserts a replica row; `tombstone` null means the reaper never takes it (Rucio's default). */
export function insertReplica(db: Db, r: NewReplica, now: number, tombstone: number | null): void {
  db.prepare(`INSERT INTO replicas (rse_id, scope, name, bytes, md5, adler32, state, path, tombstone, created_at, updated_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(r.rseId, r.scope, r.name, r.bytes, r.md5, r.adler32, r.state, r.path, tombstone, now, now);
}

export function setReplicaState(db: Db, rseId: string, scope: string, name: string, state: ReplicaState, now: number): void {
  db.prepare('UPDATE replicas SET state = ?, updated_at = ? WHERE rse_id = ? AND scope = ? AND name = ?')
    .run(state, now, rseId, scope, name);
}

/** Path of a replica under its protocol prefix. */
export function replicaPath(db: Db, rse: RseRow, scope: string, name: string, storedPath: string | null): string {
  if (!rse.deterministic && storedPath !== null) return storedPath;
  return lfnPath(scope, name, lfn2pfnAlgorithm(rseAttributes(db, rse.id)));
}

export interface ReplicaPfn {
  pfn: string;
  protocol: Protocol;
}

/** PFNs of a replica under each protocol able to do `operation` in the WAN domain, best priority first. */
export function replicaPfns(
  db: Db, rse: RseRow, scope: string, name: string, storedPath: string | null,
  operation: 'read' | 'write' = 'read', schemes: string[] | null = null,
): ReplicaPfn[] {
  const path = replicaPath(db, rse, scope, name, storedPath);
  return rseProtocols(db, rse.id)
    .filter((p) => p.domains.wan[operation] !== null && (schemes === null || schemes.includes(p.scheme)))
    .sort((a, b) => (a.domains.wan[operation] ?? 0) - (b.domains.wan[operation] ?? 0))
    .map((p) => ({ pfn: pfnFor(p, path), protocol: p }));
}
