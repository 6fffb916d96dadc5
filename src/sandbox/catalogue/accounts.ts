// Accounts, account limits and scopes.
import type { Catalogue, RequestContext } from './context.js';
import { jsonObject, param } from './context.js';
import type { Db } from './db.js';
import { RucioError, accessDenied } from './errors.js';
import { isoSeconds } from './format.js';
import type { Reply } from './http.js';
import { created, emptyOk, flaskReply, jsonReply, redirectReply } from './http.js';
import type { Route } from './router.js';
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

function limitsOf(db: Db, account: string, rse?: string): Record<string, number> {
  const rows = db.prepare(`SELECT r.name, l.bytes FROM account_limits l JOIN rses r ON r.id = l.rse_id
                           WHERE l.account = ? ORDER BY r.name`).all(account) as { name: string; bytes: number }[];
  return Object.fromEntries(rows.filter((r) => rse === undefined || r.name === rse).map((r) => [r.name, r.bytes]));
}

function getLimits(ctx: RequestContext): Reply {
  requireAccount(ctx.cat.db, ctx.params.account as string);
  const rse = ctx.params.rse;
  if (rse !== undefined) requireRse(ctx.cat.db, rse, ctx.cat.vo);
  return flaskReply(limitsOf(ctx.cat.db, ctx.params.account as string, rse));
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
  { method: 'GET', pattern: '/accounts/whoami', handler: whoami },
  { method: 'GET', pattern: '/accounts/:account', handler: getAccount },
  { method: 'GET', pattern: '/accounts/:account/limits', handler: getLimits },
  { method: 'GET', pattern: '/accounts/:account/limits/:rse', handler: getLimits },
  { method: 'GET', pattern: '/accounts/:account/limits/local/:rse', handler: getLimits },
  { method: 'POST', pattern: '/accounts/:account/limits/local/:rse', handler: setLimit },
  { method: 'DELETE', pattern: '/accounts/:account/limits/local/:rse', handler: deleteLimit },
  { method: 'GET', pattern: '/accounts/:account/scopes/', handler: accountScopes },
  { method: 'POST', pattern: '/accounts/:account/scopes/:scope', handler: addScope(401) },
  { method: 'POST', pattern: '/scopes/:account/:scope', handler: addScope(500) },
  { method: 'GET', pattern: '/scopes/', handler: listScopes },
];
