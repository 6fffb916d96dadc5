// DID metadata: the DID_COLUMN view (every column of the DID row) and setting
// keys, with 'lifetime' turned into expired_at as Rucio does.
import type { Catalogue } from './context.js';
import type { Db } from './db.js';
import { DID_COLUMNS } from './did-filter.js';
import type { DidRow } from './did-store.js';
import { didMeta } from './did-store.js';
import { RucioError } from './errors.js';
import { rucioDate } from './format.js';

/** DidColumnMeta.manages_key: the DIDs table's columns but the excluded ones, plus a few derived keys. */
const EXCLUDED_COLUMNS = new Set(['account', 'availability', 'complete', 'created_at', 'did_type', 'is_open', 'monotonic', 'obsolete',
  'scope', 'suppressed', 'updated_at']);
const ADDITIONAL_KEYS = new Set(['lifetime', 'created_before', 'created_after', 'length.gt', 'length.lt', 'length.gte', 'length.lte', 'type']);
export const columnPluginManages = (key: string): boolean => (key in DID_COLUMNS && !EXCLUDED_COLUMNS.has(key)) || ADDITIONAL_KEYS.has(key);

/**
 * The JSON plugin's document (json_meta.py): the stored keys that are not DIDs table columns. The sandbox
 * has a did_meta row exactly when this is not empty (as did-search.ts's hasJsonMeta takes it).
 */
export function jsonPluginMeta(did: DidRow): Record<string, unknown> {
  return Object.fromEntries(Object.entries(didMeta(did)).filter(([k]) => !Object.hasOwn(DID_COLUMNS, k)));
}

/** The DID_COLUMN plugin's view of a DID (Rucio 41 key order). */
export function didColumnMeta(db: Db, did: DidRow): Record<string, unknown> {
  const m = didMeta(did);
  const col = (k: string, fallback: unknown = null): unknown => (k in m ? m[k] : fallback);
  const isFile = did.did_type === 'FILE';
  const size = isFile ? { bytes: did.bytes, length: null } : { bytes: did.bytes, length: did.length };
  return {
    name: did.name, complete: col('complete'), expired_at: rucioDate(did.expired_at), stream_name: col('stream_name'),
    provenance: col('provenance'), created_at: rucioDate(did.created_at), scope: did.scope, is_new: true,
    purge_replicas: col('purge_replicas', true), phys_group: col('phys_group'), transient: col('transient', false),
    updated_at: rucioDate(did.updated_at), account: did.account, availability: 'AVAILABLE', deleted_at: null,
    prod_step: col('prod_step'), accessed_at: col('accessed_at'), did_type: did.did_type, suppressed: col('suppressed', false),
    events: col('events'), version: col('version'), closed_at: rucioDate(did.closed_at),
    is_open: isFile ? null : !!did.is_open, bytes: size.bytes, guid: did.guid, campaign: col('campaign'),
    eol_at: col('eol_at'), monotonic: !!did.monotonic, length: size.length, project: col('project'),
    task_id: col('task_id'), is_archive: col('is_archive'), hidden: col('hidden', false), md5: did.md5,
    datatype: col('datatype'), panda_id: col('panda_id'), constituent: col('constituent'), obsolete: col('obsolete', false),
    adler32: did.adler32, run_number: col('run_number'), lumiblocknr: col('lumiblocknr'), access_cnt: col('access_cnt'),
  };
}

export function setDidMeta(cat: Catalogue, did: DidRow, key: string, value: unknown): void {
  const now = cat.now();
  const where = 'WHERE scope = ? AND name = ?';
  if (key.includes('.')) throw new RucioError(400, 'InvalidMetadata', `The key ${key} is not allowed: keys may not contain '.'`);
  if (key === 'lifetime') {
    const expires = value === null ? null : now + Number(value) * 1000;
    cat.db.prepare(`UPDATE dids SET expired_at = ?, updated_at = ? ${where}`).run(expires, now, did.scope, did.name);
    return;
  }
  if (['bytes', 'adler32', 'md5', 'guid'].includes(key)) {
    if (did.did_type !== 'FILE') throw new RucioError(400, 'InvalidMetadata', `The key ${key} can only be set on files`);
    cat.db.prepare(`UPDATE dids SET ${key} = ?, updated_at = ? ${where}`).run(value as never, now, did.scope, did.name);
    return;
  }
  if (['account', 'did_type', 'is_open', 'monotonic', 'scope', 'name', 'length', 'created_at', 'updated_at'].includes(key)) {
    throw new RucioError(400, 'InvalidMetadata', `The key ${key} cannot be set`);
  }
  const meta = didMeta(did);
  meta[key] = value;
  did.meta = JSON.stringify(meta);
  cat.db.prepare(`UPDATE dids SET meta = ?, updated_at = ? ${where}`).run(did.meta, now, did.scope, did.name);
}
