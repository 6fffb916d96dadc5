// The content history of collections (contents_history): what detach_dids archives, and the
// AttachmentHistory view of lib/rucio/web/rest/flaskapi/v1/dids.py that lists it.
import type { RequestContext } from './context.js';
import type { Db } from './db.js';
import type { DidKey } from './did-store.js';
import { rucioDate } from './format.js';
import type { Reply } from './http.js';
import { streamReply } from './http.js';
import type { Route } from './router.js';
import { STREAM_ONLY } from './router.js';

interface HistoryRow {
  child_scope: string;
  child_name: string;
  child_type: string;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
  created_at: number;
  updated_at: number;
  deleted_at: number;
}

/**
 * Copies the content rows matching `where` into contents_history before they are deleted. The
 * checksums are the child file's (Rucio keeps them on the content row; collections have none).
 */
function archiveContentRows(db: Db, where: string, params: string[], now: number): void {
  db.prepare(`INSERT INTO contents_history (scope, name, child_scope, child_name, did_type, child_type, bytes, adler32, md5, guid,
                did_created_at, created_at, updated_at, deleted_at)
              SELECT c.scope, c.name, c.child_scope, c.child_name, p.did_type, c.child_type,
                CASE WHEN c.child_type = 'FILE' THEN k.bytes END, CASE WHEN c.child_type = 'FILE' THEN k.adler32 END,
                CASE WHEN c.child_type = 'FILE' THEN k.md5 END, CASE WHEN c.child_type = 'FILE' THEN k.guid END,
                p.created_at, c.created_at, c.created_at, ?
              FROM contents c JOIN dids p ON p.scope = c.scope AND p.name = c.name
              LEFT JOIN dids k ON k.scope = c.child_scope AND k.name = c.child_name
              WHERE ${where} ORDER BY c.rowid`).run(now, ...params);
}

/** core/did.py detach_dids: every detached child is archived with the time of its removal. */
export function archiveAttachment(db: Db, parent: DidKey, child: DidKey, now: number): void {
  archiveContentRows(db, 'c.scope = ? AND c.name = ? AND c.child_scope = ? AND c.child_name = ?',
    [parent.scope, parent.name, child.scope, child.name], now);
}

/** A DID leaving all its parents (delete_dids detaches it; replica cleanup archives the file's content rows). */
export function archiveParentsOf(db: Db, child: DidKey, now: number): void {
  archiveContentRows(db, 'c.child_scope = ? AND c.child_name = ?', [child.scope, child.name], now);
}

/** delete_dids with [deletion] archive_content: a deleted collection's own content is archived too. */
export function archiveContentOf(db: Db, parent: DidKey, now: number): void {
  archiveContentRows(db, 'c.scope = ? AND c.name = ?', [parent.scope, parent.name], now);
}

/**
 * GET /dids/<scope>/<name>/dids/history (core/did.py list_content_history): the archived content rows.
 * Rucio looks nothing else up, so an unknown DID lists nothing (200, empty body) rather than a 404.
 */
function attachmentHistory(ctx: RequestContext): Reply {
  const rows = ctx.cat.db.prepare(`SELECT child_scope, child_name, child_type, bytes, adler32, md5, created_at, updated_at, deleted_at
                                   FROM contents_history WHERE scope = ? AND name = ? ORDER BY rowid`)
    .all(ctx.params.scope as string, ctx.params.name as string) as HistoryRow[];
  return streamReply(rows.map((r) => ({
    scope: r.child_scope, name: r.child_name, type: r.child_type, bytes: r.bytes, adler32: r.adler32, md5: r.md5,
    deleted_at: rucioDate(r.deleted_at), created_at: rucioDate(r.created_at), updated_at: rucioDate(r.updated_at),
  })));
}

export const didHistoryRoutes: Route[] = [
  { method: 'GET', pattern: '/dids/*did/dids/history', handler: attachmentHistory, accept: STREAM_ONLY },
];
