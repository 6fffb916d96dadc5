// POST /replicas (registration, creating file DIDs) and PUT /replicas (state changes).
import type { Caller, Catalogue, JsonObject, RequestContext } from './context.js';
import { asBool, jsonObject, param } from './context.js';
import { ensureFileDid, findDid, requireScope } from './did-store.js';
import { pyRepr } from './format.js';
import { RucioError, accessDenied } from './errors.js';
import type { Reply } from './http.js';
import { created, emptyOk } from './http.js';
import { lfnPath, pathUnder, pfnFor } from './lfn2pfn.js';
import { findReplica, insertReplica, replicaStateCode, setReplicaState, tombstoneFromDelay } from './replica-store.js';
import { listReplicas } from './replica-list.js';
import type { Route } from './router.js';
import { STREAM_OR_METALINK } from './router.js';
import type { RseRow } from './rse-store.js';
import { lfn2pfnAlgorithm, requireRse, rseAttributes, rseProtocols } from './rse-store.js';
import { replicaStateChanged } from './rule-engine.js';
import { DIDS, R_DIDS, validateSchema } from './schema.js';

function ownsScopes(cat: Catalogue, caller: Caller, scopes: string[]): boolean {
  if (caller.admin) return true;
  const owner = cat.db.prepare('SELECT account FROM scopes WHERE scope = ?');
  return scopes.every((s) => (owner.get(s) as { account: string } | undefined)?.account === caller.account);
}

/** Path to store for a new replica: null on deterministic RSEs (a given PFN must be the computed one). */
function storedPath(cat: Catalogue, rse: RseRow, scope: string, name: string, pfn: string | undefined): string | null {
  const writable = rseProtocols(cat.db, rse.id).filter((p) => p.domains.wan.write !== null || p.domains.lan.write !== null);
  if (rse.deterministic) {
    if (pfn === undefined) return null;
    const path = lfnPath(scope, name, lfn2pfnAlgorithm(rseAttributes(cat.db, rse.id)));
    const wanFirst = [...writable.filter((p) => p.domains.wan.write !== null), ...writable.filter((p) => p.domains.wan.write === null)];
    const expected = wanFirst.map((p) => pfnFor(p, path));
    if (!expected.includes(pfn)) {
      throw new RucioError(400, 'InvalidPath', `One of the PFNs provided does not match the Rucio expected PFN : ${expected[0] ?? 'none'} (${pfn})`);
    }
    return null;
  }
  if (pfn === undefined) {
    throw new RucioError(500, 'UnsupportedOperation', `PFN needed for this (non deterministic) RSE ${rse.name} `);
  }
  for (const p of writable) {
    const path = pfn.startsWith(`${p.scheme}://`) ? pathUnder(p, pfn) : null;
    if (path !== null) return path;
  }
  throw new RucioError(400, 'InvalidPath', `The PFN ${pfn} does not match any protocol of RSE ${rse.name}`);
}

/** perm_add_replicas (lib/rucio/core/permission/generic.py): root/admin anywhere, others only on these RSEs. */
const OPEN_RSE_SUFFIXES = ['SCRATCHDISK', 'USERDISK', 'MOCK', 'LOCALGROUPDISK'];

export function mayAddReplicas(caller: Caller, rseName: string): boolean {
  return caller.admin || OPEN_RSE_SUFFIXES.some((s) => rseName.endsWith(s));
}

/**
 * Registers replicas on one RSE, creating the file DIDs; replicas already there are skipped.
 * As lib/rucio/core/replica.py __bulk_add_replicas: a new replica gets a tombstone only from the
 * RSE's tombstone_delay attribute (the REST schema refuses a per-file tombstone), so an
 * unruled replica stays AVAILABLE and the reaper never takes it.
 */
export function registerReplicas(
  cat: Catalogue, caller: Caller, rseName: string, files: unknown, ignoreAvailability: boolean, viaAttach = false,
): void {
  // gateway/replica.py add_replicas marks every entry a FILE before validating it against 'dids'.
  const typed = Array.isArray(files) ? files.map((f) => (f !== null && typeof f === 'object' ? { ...(f as JsonObject), type: 'FILE' } : f)) : files;
  validateSchema('dids', DIDS, typed, 500);
  const list = files as JsonObject[];
  const rse = requireRse(cat.db, rseName, cat.vo);
  // An attachment with an RSE (core/did.py __add_files_to_dataset) calls core add_replicas directly: only
  // attach_dids was checked, so neither perm_add_replicas nor add_dids applies.
  if (!viaAttach && !mayAddReplicas(caller, rse.name)) {
    throw accessDenied(`Account ${caller.account} can not add file replicas on ${rse.name}. `);
  }
  const newFiles = list.filter((f) => !findDid(cat.db, String(f.scope), String(f.name)));
  if (!viaAttach && newFiles.length && !ownsScopes(cat, caller, newFiles.map((f) => f.scope as string))) {
    const repr = pyRepr(newFiles.map((f) => ({ ...f, type: 'FILE' })));
    throw accessDenied('Operation involves the following new files which will require the creation of new DIDs:\n' +
      `${repr}\nHowever, account ${caller.account} can not add file DIDs on ${rse.name}`);
  }
  if (!rse.availability_write && !(ignoreAvailability && caller.admin)) {
    throw new RucioError(503, 'ResourceTemporaryUnavailable', `${rse.name} is temporary unavailable for writing`);
  }
  if (rse.volatile) throw new RucioError(500, 'UnsupportedOperation', `Cannot add replicas on volatile RSE ${rse.name}`);
  const now = cat.now();
  const tombstone = tombstoneFromDelay(rseAttributes(cat.db, rse.id).tombstone_delay, now);
  for (const f of list) {
    const scope = f.scope as string;
    const name = f.name as string;
    requireScope(cat.db, scope);
    const path = storedPath(cat, rse, scope, name, f.pfn as string | undefined);
    const { guid, ...meta } = (f.meta ?? {}) as JsonObject;
    const did = ensureFileDid(cat.db, {
      scope, name, bytes: (f.bytes as number | undefined) ?? 0, adler32: (f.adler32 as string | undefined) ?? null,
      md5: (f.md5 as string | undefined) ?? null, guid: typeof guid === 'string' ? guid.replace(/-/g, '') : null, meta,
    }, caller.account, now);
    if (did.did_type !== 'FILE') {
      throw new RucioError(409, 'UnsupportedOperation', `The DID ${scope}:${name} is a ${did.did_type}, not a file`);
    }
    if (findReplica(cat.db, rse.id, scope, name)) continue;
    insertReplica(cat.db, {
      rseId: rse.id, scope, name, bytes: did.bytes ?? 0, md5: did.md5, adler32: did.adler32,
      state: replicaStateCode(f.state) ?? 'A', path,
    }, now, tombstone);
  }
}

function addReplicas(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const rse = param(body, 'rse');
  const files = param(body, 'files');
  registerReplicas(ctx.cat, ctx.caller, String(rse), files, asBool(body.ignore_availability, false));
  return created();
}

/**
 * PUT /replicas (flaskapi/v1/replicas.py Replicas.put -> gateway/replica.py update_replicas_states): the files
 * are validated as 'dids'; only root/admin may change states (perm_update_replicas_states); the view catches
 * AccessDenied only, so an unknown RSE or replica is a 500.
 */
function updateReplicas(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const rseName = String(param(body, 'rse'));
  const files = param(body, 'files');
  if (!Array.isArray(files)) throw new RucioError(500, 'TypeError', "'files' must be a list");
  validateSchema('dids', DIDS, files.map((f) => (f !== null && typeof f === 'object' ? { ...(f as JsonObject), type: 'FILE' } : f)), 500);
  const list = files as JsonObject[];
  let rse: RseRow;
  try {
    rse = requireRse(ctx.cat.db, rseName, ctx.cat.vo);
  } catch (e) {
    if (e instanceof RucioError) throw new RucioError(500, e.exceptionClass, e.message);
    throw e;
  }
  if (!ctx.caller.admin) {
    throw accessDenied(`Account ${ctx.caller.account} can not update file replicas state on ${rseName}. `);
  }
  const now = ctx.cat.now();
  for (const f of list) {
    const scope = String(f.scope);
    const name = String(f.name);
    const state = replicaStateCode(f.state);
    if (state === null) throw new RucioError(500, 'UnsupportedOperation', `The replica state ${String(f.state)} is not valid`);
    if (!findReplica(ctx.cat.db, rse.id, scope, name)) {
      throw new RucioError(500, 'ReplicaNotFound', `No row found for ${scope}:${name} at ${rse.name}`);
    }
    setReplicaState(ctx.cat.db, rse.id, scope, name, state, now);
    replicaStateChanged(ctx.cat, rse.id, scope, name, state, state === 'A' ? null : `Replica declared ${state} by ${ctx.caller.account}`);
  }
  return emptyOk();
}

/**
 * DELETE /replicas (flaskapi/v1/replicas.py Replicas.delete -> gateway/replica.py delete_replicas): the files are
 * validated as 'r_dids' (500), the RSE looked up (404), then perm_delete_replicas asked, which is False for every
 * account under the generic policy (core/permission/generic.py), root included: 401 AccessDenied. Replicas leave
 * the catalogue through rules and the reaper only.
 */
function deleteReplicas(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const rseName = String(param(body, 'rse'));
  const files = param(body, 'files');
  asBool(body.ignore_availability, false);
  validateSchema('r_dids', R_DIDS, files, 500);
  requireRse(ctx.cat.db, rseName, ctx.cat.vo);
  throw accessDenied(`Account ${ctx.caller.account} can not delete file replicas on ${rseName}. `);
}

export const replicaRoutes: Route[] = [
  { method: 'POST', pattern: '/replicas', handler: addReplicas },
  { method: 'PUT', pattern: '/replicas', handler: updateReplicas },
  { method: 'DELETE', pattern: '/replicas', handler: deleteReplicas },
  { method: 'POST', pattern: '/replicas/list', handler: listReplicas, accept: STREAM_OR_METALINK },
];
