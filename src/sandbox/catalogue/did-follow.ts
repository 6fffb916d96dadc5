// Followed DIDs: the Follow view of lib/rucio/web/rest/flaskapi/v1/dids.py (GET/POST/DELETE
// /dids/<scope>/<name>/follow -> gateway/did.py and core/did.py *_followed).
import type { RequestContext } from './context.js';
import { jsonObject, param } from './context.js';
import { findDid } from './did-store.js';
import { RucioError } from './errors.js';
import { pyJson } from './format.js';
import type { Reply } from './http.js';
import { emptyOk, flaskErrorPage } from './http.js';
import { PythonError } from './py-literal.js';
import type { Route } from './router.js';
import { JSON_ONLY } from './router.js';

const didOf = (ctx: RequestContext): { scope: string; name: string } =>
  ({ scope: ctx.params.scope as string, name: ctx.params.name as string });

/**
 * get_users_following_did: one {"user": account} line per follower, sent by try_stream as
 * application/json. Nothing checks the DID, so an unknown one has no followers (200, empty body).
 */
function followers(ctx: RequestContext): Reply {
  const { scope, name } = didOf(ctx);
  const rows = ctx.cat.db.prepare('SELECT account FROM dids_followed WHERE scope = ? AND name = ? ORDER BY rowid').all(scope, name) as
    { account: string }[];
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: rows.map((r) => `${pyJson({ user: r.account })}\n`).join('') };
}

/**
 * add_did_to_followed, with no permission check. Errors are not the view's: an unknown DID is
 * SQLAlchemy's NoResultFound and an IntegrityError (unknown account, already followed) becomes a
 * RucioException, both 500 (texts as on SQLite). Success is a 500 too: Follow.post returns None, which
 * Flask refuses after the follow was committed, so the client gets Werkzeug's Internal Server Error page.
 */
function follow(ctx: RequestContext): Reply {
  const { scope, name } = didOf(ctx);
  const account = String(param(jsonObject(ctx.body), 'account'));
  const did = findDid(ctx.cat.db, scope, name);
  if (!did) throw new PythonError('No row was found when one was required');
  const integrityError = (detail: string): RucioError => new RucioError(500, 'RucioException', `('(sqlite3.IntegrityError) ${detail}',)`);
  if (!ctx.cat.db.prepare('SELECT 1 FROM accounts WHERE name = ?').get(account)) throw integrityError('FOREIGN KEY constraint failed');
  if (ctx.cat.db.prepare('SELECT 1 FROM dids_followed WHERE scope = ? AND name = ? AND account = ?').get(scope, name, account)) {
    throw integrityError('UNIQUE constraint failed: dids_followed.scope, dids_followed.name, dids_followed.account');
  }
  ctx.cat.db.prepare('INSERT INTO dids_followed (scope, name, account, did_type, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(scope, name, account, did.did_type, ctx.cat.now());
  return flaskErrorPage(500);
}

/**
 * remove_did_from_followed: perm_remove_did_from_followed lets root and admins through, then reads
 * kwargs['account'], which the gateway never passes: any other caller gets a KeyError (500 "'account'").
 * Removing a follow that does not exist is no error.
 */
function unfollow(ctx: RequestContext): Reply {
  const { scope, name } = didOf(ctx);
  const account = String(param(jsonObject(ctx.body), 'account'));
  if (!ctx.caller.admin) throw new PythonError("'account'");
  ctx.cat.db.prepare('DELETE FROM dids_followed WHERE scope = ? AND name = ? AND account = ?').run(scope, name, account);
  return emptyOk();
}

export const didFollowRoutes: Route[] = [
  { method: 'GET', pattern: '/dids/*did/follow', handler: followers, accept: JSON_ONLY },
  { method: 'POST', pattern: '/dids/*did/follow', handler: follow },
  { method: 'DELETE', pattern: '/dids/*did/follow', handler: unfollow },
];
