// Read-only DID views of lib/rucio/web/rest/flaskapi/v1/dids.py: Files, Parents, AssociatedRules and
// Search (core/did.py list_files, list_parent_dids; did-search.ts for list_dids).
import type { JsonObject, RequestContext } from './context.js';
import type { Db } from './db.js';
import type { DidRow } from './did-store.js';
import { children, findDid, requireDid } from './did-store.js';
import { searchDids } from './did-search.js';
import type { RuleRow } from './rule-engine.js';
import { ruleObject } from './rules.js';
import type { Reply } from './http.js';
import { streamReply } from './http.js';
import type { Route } from './router.js';
import { STREAM_ONLY } from './router.js';

const didOf = (ctx: RequestContext): { scope: string; name: string } =>
  ({ scope: ctx.params.scope as string, name: ctx.params.name as string });

const guidOf = (d: DidRow): string | null => (d.guid ? d.guid.toUpperCase() : null);
const events = (d: DidRow): unknown => (JSON.parse(d.meta) as JsonObject).events ?? null;

/** core/did.py list_files: the file itself, or every file below (datasets' contents, depth first from the last child). */
export function filesOf(db: Db, top: DidRow, long: boolean): JsonObject[] {
  const line = (d: DidRow): JsonObject => {
    const base: JsonObject = { scope: d.scope, name: d.name, bytes: d.bytes, adler32: d.adler32, guid: guidOf(d), events: events(d) };
    if (long) base.lumiblocknr = (JSON.parse(d.meta) as JsonObject).lumiblocknr ?? null;
    return base;
  };
  if (top.did_type === 'FILE') return [line(top)];
  const out: JsonObject[] = [];
  // Rucio pops from the end of its stack: the last child container is walked first.
  const stack: DidRow[] = [top];
  const seen = new Set<string>();
  while (stack.length) {
    const d = stack.pop() as DidRow;
    const key = `${d.scope}:${d.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const kids = children(db, d.scope, d.name);
    if (d.did_type === 'DATASET') out.push(...kids.filter((k) => k.did_type === 'FILE').map(line));
    else stack.push(...kids.filter((k) => k.did_type !== 'FILE'));
  }
  return out;
}

function listFiles(ctx: RequestContext): Reply {
  const { scope, name } = didOf(ctx);
  return streamReply(filesOf(ctx.cat.db, requireDid(ctx.cat.db, scope, name), ctx.query.has('long')));
}

/** list_parent_dids: {scope, name, type} of each collection the DID is attached to; an unknown DID has none. */
function listParents(ctx: RequestContext): Reply {
  const { scope, name } = didOf(ctx);
  const rows = ctx.cat.db.prepare(`SELECT d.scope, d.name, d.did_type FROM contents c JOIN dids d ON d.scope = c.scope AND d.name = c.name
                                   WHERE c.child_scope = ? AND c.child_name = ? ORDER BY c.rowid`).all(scope, name) as
    { scope: string; name: string; did_type: string }[];
  return streamReply(rows.map((r) => ({ scope: r.scope, name: r.name, type: r.did_type })));
}

/** list_associated_rules_for_file (core/rule.py): the rules holding a lock on this file, each with its DID's bytes. */
function associatedRules(ctx: RequestContext): Reply {
  const { scope, name } = didOf(ctx);
  requireDid(ctx.cat.db, scope, name);
  const rules = ctx.cat.db.prepare(`SELECT DISTINCT r.* FROM rules r JOIN locks l ON l.rule_id = r.id
                                    WHERE l.scope = ? AND l.name = ? ORDER BY r.created_at, r.rowid`).all(scope, name) as RuleRow[];
  return streamReply(rules.map((r) => ({ ...ruleObject(ctx.cat.db, r), bytes: findDid(ctx.cat.db, r.scope, r.name)?.bytes ?? null })));
}

export const didListingRoutes: Route[] = [
  { method: 'GET', pattern: '/dids/*did/associated_rules', handler: associatedRules, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/dids/:scope/dids/search', handler: searchDids, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/dids/*did/files', handler: listFiles, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/dids/*did/parents', handler: listParents, accept: STREAM_ONLY },
];
