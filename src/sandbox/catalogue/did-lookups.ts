// Read-only DID views that are not about one path DID: GUIDLookup (GET /dids/<guid>/guid), NewDIDs
// (GET /dids/new) and BulkFiles (POST /dids/bulkfiles) of lib/rucio/web/rest/flaskapi/v1/dids.py.
import type { JsonObject, RequestContext } from './context.js';
import { jsonObject } from './context.js';
import type { DidKey, DidRow } from './did-store.js';
import { findDid } from './did-store.js';
import { filesOf } from './did-listing.js';
import { RucioError } from './errors.js';
import { pyRepr } from './format.js';
import type { Reply } from './http.js';
import { streamReply } from './http.js';
import type { PyValue } from './py-literal.js';
import { PythonError, pyTypeName } from './py-literal.js';
import type { Route } from './router.js';
import { STREAM_ONLY } from './router.js';

/** Rucio has no bound on bulkfiles; the sandbox takes as many DIDs as the 'dids' schema allows elsewhere. */
export const MAX_BULK_FILES_DIDS = 1000;

/** uuid.UUID(hex), which Rucio's GUID column type applies to the value looked up: 32 hex digits once braces, 'urn:uuid:' and dashes go. */
function normalGuid(guid: string): string {
  const hex = guid.replaceAll('urn:', '').replaceAll('uuid:', '').replace(/^[{}]+|[{}]+$/g, '').replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new PythonError('badly formed hexadecimal UUID string');
  return hex.toLowerCase();
}

/**
 * core/did.py get_dataset_by_guid: the one file with this GUID, then {scope, name} of each collection
 * holding it. No such file is a 404; a malformed GUID fails in the column type (ValueError: 500).
 */
function datasetsByGuid(ctx: RequestContext): Reply {
  const raw = ctx.params.guid as string;
  const guid = normalGuid(raw);
  const files = ctx.cat.db.prepare("SELECT scope, name FROM dids WHERE lower(replace(guid, '-', '')) = ? AND did_type = 'FILE' LIMIT 2").all(guid) as DidKey[];
  if (files.length === 0) throw new RucioError(404, 'DataIdentifierNotFound', `No file associated to GUID : ${raw}`);
  if (files.length > 1) throw new PythonError('Multiple rows were found when exactly one was required');
  const file = files[0] as DidKey;
  const parents = ctx.cat.db.prepare('SELECT scope, name FROM contents WHERE child_scope = ? AND child_name = ? ORDER BY rowid')
    .all(file.scope, file.name) as DidKey[];
  return streamReply(parents.map((p) => ({ scope: p.scope, name: p.name })));
}

const DID_TYPE_NAMES = new Set(['FILE', 'DATASET', 'CONTAINER', 'ARCHIVE', 'DELETED_FILE', 'DELETED_DATASET', 'DELETED_CONTAINER']);

/**
 * GET /dids/new: gateway/did.py list_new_dids walks the core generator to convert each DID's scope and
 * then does `yield from` that same, spent generator, so Rucio 41 always answers an empty stream. Only
 * ?type= is looked at first: DIDType[type.upper()] fails with a KeyError (500) for an unknown type.
 */
function newDids(ctx: RequestContext): Reply {
  const type = ctx.query.get('type');
  if (type && !DID_TYPE_NAMES.has(type.toUpperCase())) throw new PythonError(pyRepr(type.toUpperCase()));
  return streamReply([]);
}

/**
 * core/did.py bulk_list_files: list_files of each DID with parent_scope/parent_name added; unknown DIDs
 * are skipped. The gateway reads every 'scope' before listing, so a DID without one is a KeyError (500).
 */
function bulkFiles(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const dids = 'dids' in body ? body.dids : [];
  if (!Array.isArray(dids)) {
    // Python iterates a dict's keys or a string's characters, and cannot assign d['scope'] on them.
    const iterable = typeof dids === 'string' || (dids !== null && typeof dids === 'object');
    if (iterable && Object.keys(dids as object).length === 0) return streamReply([]);
    throw new PythonError(iterable ? "'str' object does not support item assignment" : `'${pyTypeName(dids as PyValue)}' object is not iterable`);
  }
  if (dids.length > MAX_BULK_FILES_DIDS) {
    throw new RucioError(400, 'ValueError', `At most ${MAX_BULK_FILES_DIDS} DIDs can be listed in one request, not ${dids.length}`);
  }
  const entries = dids as JsonObject[];
  for (const key of ['scope', 'name']) {
    if (entries.some((d) => d === null || typeof d !== 'object' || !(key in d))) throw new PythonError(`'${key}'`);
  }
  const out: JsonObject[] = [];
  for (const d of entries) {
    const did: DidRow | undefined = findDid(ctx.cat.db, String(d.scope), String(d.name));
    if (!did) continue;
    for (const f of filesOf(ctx.cat.db, did, false)) out.push({ ...f, parent_scope: did.scope, parent_name: did.name });
  }
  return streamReply(out);
}

export const didLookupRoutes: Route[] = [
  { method: 'GET', pattern: '/dids/:guid/guid', handler: datasetsByGuid, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/dids/new', handler: newDids, accept: STREAM_ONLY },
  { method: 'POST', pattern: '/dids/bulkfiles', handler: bulkFiles, accept: STREAM_ONLY },
];
