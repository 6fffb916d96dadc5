// DIDs and their contents: lookups, file creation, attachment, and the
// resolution of a collection to its files.
import type { Db } from './db.js';
import { archiveAttachment } from './did-history.js';
import { RucioError, notFoundDid } from './errors.js';

export type DidType = 'FILE' | 'DATASET' | 'CONTAINER';

export interface DidRow {
  scope: string;
  name: string;
  did_type: DidType;
  account: string;
  is_open: number | null;
  monotonic: number;
  bytes: number | null;
  md5: string | null;
  adler32: string | null;
  guid: string | null;
  expired_at: number | null;
  meta: string;
  closed_at: number | null;
  /** Stored as Rucio stores it: set when a collection is closed (and decremented on detach), null before. */
  length: number | null;
  created_at: number;
  updated_at: number;
}

export interface DidKey {
  scope: string;
  name: string;
}

/** A file reached through a DID, with the dataset it was found in (null when asked for directly). */
export interface ResolvedFile extends DidKey {
  bytes: number;
  md5: string | null;
  adler32: string | null;
  dataset: DidKey | null;
}

export function findDid(db: Db, scope: string, name: string): DidRow | undefined {
  return db.prepare('SELECT * FROM dids WHERE scope = ? AND name = ?').get(scope, name) as DidRow | undefined;
}

export function requireDid(db: Db, scope: string, name: string): DidRow {
  const did = findDid(db, scope, name);
  if (!did) throw notFoundDid(scope, name);
  return did;
}

export function requireScope(db: Db, scope: string): { scope: string; account: string } {
  const row = db.prepare('SELECT scope, account FROM scopes WHERE scope = ?').get(scope) as { scope: string; account: string } | undefined;
  if (!row) throw new RucioError(404, 'ScopeNotFound', 'Scope not found!');
  return row;
}

export function didMeta(did: DidRow): Record<string, unknown> {
  return JSON.parse(did.meta) as Record<string, unknown>;
}

export function children(db: Db, scope: string, name: string): DidRow[] {
  return db.prepare(`SELECT d.* FROM contents c JOIN dids d ON d.scope = c.child_scope AND d.name = c.child_name
                     WHERE c.scope = ? AND c.name = ? ORDER BY c.rowid`).all(scope, name) as DidRow[];
}

export function parents(db: Db, scope: string, name: string): DidKey[] {
  return db.prepare('SELECT scope, name FROM contents WHERE child_scope = ? AND child_name = ? ORDER BY rowid')
    .all(scope, name) as DidKey[];
}

/** The files below a DID (itself if it is a file), each once, in attachment order. */
export function resolveFiles(db: Db, did: DidRow): ResolvedFile[] {
  const out = new Map<string, ResolvedFile>();
  const visited = new Set<string>();
  const walk = (d: DidRow, dataset: DidKey | null): void => {
    const key = `${d.scope}:${d.name}`;
    if (d.did_type === 'FILE') {
      if (!out.has(key)) out.set(key, { scope: d.scope, name: d.name, bytes: d.bytes ?? 0, md5: d.md5, adler32: d.adler32, dataset });
      return;
    }
    if (visited.has(key)) return;
    visited.add(key);
    const here = d.did_type === 'DATASET' ? { scope: d.scope, name: d.name } : dataset;
    for (const child of children(db, d.scope, d.name)) walk(child, here);
  };
  walk(did, null);
  return [...out.values()];
}

export type DynamicDepth = 'FILE' | 'DATASET' | null;

/**
 * core/did.py __resolve_bytes_length_events_did: a dataset counts its files; a container sums its
 * child datasets' stored values (depth DATASET) or counts the files in them (depth FILE); otherwise
 * the stored values. Sums of nothing are 0.
 */
export function resolveBytesLength(db: Db, did: DidRow, depth: 'FILE' | 'DATASET'): { bytes: number; length: number } {
  const kids = children(db, did.scope, did.name);
  if (did.did_type === 'DATASET' && depth === 'FILE') {
    return { bytes: kids.reduce((s, k) => s + (k.bytes ?? 0), 0), length: kids.length };
  }
  if (did.did_type === 'CONTAINER') {
    const datasets = kids.filter((k) => k.did_type === 'DATASET');
    if (depth === 'DATASET') {
      return { bytes: datasets.reduce((s, k) => s + (k.bytes ?? 0), 0), length: datasets.reduce((s, k) => s + (k.length ?? 0), 0) };
    }
    const files = datasets.flatMap((d) => children(db, d.scope, d.name));
    return { bytes: files.reduce((s, f) => s + (f.bytes ?? 0), 0), length: files.length };
  }
  if (did.did_type === 'FILE') return { bytes: did.bytes ?? 0, length: 1 };
  return { bytes: did.bytes ?? 0, length: did.length ?? 0 };
}

export interface NewFile {
  scope: string;
  name: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
  guid: string | null;
  meta: Record<string, unknown>;
}

/** Creates the file DID unless it exists (an existing one is reused without any consistency check). */
export function ensureFileDid(db: Db, f: NewFile, account: string, now: number): DidRow {
  const existing = findDid(db, f.scope, f.name);
  if (existing) return existing;
  db.prepare(`INSERT INTO dids (scope, name, did_type, account, is_open, bytes, md5, adler32, guid, meta, created_at, updated_at)
              VALUES (?, ?, 'FILE', ?, NULL, ?, ?, ?, ?, ?, ?, ?)`)
    .run(f.scope, f.name, account, f.bytes, f.md5, f.adler32, f.guid, JSON.stringify(f.meta), now, now);
  return findDid(db, f.scope, f.name) as DidRow;
}

/** Attaches existing DIDs to an open collection; the child types must fit the parent's. */
export function attachDids(db: Db, parent: DidRow, kids: DidKey[], now: number, ignoreDuplicate = false): void {
  if (parent.did_type === 'FILE') {
    throw new RucioError(409, 'UnsupportedOperation', `The DID ${parent.scope}:${parent.name} is a file: nothing can be attached to it.`);
  }
  if (!parent.is_open) {
    throw new RucioError(409, 'UnsupportedOperation', `Data identifier '${parent.scope}:${parent.name}' is closed`);
  }
  const insert = db.prepare(`INSERT INTO contents (scope, name, child_scope, child_name, child_type, created_at)
                             VALUES (?, ?, ?, ?, ?, ?)`);
  for (const k of kids) {
    const child = requireDid(db, k.scope, k.name);
    const fits = parent.did_type === 'DATASET' ? child.did_type === 'FILE' : child.did_type !== 'FILE';
    if (!fits) {
      throw new RucioError(409, 'UnsupportedOperation',
        `${child.did_type} ${child.scope}:${child.name} cannot be attached to ${parent.did_type} ${parent.scope}:${parent.name}`);
    }
    if (child.scope === parent.scope && child.name === parent.name) {
      throw new RucioError(409, 'UnsupportedOperation', 'A DID cannot be attached to itself');
    }
    const dup = db.prepare('SELECT 1 FROM contents WHERE scope = ? AND name = ? AND child_scope = ? AND child_name = ?')
      .get(parent.scope, parent.name, child.scope, child.name);
    if (dup && ignoreDuplicate) continue;
    if (dup) {
      throw new RucioError(409, child.did_type === 'FILE' ? 'FileAlreadyExists' : 'DuplicateContent',
        `The DID ${child.scope}:${child.name} is already attached to ${parent.scope}:${parent.name}`);
    }
    insert.run(parent.scope, parent.name, child.scope, child.name, child.did_type, now);
  }
  db.prepare('UPDATE dids SET updated_at = ? WHERE scope = ? AND name = ?').run(now, parent.scope, parent.name);
}

export function detachDids(db: Db, parent: DidRow, kids: DidKey[], now: number): void {
  for (const k of kids) {
    const child = findDid(db, k.scope, k.name);
    // core/did.py detach_dids: a stored length/bytes goes down with each child removed.
    db.prepare(`UPDATE dids SET length = CASE WHEN length THEN length - 1 ELSE length END,
                bytes = CASE WHEN bytes AND ? THEN bytes - ? ELSE bytes END WHERE scope = ? AND name = ? AND did_type != 'FILE'`)
      .run(child?.bytes ?? 0, child?.bytes ?? 0, parent.scope, parent.name);
    archiveAttachment(db, parent, k, now);
    const gone = db.prepare('DELETE FROM contents WHERE scope = ? AND name = ? AND child_scope = ? AND child_name = ?')
      .run(parent.scope, parent.name, k.scope, k.name);
    if (gone.changes === 0) {
      throw new RucioError(404, 'DataIdentifierNotFound', `Data identifier '${k.scope}:${k.name}' not found under '${parent.scope}:${parent.name}'`);
    }
  }
  db.prepare('UPDATE dids SET updated_at = ? WHERE scope = ? AND name = ?').run(now, parent.scope, parent.name);
}
