// /rules: create, read, update, soft-delete, locks, listing.
import type { RequestContext } from './context.js';
import { asBool, jsonObject, param } from './context.js';
import type { Db } from './db.js';
import type { DidKey } from './did-store.js';
import { RucioError, accessDenied } from './errors.js';
import { pyJson, rucioDate } from './format.js';
import type { Reply } from './http.js';
import { createdWith, emptyOk, jsonReply, streamReply } from './http.js';
import type { Route } from './router.js';
import { JSON_ONLY, STREAM_ONLY } from './router.js';
import { rseById } from './rse-store.js';
import { createRule, ruleOptions } from './rule-create.js';
import type { RuleRow } from './rule-engine.js';
import { lockCounts, refreshRuleState, requireRule } from './rule-engine.js';

/** The rule object (Rucio 41 key order); listings add "bytes". */
export function ruleObject(db: Db, r: RuleRow): Record<string, unknown> {
  const c = lockCounts(db, r.id);
  return {
    account: r.account, expires_at: rucioDate(r.expires_at), grouping: r.grouping, comments: r.comments,
    scope: r.scope, weight: r.weight, notification: r.notification, child_rule_id: r.child_rule_id, name: r.name,
    locked: !!r.locked, stuck_at: rucioDate(r.stuck_at), eol_at: rucioDate(r.eol_at), did_type: r.did_type,
    locks_ok_cnt: c.OK, purge_replicas: !!r.purge_replicas, split_container: !!r.split_container, state: r.state,
    locks_replicating_cnt: c.REPLICATING, ignore_availability: !!r.ignore_availability, meta: r.meta, error: r.error,
    locks_stuck_cnt: c.STUCK, ignore_account_limit: !!r.ignore_account_limit, deleted_at: null,
    subscription_id: r.subscription_id, rse_expression: r.rse_expression,
    source_replica_expression: r.source_replica_expression, priority: r.priority, created_at: rucioDate(r.created_at),
    id: r.id, copies: r.copies, activity: r.activity, updated_at: rucioDate(r.updated_at),
  };
}

/** A rule as core/rule.py list_rules yields it: with its DID's stored bytes (null for an open collection). */
export function listedRule(db: Db, r: RuleRow): Record<string, unknown> {
  const did = db.prepare('SELECT bytes FROM dids WHERE scope = ? AND name = ?').get(r.scope, r.name) as { bytes: number | null } | undefined;
  return { ...ruleObject(db, r), bytes: did?.bytes ?? null };
}

function addRules(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const dids = param(body, 'dids');
  param(body, 'account');
  param(body, 'copies');
  param(body, 'rse_expression');
  const options = ruleOptions(ctx.caller, body);
  if (!Array.isArray(dids)) throw new RucioError(409, 'InvalidObject', "Problem validating rule: 'dids' must be an array");
  const ids = (dids as DidKey[]).map((d) => createRule(ctx.cat, { scope: String(d.scope), name: String(d.name) }, options));
  return createdWith(pyJson(ids));
}

/**
 * The rule id of the path as Rucio's GUID column binds it (uuid.UUID(value), lib/rucio/db/sqla/types.py):
 * dashes, braces and a urn:uuid: prefix are accepted; anything else fails the statement, which
 * core/rule.py turns into RucioException('Badly formatted rule id (...)'), a 500.
 */
export function ruleIdParam(ctx: RequestContext): string {
  const raw = ctx.params.id as string;
  const hex = raw.replace(/^urn:/i, '').replace(/^uuid:/i, '').replace(/^\{|\}$/g, '').replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RucioError(500, 'RucioException', `Badly formatted rule id (${raw})`);
  return hex.toLowerCase();
}

function getRule(ctx: RequestContext): Reply {
  return jsonReply(ruleObject(ctx.cat.db, requireRule(ctx.cat.db, ruleIdParam(ctx))));
}

const UPDATABLE = ['comment', 'locked', 'lifetime', 'account', 'state', 'activity', 'source_replica_expression',
  'cancel_requests', 'priority', 'child_rule_id', 'eol_at', 'meta', 'purge_replicas', 'boost_rule'];

function updateRule(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const options = param(body, 'options') as Record<string, unknown>;
  const rule = requireRule(ctx.cat.db, ruleIdParam(ctx));
  // perm_update_rule (lib/rucio/core/permission/generic.py): root/admin only.
  if (!ctx.caller.admin) throw accessDenied(`Account ${ctx.caller.account} can not update this replication rule. `);
  const now = ctx.cat.now();
  const set: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options ?? {})) {
    if (!UPDATABLE.includes(key)) throw new RucioError(409, 'InputValidationError', `${key} is not a valid option to set.`);
    if (key === 'lifetime') set.expires_at = value === null ? null : now + Number(value) * 1000;
    else if (key === 'comment') set.comments = value;
    else if (key === 'locked' || key === 'purge_replicas') set[key] = asBool(value, false) ? 1 : 0;
    else if (key === 'eol_at') set.eol_at = value === null ? null : Date.parse(String(value));
    else if (key === 'state') {
      const state = String(value).toUpperCase();
      if (!['SUSPENDED', 'STUCK', 'REPLICATING', 'OK'].includes(state)) {
        throw new RucioError(409, 'UnsupportedOperation', `State ${state} cannot be set`);
      }
      set.state = state === 'SUSPENDED' ? 'SUSPENDED' : 'REPLICATING';
    } else if (['account', 'activity', 'source_replica_expression', 'priority', 'child_rule_id', 'meta'].includes(key)) {
      set[key] = value;
    }
  }
  const cols = Object.keys(set);
  if (cols.length) {
    ctx.cat.db.prepare(`UPDATE rules SET ${cols.map((c) => `${c} = ?`).join(', ')}, updated_at = ? WHERE id = ?`)
      .run(...cols.map((c) => set[c] as never), now, rule.id);
    if (set.state === 'REPLICATING') refreshRuleState(ctx.cat, rule.id);
  }
  return emptyOk();
}

/**
 * DELETE /rules/<id> (flaskapi/v1/rules.py Rule.delete -> gateway/rule.py delete_replication_rule ->
 * core/rule.py delete_rule(soft=True)): the body must be a JSON object; only root/admin may delete
 * (perm_del_rule); the rule is set to expire within the hour and the judge-cleaner removes it later.
 */
function deleteRule(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const rule = requireRule(ctx.cat.db, ruleIdParam(ctx));
  if (!ctx.caller.admin) throw accessDenied(`Account ${ctx.caller.account} can not remove this replication rule. `);
  if (rule.locked) {
    throw new RucioError(401, 'UnsupportedOperation', 'The replication rule is locked and has to be unlocked before it can be deleted.');
  }
  if (rule.child_rule_id !== null) {
    throw new RucioError(401, 'UnsupportedOperation', 'The replication rule has a child rule and thus cannot be deleted.');
  }
  const now = ctx.cat.now();
  const deadline = now + 3600 * 1000;
  const expiresAt = rule.expires_at === null ? deadline : Math.min(rule.expires_at, deadline);
  const purge = body.purge_replicas === undefined || body.purge_replicas === null ? rule.purge_replicas : asBool(body.purge_replicas, false) ? 1 : 0;
  ctx.cat.db.prepare('UPDATE rules SET expires_at = ?, purge_replicas = ?, updated_at = ? WHERE id = ?').run(expiresAt, purge, now, rule.id);
  return emptyOk();
}

function ruleLocks(ctx: RequestContext): Reply {
  const rule = requireRule(ctx.cat.db, ruleIdParam(ctx));
  const locks = ctx.cat.db.prepare('SELECT scope, name, rse_id, state FROM locks WHERE rule_id = ? ORDER BY created_at, rowid')
    .all(rule.id) as { scope: string; name: string; rse_id: string; state: string }[];
  return streamReply(locks.map((l) => ({
    scope: l.scope, name: l.name, rse_id: l.rse_id, rse: rseById(ctx.cat.db, l.rse_id).name, state: l.state, rule_id: rule.id,
  })));
}

const STATE_CODES: Record<string, string> = { O: 'OK', R: 'REPLICATING', S: 'STUCK', U: 'SUSPENDED', I: 'INJECT' };

/** list_replication_rules with the request's filters (plus fixed ones, e.g. the account of /accounts/<a>/rules). */
export function listRulesWhere(ctx: RequestContext, fixed: Record<string, string> = {}): Reply {
  const where: string[] = [];
  const args: string[] = [];
  const filters = new Map<string, string>();
  for (const [k, v] of ctx.query) if (!filters.has(k)) filters.set(k, v);
  for (const [k, v] of Object.entries(fixed)) filters.set(k, v);
  for (const key of ['account', 'scope', 'name', 'rse_expression', 'activity', 'did_type', 'grouping']) {
    const v = filters.get(key);
    if (v === undefined) continue;
    where.push(v.includes('*') && (key === 'account' || key === 'scope') ? `${key} GLOB ?` : `${key} = ?`);
    args.push(v);
  }
  const state = filters.get('state');
  if (state !== undefined) {
    where.push('state = ?');
    args.push(STATE_CODES[state] ?? state);
  }
  const sql = `SELECT * FROM rules ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, rowid`;
  const rules = ctx.cat.db.prepare(sql).all(...args) as RuleRow[];
  return streamReply(rules.map((r) => listedRule(ctx.cat.db, r)));
}

function listRules(ctx: RequestContext): Reply {
  return listRulesWhere(ctx);
}

export const ruleRoutes: Route[] = [
  { method: 'POST', pattern: '/rules/', handler: addRules },
  { method: 'GET', pattern: '/rules/', handler: listRules, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/rules/:id', handler: getRule, accept: JSON_ONLY },
  { method: 'PUT', pattern: '/rules/:id', handler: updateRule },
  { method: 'DELETE', pattern: '/rules/:id', handler: deleteRule },
  { method: 'GET', pattern: '/rules/:id/locks', handler: ruleLocks, accept: STREAM_ONLY },
];
