// Global account limits: a byte limit on an RSE expression, shared by every RSE it resolves to
// (lib/rucio/web/rest/flaskapi/v1/accounts.py GlobalAccountLimits and GlobalUsage, gateway/account_limit.py,
// core/account_limit.py get/set/delete_global_account_limit, get_global_account_usage).
import { allAccountUsages } from './account-counters.js';
import type { Catalogue, RequestContext } from './context.js';
import { jsonObject, param } from './context.js';
import type { Db } from './db.js';
import { RucioError, accessDenied } from './errors.js';
import type { Reply } from './http.js';
import { created, emptyOk, jsonReply, streamReply } from './http.js';
import type { RseFacts } from './rse-expression.js';
import { evaluateExpression } from './rse-expression.js';
import { rseUniverse } from './rses.js';

export interface GlobalLimit {
  expression: string;
  /** Bytes; -1 is stored for "unlimited" and read back as float('inf'). */
  limit: number;
  rses: RseFacts[];
}

const limitValue = (bytes: number): number => (bytes === -1 ? Infinity : bytes);

const accountExists = (db: Db, account: string): boolean => !!db.prepare('SELECT 1 FROM accounts WHERE name = ?').get(account);

/** parse_expression outside a view that catches it: InvalidRSEExpression is left to ErrorHandlingMethodView (500). */
function resolve(cat: Catalogue, expression: string): RseFacts[] {
  try {
    return evaluateExpression(expression, rseUniverse(cat.db, cat.vo));
  } catch (e) {
    if (e instanceof RucioError) throw new RucioError(500, e.exceptionClass, e.message);
    throw e;
  }
}

/** get_global_account_limit(account): every limit of the account with the RSEs its expression resolves to now. */
export function globalLimits(cat: Catalogue, account: string): GlobalLimit[] {
  const rows = cat.db.prepare('SELECT rse_expression, bytes FROM account_global_limits WHERE account = ? ORDER BY created_at, rowid')
    .all(account) as { rse_expression: string; bytes: number }[];
  return rows.map((r) => ({ expression: r.rse_expression, limit: limitValue(r.bytes), rses: resolve(cat, r.rse_expression) }));
}

function requireAccount500(db: Db, account: string): void {
  if (!accountExists(db, account)) throw new RucioError(500, 'AccountNotFound', `Account ${account} does not exist`);
}

/** GET /accounts/<a>/limits/global[/<rse_expression>]: render_json of the resolved limits, or {expression: bytes|null}. */
function getGlobalLimits(ctx: RequestContext): Reply {
  const account = ctx.params.account as string;
  requireAccount500(ctx.cat.db, account);
  const expression = ctx.params.rse_expression;
  if (expression !== undefined) {
    const row = ctx.cat.db.prepare('SELECT bytes FROM account_global_limits WHERE account = ? AND rse_expression = ?').get(account, expression) as
      { bytes: number } | undefined;
    return jsonReply({ [expression]: row ? limitValue(row.bytes) : null });
  }
  return jsonReply(Object.fromEntries(globalLimits(ctx.cat, account).map((l) => [l.expression, {
    resolved_rses: l.rses.map((r) => r.name), resolved_rse_ids: l.rses.map((r) => r.id), limit: l.limit,
  }])));
}

/**
 * perm_set_global_account_limit / perm_delete_global_account_limit (core/permission/generic.py): root and
 * admin accounts; otherwise a country admin of every RSE the expression resolves to. The sandbox has no
 * country-admin attributes. For a set, generic.py still resolves the expression and reads rse['rse_id'] of
 * each RSE dictionary, which parse_expression does not provide: a KeyError, answered as Flask does (500).
 */
function checkGlobalPermission(ctx: RequestContext, action: 'set' | 'delete'): void {
  if (ctx.caller.admin) return;
  if (action === 'delete') throw accessDenied(`Account ${ctx.caller.account} can not delete global account limits. `);
  resolve(ctx.cat, ctx.params.rse_expression as string);
  throw new Error("'rse_id'");
}

/** POST /accounts/<a>/limits/global/<rse_expression> {"bytes": N}: 201 'Created'; no check of the expression itself. */
function setGlobalLimit(ctx: RequestContext): Reply {
  const bytes = param(jsonObject(ctx.body), 'bytes');
  checkGlobalPermission(ctx, 'set');
  const account = ctx.params.account as string;
  if (!accountExists(ctx.cat.db, account)) throw new RucioError(404, 'AccountNotFound', `Account ${account} does not exist`);
  if (typeof bytes !== 'number' || !Number.isInteger(bytes)) throw new RucioError(400, 'ValueError', "'bytes' must be an integer");
  ctx.cat.db.prepare(`INSERT INTO account_global_limits (account, rse_expression, bytes, created_at) VALUES (?, ?, ?, ?)
                      ON CONFLICT (account, rse_expression) DO UPDATE SET bytes = excluded.bytes`)
    .run(account, ctx.params.rse_expression, bytes, ctx.cat.now());
  return created();
}

/** DELETE /accounts/<a>/limits/global/<rse_expression>: '' 200, whether or not a limit was there. */
function deleteGlobalLimit(ctx: RequestContext): Reply {
  checkGlobalPermission(ctx, 'delete');
  const account = ctx.params.account as string;
  if (!accountExists(ctx.cat.db, account)) throw new RucioError(404, 'AccountNotFound', `Account ${account} does not exist`);
  ctx.cat.db.prepare('DELETE FROM account_global_limits WHERE account = ? AND rse_expression = ?').run(account, ctx.params.rse_expression);
  return emptyOk();
}

/**
 * GET /accounts/<a>/usage/global[/<rse_expression>] (get_global_account_usage): per limit, the account's
 * counters summed over the RSEs it resolves to; for one expression, its usage even without a limit (0).
 */
function globalUsage(ctx: RequestContext): Reply {
  const account = ctx.params.account as string;
  if (!ctx.caller.admin && ctx.caller.account !== account) {
    throw accessDenied(`Account ${ctx.caller.account} can not list global account usage. `);
  }
  if (!accountExists(ctx.cat.db, account)) throw new RucioError(404, 'AccountNotFound', `Account ${account} does not exist`);
  const usages = allAccountUsages(ctx.cat.db, account);
  const sum = (rses: RseFacts[]): { bytes: number; files: number } => rses.reduce((s, r) => {
    const u = usages.get(r.id);
    return { bytes: s.bytes + (u?.bytes ?? 0), files: s.files + (u?.files ?? 0) };
  }, { bytes: 0, files: 0 });
  const expression = ctx.params.rse_expression;
  if (expression === undefined) {
    return streamReply(globalLimits(ctx.cat, account).map((l) => {
      const u = sum(l.rses);
      return { rse_expression: l.expression, bytes: u.bytes, files: u.files, bytes_limit: l.limit, bytes_remaining: l.limit - u.bytes };
    }));
  }
  const row = ctx.cat.db.prepare('SELECT bytes FROM account_global_limits WHERE account = ? AND rse_expression = ?').get(account, expression) as
    { bytes: number } | undefined;
  const limit = row ? limitValue(row.bytes) : 0;
  const u = sum(resolve(ctx.cat, expression));
  return streamReply([{ rse_expression: expression, bytes: u.bytes, files: u.files, bytes_limit: limit, bytes_remaining: limit - u.bytes }]);
}

export const globalLimitHandlers = { getGlobalLimits, setGlobalLimit, deleteGlobalLimit, globalUsage };
