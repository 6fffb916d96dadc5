// Transfer requests: queued by rules whose locks need a copy, picked up by
// the sandbox's transfer engine through the admin interface.
import { randomUUID } from 'node:crypto';
import type { RequestContext } from './context.js';
import type { Db } from './db.js';
import { RucioError } from './errors.js';
import { rucioDate } from './format.js';
import type { Reply } from './http.js';
import { jsonReply } from './http.js';
import type { Route } from './router.js';
import { JSON_ONLY } from './router.js';
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
  submitted_at: number | null;
  started_at: number | null;
  transferred_at: number | null;
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
    staging_started_at: null, updated_at: rucioDate(r.updated_at), dest_rse_id: r.dest_rse_id, previous_attempt_id: null,
    started_at: rucioDate(r.started_at), staging_finished_at: null, source_rse_id: r.source_rse_id, rule_id: r.rule_id,
    transferred_at: rucioDate(r.transferred_at), account: r.account, attributes: JSON.parse(r.attributes) as unknown,
    activity: r.activity, estimated_at: null, requested_at: null, request_type: 'TRANSFER', state: r.state,
    bytes: r.bytes, submitter_id: null, last_processed_by: null,
    source_rse: r.source_rse_id ? rseById(db, r.source_rse_id).name : null, dest_rse: rseById(db, r.dest_rse_id).name,
  };
}

function getRequest(ctx: RequestContext): Reply {
  const { scope, name } = ctx.params as { scope: string; name: string };
  const rse = requireRse(ctx.cat.db, ctx.params.rse as string, ctx.cat.vo);
  const row = ctx.cat.db
    .prepare('SELECT * FROM requests WHERE scope = ? AND name = ? AND dest_rse_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1')
    .get(scope, name, rse.id) as RequestRow | undefined;
  if (!row) throw new RucioError(404, 'RequestNotFound', `No request found for DID ${scope}:${name} at RSE ${rse.name}`);
  return jsonReply(requestObject(ctx.cat.db, row));
}

export const requestRoutes: Route[] = [{ method: 'GET', pattern: '/requests/*did/:rse', handler: getRequest, accept: JSON_ONLY }];
