// Deleted DIDs and their return: what the undertaker and the reaper keep in deleted_dids when
// [deletion] archive_dids is on (core/did.py insert_deleted_dids), and POST /dids/resurrect
// (flaskapi/v1/dids.py Resurrect -> gateway/did.py resurrect -> core/did.py resurrect).
import type { Catalogue, JsonObject, RequestContext } from './context.js';
import type { DidKey } from './did-store.js';
import { didMeta, requireDid } from './did-store.js';
import { jsonPluginMeta } from './did-meta.js';
import { jsonList } from './did-bulk.js';
import { RucioError, accessDenied } from './errors.js';
import type { Reply } from './http.js';
import { created } from './http.js';
import type { Route } from './router.js';
import { DIDS, validateSchema } from './schema.js';

const COLUMNS = 'scope, name, did_type, account, is_open, monotonic, bytes, md5, adler32, guid, expired_at, meta, closed_at, length';

/** Called just before a DID row is deleted: keeps a copy when the catalogue archives deleted DIDs. */
export function archiveDeletedDid(cat: Catalogue, did: DidKey): void {
  if (!cat.deletion?.archiveDids) return;
  const now = cat.now();
  // Rucio's deleted_dids row gets its own created_at (the deletion time), which a resurrected DID then carries.
  cat.db.prepare(`INSERT OR REPLACE INTO deleted_dids (${COLUMNS}, created_at, updated_at, deleted_at)
                  SELECT ${COLUMNS}, ?, ?, ? FROM dids WHERE scope = ? AND name = ?`).run(now, now, now, did.scope, did.name);
}

/**
 * One DID: from deleted_dids (without its lifetime), or else an existing DID whose lifetime has passed
 * but which the undertaker has not removed yet loses that lifetime. Content and JSON metadata are not brought back.
 */
function resurrectOne(cat: Catalogue, { scope, name }: DidKey): void {
  const now = cat.now();
  const archived = cat.db.prepare('SELECT 1 FROM deleted_dids WHERE scope = ? AND name = ?').get(scope, name);
  if (!archived) {
    const revived = cat.db.prepare('UPDATE dids SET expired_at = NULL WHERE scope = ? AND name = ? AND expired_at < ?').run(scope, name, now);
    if (revived.changes) return;
    throw new RucioError(404, 'DataIdentifierNotFound', `Deleted Data identifier '${scope}:${name}' not found`);
  }
  if (cat.db.prepare('SELECT 1 FROM dids WHERE scope = ? AND name = ?').get(scope, name)) {
    // The row Rucio saves collides with the live DID at commit: db_session turns the IntegrityError into a
    // DatabaseException, which ErrorHandlingMethodView answers with its generic text.
    throw new RucioError(500, 'DatabaseException', 'An unknown Database Exception has occurred.');
  }
  cat.db.prepare(`INSERT INTO dids (${COLUMNS}, created_at, updated_at)
                  SELECT ${COLUMNS.replace('expired_at', 'NULL')}, created_at, ? FROM deleted_dids WHERE scope = ? AND name = ?`)
    .run(now, scope, name);
  cat.db.prepare('DELETE FROM deleted_dids WHERE scope = ? AND name = ?').run(scope, name);
  // deleted_dids holds the DIDs table's columns only; the JSON metadata went with the DID (delete_dids removes did_meta).
  const revived = requireDid(cat.db, scope, name);
  const json = jsonPluginMeta(revived);
  const columns = Object.fromEntries(Object.entries(didMeta(revived)).filter(([k]) => !(k in json)));
  cat.db.prepare('UPDATE dids SET meta = ? WHERE scope = ? AND name = ?').run(JSON.stringify(columns), scope, name);
}

/**
 * perm_resurrect: root or an admin only. The body is then checked against the 'dids' schema (at most
 * 1000 DIDs; InvalidObject is not caught by the view: 500). One unknown DID undoes the whole request.
 */
function resurrect(ctx: RequestContext): Reply {
  const dids = jsonList(ctx.body);
  if (!ctx.caller.admin) throw accessDenied(`Account ${ctx.caller.account} can not resurrect data identifiers. `);
  validateSchema('dids', DIDS, dids, 500);
  for (const d of dids as JsonObject[]) resurrectOne(ctx.cat, { scope: String(d.scope), name: String(d.name) });
  return created();
}

export const didResurrectRoutes: Route[] = [
  { method: 'POST', pattern: '/dids/resurrect', handler: resurrect },
];
