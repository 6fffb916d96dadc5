// Transfer requests: queued by rules whose locks need a copy, picked up by
// the sandbox's transfer engine through the admin interface.
import { randomUUID } from 'node:crypto';
import type { Catalogue, RequestContext } from './context.js';
import type { Db } from './db.js';
import { RucioError, accessDenied } from './errors.js';
import { pyJson, rucioDate } from './format.js';
import type { Reply } from './http.js';
import { jsonReply, streamReply } from './http.js';
import type { Route } from './router.js';
import { JSON_ONLY, STREAM_ONLY } from './router.js';
import { requireRse, rseById } from './rse-store.js';
import type { ResolvedFile } from './did-store.js';

export type RequestState = 'QUEUED' | 'SUBMITTED' | 'DONE' | 'FAILED';

export interface RequestRow {
  id: string;
  rule_id: string;
  scope: string;
  name: string;
  dest_rse_id: string;
  source_rse_id: string | null;
  state: RequestState;
  bytes: number;
  md5: string | null;
  adler32: string | null;
  account: string;
  activity: string;
  priority: number;
  attributes: string;
  err_msg: string | null;
  external_id: string | null;
  external_host: string | null;
  transfertool: string | null;
  dest_url: string | null;
  retry_count: number;
  /** The history row of the attempt that failed before this one (request.py requeue_and_archive). */
  previous_attempt_id: string | null;
  submitted_at: number | null;
  started_at: number | null;
  transferred_at: number | null;
  /** Set when the finisher moved the request to the history (core/request.py archive_request). */
  archived_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface TransferSpec {
  ruleId: string;
  file: ResolvedFile;
  destRseId: string;
  account: string;
  activity: string;
  priority: number;
  sourceReplicaExpression: string | null;
  lifetime: number | null;
}

export function queueTransfer(db: Db, t: TransferSpec, now: number): string {
  const id = randomUUID().replace(/-/g, '');
  const attributes = {
    activity: t.activity, source_replica_expression: t.sourceReplicaExpression, lifetime: t.lifetime,
    ds_scope: t.file.dataset?.scope ?? null, ds_name: t.file.dataset?.name ?? null, bytes: t.file.bytes,
    md5: t.file.md5, adler32: t.file.adler32, priority: t.priority, allow_tape_source: true,
  };
  db.prepare(`INSERT INTO requests (id, rule_id, scope, name, dest_rse_id, state, bytes, md5, adler32, account, activity,
              priority, attributes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'QUEUED', ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(id, t.ruleId, t.file.scope, t.file.name, t.destRseId, t.file.bytes, t.file.md5, t.file.adler32, t.account,
      t.activity, t.priority, JSON.stringify(attributes), now, now);
  return id;
}

/**
 * core/request.py cancel_request_did: the file's requests to the RSE move to the history as they are
 * (archive_request), and those a transfer tool already has are cancelled there (transfer_core.cancel_transfers,
 * FTS's cancel), so no copy goes on writing a destination no rule wants.
 */
export function cancelRequestDid(cat: Catalogue, scope: string, name: string, destRseId: string): void {
  const rows = cat.db.prepare('SELECT id, external_id FROM requests WHERE scope = ? AND name = ? AND dest_rse_id = ? AND archived_at IS NULL')
    .all(scope, name, destRseId) as { id: string; external_id: string | null }[];
  if (rows.length === 0) return;
  const now = cat.now();
  const archive = cat.db.prepare('UPDATE requests SET archived_at = ?, updated_at = ? WHERE id = ?');
  for (const r of rows) archive.run(now, now, r.id);
  const submitted = rows.filter((r) => r.external_id !== null).map((r) => r.id);
  if (submitted.length) for (const cancel of cat.transferCancellations) cancel(submitted);
}

export function getRequestRow(db: Db, id: string): RequestRow {
  const row = db.prepare('SELECT * FROM requests WHERE id = ?').get(id) as RequestRow | undefined;
  if (!row) throw new RucioError(404, 'RequestNotFound', `Request with ID ${id} cannot be found`);
  return row;
}

/** The request object of GET /requests/<scope>/<name>/<rse> (Rucio 41 key order). */
export function requestObject(db: Db, r: RequestRow): Record<string, unknown> {
  return {
    id: r.id, external_id: r.external_id, md5: r.md5, last_processed_at: null, priority: r.priority, scope: r.scope,
    external_host: r.external_host, adler32: r.adler32, estimated_started_at: null, transfertool: r.transfertool,
    name: r.name, retry_count: r.retry_count, dest_url: r.dest_url, estimated_transferred_at: null,
    created_at: rucioDate(r.created_at), did_type: 'FILE', err_msg: r.err_msg, submitted_at: rucioDate(r.submitted_at),
    staging_started_at: null, updated_at: rucioDate(r.updated_at), dest_rse_id: r.dest_rse_id, previous_attempt_id: r.previous_attempt_id,
    started_at: rucioDate(r.started_at), staging_finished_at: null, source_rse_id: r.source_rse_id, rule_id: r.rule_id,
    transferred_at: rucioDate(r.transferred_at), account: r.account, attributes: JSON.parse(r.attributes) as unknown,
    activity: r.activity, estimated_at: null, requested_at: null, request_type: 'TRANSFER', state: r.state,
    bytes: r.bytes, submitter_id: null, last_processed_by: null,
    source_rse: r.source_rse_id ? rseById(db, r.source_rse_id).name : null, dest_rse: rseById(db, r.dest_rse_id).name,
  };
}

/** RequestState (lib/rucio/db/sqla/constants.py): the letters the list endpoints take, the names rows hold. */
const REQUEST_STATE_CODES: Record<string, string> = {
  Q: 'QUEUED', G: 'SUBMITTING', S: 'SUBMITTED', F: 'FAILED', D: 'DONE', L: 'LOST', N: 'NO_SOURCES', O: 'ONLY_TAPE_SOURCES',
  A: 'SUBMISSION_FAILED', M: 'MISMATCH_SCHEME', U: 'SUSPEND', W: 'WAITING', P: 'PREPARING',
};

/**
 * A request row as the list views send it (core/request.py list_requests: the model's columns as stored), with
 * `attributes` the JSON string queue_requests wrote (json.dumps), not the object get_request_by_did parses.
 */
function listedRequest(db: Db, r: RequestRow): Record<string, unknown> {
  return { ...requestObject(db, r), attributes: pyJson(JSON.parse(r.attributes)) };
}

/**
 * The history row: core/request.py archive_request copies the request into RequestHistory, `attributes` as a
 * json.dumps string and without `priority` (nor the last_processed_* columns RequestHistory lacks).
 */
function historyObject(db: Db, r: RequestRow): Record<string, unknown> {
  const { last_processed_at: _at, last_processed_by: _by, ...rest } = listedRequest(db, r);
  return { ...rest, priority: null };
}

/** GET /requests[/history]/<scope>/<name>/<rse> (flaskapi/v1/requests.py RequestGet/RequestHistoryGet). */
function getRequestBy(history: boolean) {
  return (ctx: RequestContext): Reply => {
    const { scope, name } = ctx.params as { scope: string; name: string };
    const rse = requireRse(ctx.cat.db, ctx.params.rse as string, ctx.cat.vo);
    if (history && !ctx.caller.admin) {
      throw accessDenied(`${ctx.caller.account} cannot retrieve the request DID ${scope}:${name} to RSE ${rse.name}. `, 500);
    }
    const row = ctx.cat.db
      // The latest attempt: a failed one the transfer tool retried is archived before the attempt that followed it.
      .prepare(`SELECT * FROM requests WHERE scope = ? AND name = ? AND dest_rse_id = ? AND archived_at IS ${history ? 'NOT NULL' : 'NULL'}
                ORDER BY created_at DESC, archived_at DESC, retry_count DESC, rowid DESC LIMIT 1`)
      .get(scope, name, rse.id) as RequestRow | undefined;
    // The view catches core's RequestNotFound (which names the RSE id) and answers with the RSE as the URL gave it
    // (flaskapi/v1/requests.py RequestGet.get / RequestHistoryGet.get).
    if (!row) throw new RucioError(404, 'RequestNotFound', `No request found for DID ${scope}:${name} at RSE ${String(ctx.params.rse)}`);
    return jsonReply(history ? historyObject(ctx.cat.db, row) : requestObject(ctx.cat.db, row));
  };
}

/**
 * GET /requests[/history]/list?src_rse=&dst_rse=&request_states=Q,S (RequestList/RequestHistoryList ->
 * core/request.py list_requests): both RSEs and the state letters are required; root/admin only
 * (perm_list_requests), an AccessDenied the view does not catch (500). History pages with offset/limit (100).
 */
function listRequestsBy(history: boolean) {
  return (ctx: RequestContext): Reply => {
    const q = ctx.query;
    const src = q.get('src_rse') || null;
    const dst = q.get('dst_rse') || null;
    const states = q.get('request_states');
    if (!states) throw new RucioError(400, 'MissingParameter', 'Request state is missing');
    if (src && !dst) throw new RucioError(400, 'MissingParameter', 'Destination RSE is missing');
    if (dst && !src) throw new RucioError(400, 'MissingParameter', 'Source RSE is missing');
    if (q.get('src_site') || q.get('dst_site')) throw new RucioError(404, 'NotFound', `Could not resolve site name ${q.get('src_site') ?? ''} to RSE`);
    const names = states.split(',').map((s) => REQUEST_STATE_CODES[s]);
    if (names.some((n) => n === undefined)) throw new RucioError(400, 'Invalid', 'Request state value is invalid');
    const asServer = (e: unknown): never => {
      if (e instanceof RucioError) throw new RucioError(500, e.exceptionClass, e.message);
      throw e;
    };
    let srcId = '';
    let dstId = '';
    try {
      srcId = requireRse(ctx.cat.db, String(src), ctx.cat.vo).id;
      dstId = requireRse(ctx.cat.db, String(dst), ctx.cat.vo).id;
    } catch (e) {
      asServer(e);
    }
    if (!ctx.caller.admin) {
      throw accessDenied(`${ctx.caller.account} cannot list requests from RSEs ['${String(src)}'] to RSEs ['${String(dst)}']. `, 500);
    }
    const offset = history ? Number.parseInt(q.get('offset') ?? '0', 10) || 0 : 0;
    const limit = history ? Number.parseInt(q.get('limit') ?? '100', 10) || 100 : -1;
    const rows = ctx.cat.db.prepare(`SELECT * FROM requests WHERE source_rse_id = ? AND dest_rse_id = ? AND archived_at IS ${history ? 'NOT NULL' : 'NULL'}
                                     AND state IN (SELECT value FROM json_each(?)) ORDER BY created_at, rowid LIMIT ? OFFSET ?`)
      .all(srcId, dstId, JSON.stringify(names), limit, offset) as RequestRow[];
    return streamReply(rows.map((r) => (history ? historyObject(ctx.cat.db, r) : listedRequest(ctx.cat.db, r))));
  };
}

export const requestRoutes: Route[] = [
  { method: 'GET', pattern: '/requests/list', handler: listRequestsBy(false), accept: STREAM_ONLY },
  { method: 'GET', pattern: '/requests/history/list', handler: listRequestsBy(true), accept: STREAM_ONLY },
  { method: 'GET', pattern: '/requests/history/*did/:rse', handler: getRequestBy(true), accept: JSON_ONLY },
  { method: 'GET', pattern: '/requests/*did/:rse', handler: getRequestBy(false), accept: JSON_ONLY },
];
