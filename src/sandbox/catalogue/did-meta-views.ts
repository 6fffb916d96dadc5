// Metadata views beyond one DID's GET/POST (lib/rucio/web/rest/flaskapi/v1/dids.py): Meta.delete
// (DELETE /dids/<scope>/<name>/meta?key=), and BulkDIDsMeta, which Rucio 41 routes twice: POST
// /dids/bulkmeta reads metadata (MODE_GET), POST /dids/bulkdidsmeta sets it (MODE_SET).
// Metadata plugins as Rucio's defaults (core/did_meta_plugins): DID_COLUMN first, then JSON for any other key.
import type { JsonObject, RequestContext } from './context.js';
import { jsonObject, param } from './context.js';
import type { Db } from './db.js';
import type { DidKey, DidRow } from './did-store.js';
import { didMeta, findDid } from './did-store.js';
import { columnPluginManages, didColumnMeta, jsonPluginMeta, setDidMeta } from './did-meta.js';
import { RESERVED_KEYS, mayWriteScope } from './dids.js';
import { RucioError, accessDenied } from './errors.js';
import type { Reply } from './http.js';
import { created, emptyOk, streamReply } from './http.js';
import { PythonError } from './py-literal.js';
import type { Route } from './router.js';
import { STREAM_ONLY } from './router.js';
import { DIDS, validateSchema } from './schema.js';

/** Rucio has no bound on bulkdidsmeta; the sandbox takes as many DIDs as the 'dids' schema allows for bulkmeta. */
export const MAX_BULK_META_DIDS = 1000;

/**
 * core/did.py delete_metadata: a key the DID_COLUMN plugin manages raises NotImplementedError (409,
 * 'Feature not in current database'); any other key is the JSON plugin's: no JSON document (or no
 * DID) is DataIdentifierNotFound, a missing key KeyNotFound. Nothing checks the caller's permission.
 */
function deleteMeta(ctx: RequestContext): Reply {
  const scope = ctx.params.scope as string;
  const name = ctx.params.name as string;
  const key = ctx.query.get('key');
  if (key === null) throw new RucioError(404, 'KeyNotFound', 'No key provided to remove');
  if (columnPluginManages(key)) throw new RucioError(409, 'NotImplementedError', 'Feature not in current database');
  const did = findDid(ctx.cat.db, scope, name);
  const doc = did ? jsonPluginMeta(did) : {};
  if (!did || Object.keys(doc).length === 0) {
    throw new RucioError(404, 'DataIdentifierNotFound', `Key not found for data identifier '${scope}:${name}'`);
  }
  // KeyNotFound(key): the message is the key itself ('None' for an empty one, as generate_http_error_flask writes it).
  if (!(key in doc)) throw new RucioError(404, 'KeyNotFound', key === '' ? 'None' : key);
  const meta = didMeta(did);
  delete meta[key];
  ctx.cat.db.prepare('UPDATE dids SET meta = ?, updated_at = ? WHERE scope = ? AND name = ?').run(JSON.stringify(meta), ctx.cat.now(), scope, name);
  return emptyOk();
}

/** get_metadata(plugin): DID_COLUMN, JSON or ALL (any case); another name is UnsupportedMetadataPlugin. */
function pluginMeta(db: Db, did: DidRow, plugin: string): JsonObject {
  const p = plugin.toLowerCase();
  if (p === 'did_column') return didColumnMeta(db, did);
  if (p === 'json') return jsonPluginMeta(did);
  if (p === 'all') return { ...didColumnMeta(db, did), ...jsonPluginMeta(did) };
  throw new RucioError(500, 'UnsupportedMetadataPlugin', `Metadata plugin "${plugin}" is not enabled on the server.`);
}

/** {scope, name} first, then each metadata key not already there. */
function withDid(key: DidKey, metas: JsonObject[]): JsonObject {
  const out: JsonObject = { scope: key.scope, name: key.name };
  for (const meta of metas) for (const [k, v] of Object.entries(meta)) if (!(k in out)) out[k] = v;
  return out;
}

const keyOf = (d: DidKey): string => `${d.scope}:${d.name}`;

/** list_parent_dids_bulk: the content rows holding any of these DIDs (queried 50 at a time, as Rucio chunks them). */
function parentLinks(db: Db, dids: DidKey[]): { parent: DidKey; child: DidKey }[] {
  const out: { parent: DidKey; child: DidKey }[] = [];
  const stmt = db.prepare('SELECT scope, name, child_scope, child_name FROM contents WHERE child_scope = ? AND child_name = ? ORDER BY rowid');
  for (let i = 0; i < dids.length; i += 50) {
    const rows = dids.slice(i, i + 50).flatMap((d) => stmt.all(d.scope, d.name) as { scope: string; name: string; child_scope: string; child_name: string }[]);
    for (const r of rows) out.push({ parent: { scope: r.scope, name: r.name }, child: { scope: r.child_scope, name: r.child_name } });
  }
  return out;
}

/**
 * get_metadata_bulk with inherit: each DID's chain of parents (20 levels at most) is followed, and
 * the DID's own keys win over its parents'. An unknown DID still answers, with {scope, name} only.
 */
function inheritedMeta(db: Db, dids: DidKey[], plugin: string): JsonObject[] {
  const unique = new Map<string, DidKey>(dids.map((d) => [keyOf(d), d]));
  const chains: DidKey[][] = dids.map((d) => [d]);
  let current = dids;
  for (let depth = 0; current.length && depth < 20; depth++) {
    const parents = new Map<string, DidKey>();
    for (const { parent, child } of parentLinks(db, current)) {
      if (!unique.has(keyOf(parent))) unique.set(keyOf(parent), parent);
      if (!parents.has(keyOf(parent))) parents.set(keyOf(parent), parent);
      for (const chain of chains) if (keyOf(chain[chain.length - 1] as DidKey) === keyOf(child)) chain.push(parent);
    }
    current = [...parents.values()];
  }
  const metas = new Map<string, JsonObject>();
  for (const [k, d] of unique) {
    const row = findDid(db, d.scope, d.name);
    metas.set(k, row ? pluginMeta(db, row, plugin) : {});
  }
  return chains.map((chain) => withDid(chain[0] as DidKey, chain.map((d) => metas.get(keyOf(d)) ?? {})));
}

/**
 * POST /dids/bulkmeta (gateway/did.py get_metadata_bulk): dids checked against the 'dids' schema (1..1000;
 * InvalidObject is not caught: 500). Without inherit only existing DIDs answer, each once per chunk of
 * 50: DID_COLUMN gives the row's columns, another plugin {scope, name} and its keys.
 */
function getMetaBulk(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const dids = param(body, 'dids');
  const inherit = paramBool(body, 'inherit', false);
  const plugin = String(body.plugin ?? 'DID_COLUMN');
  validateSchema('dids', DIDS, dids, 500);
  const keys = (dids as JsonObject[]).map((d) => ({ scope: String(d.scope), name: String(d.name) }));
  if (inherit) return streamReply(inheritedMeta(ctx.cat.db, keys, plugin));
  const out: JsonObject[] = [];
  for (let i = 0; i < keys.length; i += 50) {
    const seen = new Set<string>();
    for (const k of keys.slice(i, i + 50)) {
      const row = seen.has(keyOf(k)) ? undefined : findDid(ctx.cat.db, k.scope, k.name);
      seen.add(keyOf(k));
      if (!row) continue;
      out.push(plugin.toLowerCase() === 'did_column' ? didColumnMeta(ctx.cat.db, row) : withDid(k, [pluginMeta(ctx.cat.db, row, plugin)]));
    }
  }
  return streamReply(out);
}

/** param_get_bool: true/false, 'true'/'false'/'1'/'0' (any case), 1/0; an explicit null is 'not defined'; anything else a 400. */
function paramBool(body: JsonObject, name: string, fallback: boolean): boolean {
  const v = name in body ? body[name] : fallback;
  if (v === null) throw new RucioError(400, 'KeyError', `'${name}' not defined`);
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw new RucioError(400, 'TypeError', `'${name}' must be a boolean type.`);
}

/** The DID_COLUMN keys whose update Rucio filters on did_type FILE: UnsupportedOperation on a collection. */
const FILE_ONLY_KEYS = new Set(['guid', 'events', 'adler32', 'bytes']);

/** core/did.py set_dids_metadata_bulk for one DID, through did_meta_plugins.set_metadata_bulk. */
function setMetaOf(ctx: RequestContext, { scope, name }: DidKey, meta: JsonObject): void {
  const dotted = Object.keys(meta).find((k) => k.includes('.'));
  if (dotted !== undefined) {
    throw new RucioError(500, 'InvalidMetadata',
      'Restricted character "." found in metadata key. Reason: Used as a delimiter for key and operator (<key>.<operator>) in filtering engine.');
  }
  const did = findDid(ctx.cat.db, scope, name);
  if (!did) throw new RucioError(404, 'DataIdentifierNotFound', `Data identifier '${scope}:${name}' not found`);
  for (const [key, value] of Object.entries(meta)) {
    if (FILE_ONLY_KEYS.has(key) && did.did_type !== 'FILE') {
      throw new RucioError(409, 'UnsupportedOperation', `${key} for ${scope}:${name} cannot be updated`);
    }
    if (key === 'md5' && did.did_type !== 'FILE') {
      // md5 is a plain column for the DID_COLUMN plugin: a collection takes it too.
      ctx.cat.db.prepare('UPDATE dids SET md5 = ?, updated_at = ? WHERE scope = ? AND name = ?').run(value as never, ctx.cat.now(), scope, name);
      continue;
    }
    setDidMeta(ctx.cat, findDid(ctx.cat.db, scope, name) as DidRow, key, value);
  }
}

/**
 * POST /dids/bulkdidsmeta (gateway/did.py set_dids_metadata_bulk): every entry is checked first
 * (perm_set_metadata_bulk: root, an admin or the scope's owner; then RESERVED_KEYS), then set; one
 * failure undoes the whole request. A missing 'scope'/'name'/'meta' is a KeyError (500).
 */
function setMetaBulk(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const dids = param(body, 'dids');
  if (!Array.isArray(dids)) {
    // Python walks a dict's keys or a string's characters, whose ['scope'] is a TypeError (500).
    const iterable = typeof dids === 'string' || (dids !== null && typeof dids === 'object');
    if (iterable && Object.keys(dids as object).length === 0) return created();
    throw new PythonError(iterable ? "string indices must be integers, not 'str'" : 'object is not iterable');
  }
  if (dids.length > MAX_BULK_META_DIDS) {
    throw new RucioError(400, 'ValueError', `At most ${MAX_BULK_META_DIDS} DIDs can be set in one request, not ${dids.length}`);
  }
  const issuer = ctx.caller.account;
  const entries: { did: DidKey; meta: JsonObject }[] = [];
  for (const entry of dids as unknown[]) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new PythonError("string indices must be integers, not 'str'");
    const e = entry as JsonObject;
    for (const k of ['scope', 'name', 'meta']) if (!(k in e)) throw new PythonError(`'${k}'`);
    const did = { scope: String(e.scope), name: String(e.name) };
    if (!mayWriteScope(ctx.cat, ctx.caller, did.scope)) {
      throw accessDenied(`Account ${issuer} can not add metadata to data identifier ${did.scope}:${did.name}. `);
    }
    const meta = (e.meta ?? {}) as JsonObject;
    const reserved = Object.keys(meta).find((k) => RESERVED_KEYS.has(k));
    if (reserved !== undefined) {
      throw accessDenied(`Account ${issuer} can not change the value of the metadata key ${reserved} to data identifier ${did.scope}:${did.name}`);
    }
    entries.push({ did, meta });
  }
  for (const { did, meta } of entries) setMetaOf(ctx, did, meta);
  return created();
}

export const didMetaViewRoutes: Route[] = [
  { method: 'DELETE', pattern: '/dids/*did/meta', handler: deleteMeta },
  { method: 'POST', pattern: '/dids/bulkmeta', handler: getMetaBulk, accept: STREAM_ONLY },
  { method: 'POST', pattern: '/dids/bulkdidsmeta', handler: setMetaBulk },
];
