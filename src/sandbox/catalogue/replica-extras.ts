// Replica views of lib/rucio/web/rest/flaskapi/v1/replicas.py beyond registration and listing:
// Tombstone, DatasetReplicas, ReplicasRSE, BadReplicas and BadReplicasStates.
import type { JsonObject, RequestContext } from './context.js';
import { asBool, jsonObject, param } from './context.js';
import type { Db } from './db.js';
import type { DidRow } from './did-store.js';
import { findDid, resolveFiles } from './did-store.js';
import { RucioError, accessDenied } from './errors.js';
import { flaskJson, rucioDate } from './format.js';
import type { Reply } from './http.js';
import { streamReply } from './http.js';
import type { ReplicaRow } from './replica-store.js';
import { findReplica, replicaPfns, setReplicaState } from './replica-store.js';
import { requireRse, rseById } from './rse-store.js';
import type { Route } from './router.js';
import { JSON_ONLY, STREAM_ONLY } from './router.js';

/**
 * POST /replicas/tombstone (gateway/replica.py set_tombstone, core/replica.py set_tombstone): root/admin
 * only (the action falls to perm_default); the epoch tombstone is set unless a lock holds the replica.
 * AccessDenied and RSENotFound are not caught by the view: they come back as 500.
 */
function setTombstone(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const replicas = (Array.isArray(body.replicas) ? body.replicas : []) as JsonObject[];
  for (const r of replicas) {
    const rseName = String(param(r, 'rse'));
    let rse;
    try {
      rse = requireRse(ctx.cat.db, rseName, ctx.cat.vo);
    } catch (e) {
      if (e instanceof RucioError) throw new RucioError(500, e.exceptionClass, e.message);
      throw e;
    }
    if (!ctx.caller.admin) throw accessDenied(`Account ${ctx.caller.account} can not set tombstones. `, 500);
    const scope = String(param(r, 'scope'));
    const name = String(param(r, 'name'));
    if (!findReplica(ctx.cat.db, rse.id, scope, name)) {
      throw new RucioError(404, 'ReplicaNotFound', `Replica ${scope}:${name} on RSE ${rse.name} could not be found.`);
    }
    if (ctx.cat.db.prepare('SELECT 1 FROM locks WHERE rse_id = ? AND scope = ? AND name = ?').get(rse.id, scope, name)) {
      throw new RucioError(423, 'ReplicaIsLocked', `Replica ${scope}:${name} on RSE ${rse.name} is locked.`);
    }
    ctx.cat.db.prepare('UPDATE replicas SET tombstone = 0 WHERE rse_id = ? AND scope = ? AND name = ?').run(rse.id, scope, name);
  }
  return { status: 201, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: 'Created' };
}

/**
 * The collection replicas of a dataset (one per RSE holding files of it), as abacus-collection-replica would
 * have left them: the sandbox derives them from the file replicas. Only the RSE given, when one is.
 */
function collectionReplicas(db: Db, did: DidRow, onlyRse?: string): Record<string, unknown>[] {
  const files = resolveFiles(db, did);
  const total = { bytes: files.reduce((s, f) => s + f.bytes, 0), length: files.length };
  const byRse = new Map<string, ReplicaRow[]>();
  const replicasOf = db.prepare('SELECT * FROM replicas WHERE scope = ? AND name = ?');
  for (const f of files) {
    for (const r of replicasOf.all(f.scope, f.name) as ReplicaRow[]) {
      if (onlyRse === undefined || r.rse_id === onlyRse) byRse.set(r.rse_id, [...(byRse.get(r.rse_id) ?? []), r]);
    }
  }
  return [...byRse.entries()].map(([rseId, reps]) => {
    const available = reps.filter((r) => r.state === 'A');
    const availableLength = available.length;
    return {
      scope: did.scope, name: did.name, rse: rseById(db, rseId).name, rse_id: rseId, bytes: total.bytes, length: total.length,
      available_bytes: available.reduce((s, r) => s + r.bytes, 0), available_length: availableLength,
      state: availableLength === total.length ? 'AVAILABLE' : 'UNAVAILABLE',
      created_at: rucioDate(Math.min(...reps.map((r) => r.created_at))), updated_at: rucioDate(Math.max(...reps.map((r) => r.updated_at))),
      accessed_at: null,
    };
  });
}

/** GET /replicas/<scope>/<name>/datasets (core/replica.py list_dataset_replicas); an unknown or non-dataset DID has none. */
function datasetReplicas(ctx: RequestContext): Reply {
  const { scope, name } = ctx.params as { scope: string; name: string };
  const did = findDid(ctx.cat.db, scope, name);
  if (!did || did.did_type !== 'DATASET') return streamReply([]);
  return streamReply(collectionReplicas(ctx.cat.db, did).sort((a, b) => (String(a.rse) < String(b.rse) ? -1 : 1)));
}

/**
 * GET /replicas/rse/<rse> (flaskapi/v1/replicas.py ReplicasRSE -> core/replica.py list_datasets_per_rse): the dataset
 * replicas on the RSE, keys in the order of that query (rse_id before rse). An unknown RSE raises RSENotFound inside
 * the stream the view peeks at, which no handler catches: 500.
 */
function datasetsPerRse(ctx: RequestContext): Reply {
  const db = ctx.cat.db;
  const rseName = ctx.params.rse as string;
  let rse;
  try {
    rse = requireRse(db, rseName, ctx.cat.vo);
  } catch (e) {
    if (e instanceof RucioError) throw new RucioError(500, e.exceptionClass, e.message);
    throw e;
  }
  const datasets = db.prepare(`SELECT DISTINCT d.* FROM dids d JOIN contents c ON c.scope = d.scope AND c.name = d.name
                               JOIN replicas r ON r.scope = c.child_scope AND r.name = c.child_name
                               WHERE d.did_type = 'DATASET' AND r.rse_id = ? ORDER BY d.scope, d.name`).all(rse.id) as DidRow[];
  return streamReply(datasets.flatMap((did) => collectionReplicas(db, did, rse.id)).map(({ scope, name, rse_id, rse: rseLabel, ...rest }) =>
    ({ scope, name, rse_id, rse: rseLabel, ...rest })));
}

const BAD_STATES: Record<string, string> = { B: 'BAD', D: 'DELETED', L: 'LOST', R: 'RECOVERED', S: 'SUSPICIOUS', T: 'TEMPORARY_UNAVAILABLE' };

/**
 * POST /replicas/bad (gateway/replica.py declare_bad_file_replicas): root only (perm_declare_bad_file_replicas);
 * replicas as {scope, name, rse} dicts or as PFNs. A known replica becomes BAD (locks untouched) and gets a BAD
 * row; the answer (jsonify, 201) lists per RSE what was not declared.
 */
function declareBad(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const replicas = ((Array.isArray(body.replicas) && body.replicas.length ? body.replicas : body.pfns) ?? []) as unknown[];
  const reason = typeof body.reason === 'string' ? body.reason : null;
  const force = asBool(body.force, false);
  const out: Record<string, string[]> = {};
  if (replicas.length === 0) return { status: 201, headers: { 'Content-Type': 'application/json' }, body: '{}\n' };
  const asPfns = typeof replicas[0] === 'string';
  if (replicas.some((r) => (typeof r === 'string') !== asPfns)) {
    throw new RucioError(500, 'InvalidType', 'The replicas must be specified either as a list of PFNs (strings) or list of dicts');
  }
  const list = asPfns ? pfnsToReplicas(ctx, replicas as string[]) : (replicas as JsonObject[]);
  for (const r of list) {
    if (!('name' in r) || !('scope' in r) || !('rse' in r)) {
      throw new RucioError(500, 'InvalidType', 'The replica dictionary must include scope and either rse (name) or rse_id');
    }
  }
  const rses = list.map((r) => requireRse(ctx.cat.db, String(r.rse), ctx.cat.vo));
  for (const rse of rses) {
    if (ctx.caller.account !== 'root') throw accessDenied(`Account ${ctx.caller.account} can not declare bad replicas in RSE ${rse.name}. `);
  }
  const now = ctx.cat.now();
  list.forEach((r, i) => {
    const rse = rses[i] as (typeof rses)[number];
    const scope = String(r.scope);
    const name = String(r.name);
    const replica = findReplica(ctx.cat.db, rse.id, scope, name);
    const already = !!ctx.cat.db.prepare("SELECT 1 FROM bad_replicas WHERE scope = ? AND name = ? AND rse_id = ? AND state = 'B'").get(scope, name, rse.id);
    let declared = false;
    if (replica) {
      if (force || !already) {
        // update_replicas_states: BAD changes the replica only; its locks stay as they are.
        setReplicaState(ctx.cat.db, rse.id, scope, name, 'D', now);
        declared = true;
      }
      if (!already) {
        ctx.cat.db.prepare(`INSERT OR IGNORE INTO bad_replicas (scope, name, rse_id, reason, state, account, bytes, created_at, updated_at)
                            VALUES (?, ?, ?, ?, 'B', ?, ?, ?, ?)`).run(scope, name, rse.id, reason, ctx.caller.account, replica.bytes, now, now);
        declared = true;
      }
    }
    if (!declared) (out[rse.name] ??= []).push(already ? `${scope}:${name} Already declared` : `(${scope}, '${name}') Unknown replica`);
  });
  return { status: 201, headers: { 'Content-Type': 'application/json' }, body: `${flaskJson(out)}\n` };
}

/** replica.get_pfn_to_rse: each PFN must be one of a known replica's; any unknown one fails the call. */
function pfnsToReplicas(ctx: RequestContext, pfns: string[]): JsonObject[] {
  const db = ctx.cat.db;
  const all = db.prepare('SELECT * FROM replicas').all() as ReplicaRow[];
  const byPfn = new Map<string, JsonObject>();
  for (const r of all) {
    const rse = rseById(db, r.rse_id);
    for (const p of replicaPfns(db, rse, r.scope, r.name, r.path)) byPfn.set(p.pfn, { scope: r.scope, name: r.name, rse: rse.name });
  }
  const found = pfns.map((p) => byPfn.get(p));
  if (found.some((f) => f === undefined)) throw new RucioError(404, 'ReplicaNotFound', 'Not all replicas found');
  return found as JsonObject[];
}

/** GET /replicas/bad/states (core/replica.py list_bad_replicas_status), filtered by state letter/name, rse, limit. */
function badStates(ctx: RequestContext): Reply {
  const where: string[] = [];
  const args: unknown[] = [];
  const state = ctx.query.get('state');
  if (state !== null) {
    const code = state in BAD_STATES ? state : Object.entries(BAD_STATES).find(([, n]) => n === state)?.[0];
    if (!code) throw new RucioError(500, 'ValueError', `'${state}' is not a valid BadFilesStatus`);
    where.push('state = ?');
    args.push(code);
  }
  const rse = ctx.query.get('rse');
  if (rse !== null) {
    where.push('rse_id = ?');
    args.push(requireRse(ctx.cat.db, rse, ctx.cat.vo).id);
  }
  const limit = ctx.query.get('limit');
  const rows = ctx.cat.db.prepare(`SELECT * FROM bad_replicas ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, rowid
                                   ${limit ? `LIMIT ${Number.parseInt(limit, 10) || 0}` : ''}`).all(...(args as never[])) as
    { scope: string; name: string; rse_id: string; state: string; created_at: number; updated_at: number }[];
  return streamReply(rows.map((b) => ({
    scope: b.scope, name: b.name, rse: rseById(ctx.cat.db, b.rse_id).name, rse_id: b.rse_id, state: BAD_STATES[b.state] ?? b.state,
    created_at: rucioDate(b.created_at), updated_at: rucioDate(b.updated_at),
  })));
}

export const replicaExtraRoutes: Route[] = [
  { method: 'POST', pattern: '/replicas/tombstone', handler: setTombstone },
  { method: 'POST', pattern: '/replicas/bad', handler: declareBad, accept: JSON_ONLY },
  { method: 'GET', pattern: '/replicas/bad/states', handler: badStates, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/replicas/rse/:rse', handler: datasetsPerRse, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/replicas/*did/datasets', handler: datasetReplicas, accept: STREAM_ONLY },
];
