// Accounts, local account limits and usage, and scopes (global limits: account-global-limits.ts).
import { globalLimitHandlers } from './account-global-limits.js';
import type { Catalogue, RequestContext } from './context.js';
import { jsonObject, param } from './context.js';
import type { Db } from './db.js';
import { RucioError, accessDenied } from './errors.js';
import { isoSeconds } from './format.js';
import type { Reply } from './http.js';
import { created, emptyOk, flaskReply, jsonReply, redirectReply, streamReply } from './http.js';
import type { Route } from './router.js';
import { JSON_ONLY, STREAM_ONLY } from './router.js';
import { listRulesWhere } from './rules.js';
import { requireRse } from './rse-store.js';
import { ACCOUNT, SCOPE, validateSchema } from './schema.js';

interface AccountRow {
  name: string;
  type: string;
  status: string;
  email: string | null;
  created_at: number;
  updated_at: number;
}

export function requireAccount(db: Db, name: string): AccountRow {
  const row = db.prepare('SELECT * FROM accounts WHERE name = ?').get(name) as AccountRow | undefined;
  if (!row) throw new RucioError(404, 'AccountNotFound', `Account with ID '${name}' cannot be found`);
  return row;
}

export function insertAccount(cat: Catalogue, name: string, type: string, opts: { admin?: boolean; email?: string }): void {
  validateSchema('account', ACCOUNT, name, 400);
  if (!['USER', 'GROUP', 'SERVICE'].includes(type)) throw new RucioError(400, 'InvalidObject', `Account type '${type}' is not valid`);
  const now = cat.now();
  const exists = cat.db.prepare('SELECT 1 FROM accounts WHERE name = ?').get(name);
  if (exists) throw new RucioError(409, 'Duplicate', `Account ID '${name}' already exists!`);
  cat.db.prepare('INSERT INTO accounts (name, type, email, admin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(name, type, opts.email ?? null, opts.admin ? 1 : 0, now, now);
}

export function insertScope(cat: Catalogue, account: string, scope: string): void {
  validateSchema('scope', SCOPE, scope, 400);
  requireAccount(cat.db, account);
  if (cat.db.prepare('SELECT 1 FROM scopes WHERE scope = ?').get(scope)) {
    throw new RucioError(409, 'Duplicate', `Scope '${scope}' already exists!`);
  }
  cat.db.prepare('INSERT INTO scopes (scope, account, created_at) VALUES (?, ?, ?)').run(scope, account, cat.now());
}

export function upsertAccountLimit(cat: Catalogue, account: string, rse: string, bytes: number): void {
  requireAccount(cat.db, account);
  const rseRow = requireRse(cat.db, rse, cat.vo);
  cat.db.prepare(`INSERT INTO account_limits (account, rse_id, bytes) VALUES (?, ?, ?)
                  ON CONFLICT (account, rse_id) DO UPDATE SET bytes = excluded.bytes`).run(account, rseRow.id, bytes);
}

/** GET /accounts/<a>/rules (flaskapi/v1/accounts.py Rules): list_replication_rules with account plus the query filters. */
function accountRules(ctx: RequestContext): Reply {
  return listRulesWhere(ctx, { account: ctx.params.account as string });
}

function whoami(ctx: RequestContext): Reply {
  return redirectReply(303, ctx.caller.account);
}

function getAccount(ctx: RequestContext): Reply {
  const a = requireAccount(ctx.cat.db, ctx.params.account as string);
  return jsonReply({
    status: a.status, suspended_at: null, created_at: isoSeconds(a.created_at), email: a.email, account: a.name,
    account_type: a.type, deleted_at: null, updated_at: isoSeconds(a.updated_at),
  });
}

/** core/account_limit.py: -1 is stored for "unlimited" and read back as float('inf'). */
const limitValue = (bytes: number): number => (bytes === -1 ? Infinity : bytes);

/** core/account_limit.py raises AccountNotFound, which the views leave to ErrorHandlingMethodView (500). */
function requireLimitAccount(db: Db, account: string): void {
  if (!db.prepare('SELECT 1 FROM accounts WHERE name = ?').get(account)) {
    throw new RucioError(500, 'AccountNotFound', `Account ${account} does not exist`);
  }
}

/** GET /accounts/<a>/limits[/local][/<rse>] (flaskapi/v1/accounts.py LocalAccountLimits): render_json of {rse: bytes}. */
function getLimits(ctx: RequestContext): Reply {
  const account = ctx.params.account as string;
  const rse = ctx.params.rse;
  if (rse !== undefined) {
    const row = requireRse(ctx.cat.db, rse, ctx.cat.vo);
    requireLimitAccount(ctx.cat.db, account);
    const limit = ctx.cat.db.prepare('SELECT bytes FROM account_limits WHERE account = ? AND rse_id = ?').get(account, row.id) as
      { bytes: number } | undefined;
    return jsonReply({ [rse]: limit ? limitValue(limit.bytes) : null });
  }
  requireLimitAccount(ctx.cat.db, account);
  const rows = ctx.cat.db.prepare(`SELECT r.name, l.bytes FROM account_limits l JOIN rses r ON r.id = l.rse_id
                                   WHERE l.account = ? ORDER BY r.name`).all(account) as { name: string; bytes: number }[];
  return jsonReply(Object.fromEntries(rows.map((r) => [r.name, limitValue(r.bytes)])));
}

/**
 * GET /accounts/<a>/usage/local[/<rse>] (LocalUsage -> core/account_limit.py get_local_account_usage):
 * one line per RSE with a limit or usage. Usage is the account counter as of the last abacus-account run
 * (account-counters.ts); perm_get_local_account_usage lets an account read its own, root/admin any.
 */
function localUsage(ctx: RequestContext): Reply {
  const account = ctx.params.account as string;
  const db = ctx.cat.db;
  const rse = ctx.params.rse !== undefined ? requireRse(db, ctx.params.rse, ctx.cat.vo) : null;
  if (!ctx.caller.admin && ctx.caller.account !== account) {
    throw accessDenied(`Account ${ctx.caller.account} can not list account usage. `);
  }
  if (!db.prepare('SELECT 1 FROM accounts WHERE name = ?').get(account)) {
    throw new RucioError(404, 'AccountNotFound', `Account ${account} does not exist`);
  }
  const rows = db.prepare(`
    SELECT r.id AS rse_id, r.name AS rse, l.bytes AS lim, COALESCE(u.bytes, 0) AS bytes, COALESCE(u.files, 0) AS files
    FROM rses r
    LEFT JOIN account_limits l ON l.rse_id = r.id AND l.account = ?
    LEFT JOIN account_usage u ON u.rse_id = r.id AND u.account = ?
    WHERE (? IS NULL OR r.id = ?) ORDER BY r.name`).all(account, account, rse?.id ?? null, rse?.id ?? null) as
    { rse_id: string; rse: string; lim: number | null; bytes: number; files: number }[];
  return streamReply(rows.filter((r) => r.lim !== null || r.bytes > 0 || r.files > 0).map((r) => {
    const limit = r.lim === null ? 0 : limitValue(r.lim);
    return { rse_id: r.rse_id, rse: r.rse, bytes: r.bytes, files: r.files, bytes_limit: limit, bytes_remaining: limit - r.bytes };
  }));
}

function setLimit(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const bytes = param(body, 'bytes');
  if (!ctx.caller.admin) throw accessDenied(`Account ${ctx.caller.account} can not set account limits.`);
  if (typeof bytes !== 'number' || !Number.isInteger(bytes)) throw new RucioError(400, 'ValueError', "'bytes' must be an integer");
  upsertAccountLimit(ctx.cat, ctx.params.account as string, ctx.params.rse as string, bytes);
  return created();
}

function deleteLimit(ctx: RequestContext): Reply {
  if (!ctx.caller.admin) throw accessDenied(`Account ${ctx.caller.account} can not delete account limits.`);
  requireAccount(ctx.cat.db, ctx.params.account as string);
  const rse = requireRse(ctx.cat.db, ctx.params.rse as string, ctx.cat.vo);
  ctx.cat.db.prepare('DELETE FROM account_limits WHERE account = ? AND rse_id = ?').run(ctx.params.account, rse.id);
  return emptyOk();
}

function accountScopes(ctx: RequestContext): Reply {
  const account = ctx.params.account as string;
  requireAccount(ctx.cat.db, account);
  const rows = ctx.cat.db.prepare('SELECT scope FROM scopes WHERE account = ? ORDER BY scope').all(account) as { scope: string }[];
  if (rows.length === 0) throw new RucioError(404, 'ScopeNotFound', `no scopes found for account ID '${account}'`);
  return flaskReply(rows.map((r) => r.scope));
}

/** POST /accounts/<a>/scopes/<s> maps AccessDenied to 401; the older /scopes/<a>/<s> leaves it a 500. */
function addScope(deniedStatus: number) {
  return (ctx: RequestContext): Reply => {
    if (!ctx.caller.admin) throw accessDenied(`Account ${ctx.caller.account} can not add scope`, deniedStatus);
    insertScope(ctx.cat, ctx.params.account as string, ctx.params.scope as string);
    return created();
  };
}

function listScopes(ctx: RequestContext): Reply {
  const rows = ctx.cat.db.prepare('SELECT scope FROM scopes ORDER BY scope').all() as { scope: string }[];
  return flaskReply(rows.map((r) => r.scope));
}

export const accountRoutes: Route[] = [
  { method: 'GET', pattern: '/accounts/whoami', handler: whoami, accept: JSON_ONLY },
  { method: 'GET', pattern: '/accounts/:account', handler: getAccount, accept: JSON_ONLY },
  { method: 'GET', pattern: '/accounts/:account/limits', handler: getLimits, accept: JSON_ONLY },
  { method: 'GET', pattern: '/accounts/:account/limits/local', handler: getLimits, accept: JSON_ONLY },
  { method: 'GET', pattern: '/accounts/:account/limits/global', handler: globalLimitHandlers.getGlobalLimits, accept: JSON_ONLY },
  { method: 'GET', pattern: '/accounts/:account/limits/global/:rse_expression', handler: globalLimitHandlers.getGlobalLimits, accept: JSON_ONLY },
  { method: 'POST', pattern: '/accounts/:account/limits/global/:rse_expression', handler: globalLimitHandlers.setGlobalLimit },
  { method: 'DELETE', pattern: '/accounts/:account/limits/global/:rse_expression', handler: globalLimitHandlers.deleteGlobalLimit },
  { method: 'GET', pattern: '/accounts/:account/limits/:rse', handler: getLimits, accept: JSON_ONLY },
  { method: 'GET', pattern: '/accounts/:account/limits/local/:rse', handler: getLimits, accept: JSON_ONLY },
  { method: 'GET', pattern: '/accounts/:account/usage', handler: localUsage, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/accounts/:account/usage/local', handler: localUsage, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/accounts/:account/usage/local/:rse', handler: localUsage, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/accounts/:account/usage/global', handler: globalLimitHandlers.globalUsage, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/accounts/:account/usage/global/:rse_expression', handler: globalLimitHandlers.globalUsage, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/accounts/:account/usage/:rse', handler: localUsage, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/accounts/:account/rules', handler: accountRules, accept: STREAM_ONLY },
  { method: 'POST', pattern: '/accounts/:account/limits/local/:rse', handler: setLimit },
  { method: 'DELETE', pattern: '/accounts/:account/limits/local/:rse', handler: deleteLimit },
  { method: 'GET', pattern: '/accounts/:account/scopes/', handler: accountScopes, accept: JSON_ONLY },
  { method: 'POST', pattern: '/accounts/:account/scopes/:scope', handler: addScope(401) },
  { method: 'POST', pattern: '/scopes/:account/:scope', handler: addScope(500) },
  { method: 'GET', pattern: '/scopes/', handler: listScopes, accept: JSON_ONLY },
];
