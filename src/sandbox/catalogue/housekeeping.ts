// The daemons' share of the catalogue: judge-injector (asynchronous rules), judge-cleaner (expired rules),
// undertaker (expired DIDs) and the reaper's view of deletable replicas.
import type { Catalogue } from './context.js';
import type { DidKey } from './did-store.js';
import { parents } from './did-store.js';
import { archiveContentOf, archiveParentsOf } from './did-history.js';
import { archiveDeletedDid } from './did-resurrect.js';
import { deleteRule, injectRules, reconcileRulesAbove } from './rule-engine.js';

export interface ExpireResult {
  /** Ids of the rules removed because their expires_at had passed. */
  rules: string[];
  /** 'scope:name' of the collections removed because their expired_at had passed (expired files stay: see expireDids). */
  dids: string[];
  /** Ids of the asynchronous rules the judge-injector applied. */
  injected: string[];
}

function expireRules(cat: Catalogue, now: number): string[] {
  const ids = (cat.db.prepare('SELECT id FROM rules WHERE expires_at IS NOT NULL AND expires_at <= ? AND locked = 0 ORDER BY expires_at')
    .all(now) as { id: string }[]).map((r) => r.id);
  for (const id of ids) deleteRule(cat, id);
  return ids;
}

function expireDids(cat: Catalogue, now: number): string[] {
  const expired = cat.db.prepare('SELECT scope, name, did_type FROM dids WHERE expired_at IS NOT NULL AND expired_at <= ? ORDER BY expired_at')
    .all(now) as (DidKey & { did_type: string })[];
  const removed: string[] = [];
  for (const d of expired) {
    const hasLockedRule = cat.db.prepare('SELECT 1 FROM rules WHERE scope = ? AND name = ? AND locked = 1').get(d.scope, d.name);
    if (hasLockedRule) continue;
    const ruleIds = cat.db.prepare('SELECT id FROM rules WHERE scope = ? AND name = ?').all(d.scope, d.name) as { id: string }[];
    for (const r of ruleIds) deleteRule(cat, r.id);
    if (d.did_type === 'FILE') {
      // An expired file loses its rules and its lifetime, nothing else (core/did.py delete_dids: file
      // DIDs get expired_at = None). It stays in its datasets; its replicas keep the tombstones the
      // rule deletion gave them, and the reaper removes the DID with its last replica.
      cat.db.prepare('UPDATE dids SET expired_at = NULL WHERE scope = ? AND name = ?').run(d.scope, d.name);
      continue;
    }
    const above = parents(cat.db, d.scope, d.name);
    // delete_dids detaches the DID from its parents (detach_dids archives that), archives its own
    // content only with archive_content, forgets its followers, and keeps the row only with archive_dids.
    archiveParentsOf(cat.db, d, now);
    if (cat.deletion?.archiveContent) archiveContentOf(cat.db, d, now);
    cat.db.prepare('DELETE FROM contents WHERE (scope = ? AND name = ?) OR (child_scope = ? AND child_name = ?)')
      .run(d.scope, d.name, d.scope, d.name);
    cat.db.prepare('DELETE FROM dids_followed WHERE scope = ? AND name = ?').run(d.scope, d.name);
    archiveDeletedDid(cat, d);
    cat.db.prepare('DELETE FROM dids WHERE scope = ? AND name = ?').run(d.scope, d.name);
    for (const p of above) reconcileRulesAbove(cat, p.scope, p.name);
    removed.push(`${d.scope}:${d.name}`);
  }
  return removed;
}

/**
 * What Rucio's delete_replicas does after the reaper removed a replica row (core/replica.py
 * __cleanup_after_replica_deletion): a file with no replica left leaves its parent collections
 * and the DID table. (The sandbox has no LOST files and no archives, which Rucio keeps.)
 */
export function cleanupAfterReplicaDeletion(cat: Catalogue, scope: string, name: string): void {
  if (cat.db.prepare('SELECT 1 FROM replicas WHERE scope = ? AND name = ?').get(scope, name)) return;
  // The file's content rows go to contents_history (always), the DID to deleted_dids (with archive_dids).
  archiveParentsOf(cat.db, { scope, name }, cat.now());
  cat.db.prepare('DELETE FROM contents WHERE child_scope = ? AND child_name = ?').run(scope, name);
  cat.db.prepare('DELETE FROM dids_followed WHERE scope = ? AND name = ?').run(scope, name);
  if (cat.db.prepare("SELECT 1 FROM dids WHERE scope = ? AND name = ? AND did_type = 'FILE'").get(scope, name)) archiveDeletedDid(cat, { scope, name });
  cat.db.prepare("DELETE FROM dids WHERE scope = ? AND name = ? AND did_type = 'FILE'").run(scope, name);
}

/** One pass of judge-cleaner and undertaker at the catalogue's current time; also drops expired tokens. */
export function expire(cat: Catalogue): ExpireResult {
  const now = cat.now();
  return cat.db.transaction(() => {
    cat.db.prepare('DELETE FROM tokens WHERE expires_at <= ?').run(now);
    const injected = injectRules(cat, now);
    const rules = expireRules(cat, now);
    const dids = expireDids(cat, now);
    return { rules, dids, injected };
  })();
}
