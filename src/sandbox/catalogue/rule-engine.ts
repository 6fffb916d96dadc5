// What the judge and conveyor do to rules: one lock per file and chosen RSE,
// a copy queued where no replica is, rule state recomputed from its locks.
import { queueCounterDelta } from './account-counters.js';
import type { Catalogue } from './context.js';
import type { Db } from './db.js';
import type { DidKey, ResolvedFile } from './did-store.js';
import { findDid, parents, resolveFiles } from './did-store.js';
import { RucioError } from './errors.js';
import type { ReplicaState } from './replica-store.js';
import { lfnPath } from './lfn2pfn.js';
import { findReplica, insertReplica, setReplicaState } from './replica-store.js';
import { cancelRequestDid, queueTransfer } from './requests.js';
import { lfn2pfnAlgorithm, rseAttributes, rseById } from './rse-store.js';

export type RuleState = 'OK' | 'REPLICATING' | 'STUCK' | 'SUSPENDED' | 'INJECT';
export type LockState = 'OK' | 'REPLICATING' | 'STUCK';

export interface RuleRow {
  id: string;
  account: string;
  scope: string;
  name: string;
  did_type: string;
  state: RuleState;
  error: string | null;
  rse_expression: string;
  rse_ids: string;
  copies: number;
  expires_at: number | null;
  weight: string | null;
  locked: number;
  grouping: string;
  activity: string;
  notification: string;
  source_replica_expression: string | null;
  purge_replicas: number;
  ignore_availability: number;
  ignore_account_limit: number;
  priority: number;
  comments: string | null;
  meta: string | null;
  child_rule_id: string | null;
  subscription_id: string | null;
  split_container: number;
  eol_at: number | null;
  stuck_at: number | null;
  created_at: number;
  updated_at: number;
}

export function findRule(db: Db, id: string): RuleRow | undefined {
  return db.prepare('SELECT * FROM rules WHERE id = ?').get(id) as RuleRow | undefined;
}

export function requireRule(db: Db, id: string): RuleRow {
  const rule = findRule(db, id);
  if (!rule) throw new RucioError(404, 'RuleNotFound', `No rule with the id ${id} found`);
  return rule;
}

export function lockCounts(db: Db, ruleId: string): Record<LockState, number> {
  const rows = db.prepare('SELECT state, COUNT(*) AS n FROM locks WHERE rule_id = ? GROUP BY state').all(ruleId) as
    { state: LockState; n: number }[];
  const counts: Record<LockState, number> = { OK: 0, REPLICATING: 0, STUCK: 0 };
  for (const r of rows) counts[r.state] = r.n;
  return counts;
}

/** OK when every lock is OK, STUCK when one is stuck, REPLICATING otherwise; SUSPENDED stays until changed. */
export function refreshRuleState(cat: Catalogue, ruleId: string, error: string | null = null): void {
  const rule = findRule(cat.db, ruleId);
  if (!rule || rule.state === 'SUSPENDED' || rule.state === 'INJECT') return;
  const c = lockCounts(cat.db, ruleId);
  const state: RuleState = c.STUCK > 0 ? 'STUCK' : c.REPLICATING > 0 ? 'REPLICATING' : 'OK';
  const now = cat.now();
  const stuckAt = state === 'STUCK' ? (rule.stuck_at ?? now) : null;
  const newError = state === 'STUCK' ? (error ?? rule.error) : null;
  if (state === rule.state && newError === rule.error) return;
  cat.db.prepare('UPDATE rules SET state = ?, error = ?, stuck_at = ?, updated_at = ? WHERE id = ?')
    .run(state, newError, stuckAt, now, ruleId);
}

/** Creates the missing locks of a rule for these files on each of its RSEs. */
export function lockFiles(cat: Catalogue, rule: RuleRow, files: ResolvedFile[]): void {
  const now = cat.now();
  const rseIds = JSON.parse(rule.rse_ids) as string[];
  const hasLock = cat.db.prepare('SELECT 1 FROM locks WHERE rule_id = ? AND scope = ? AND name = ? AND rse_id = ?');
  const addLock = cat.db.prepare(`INSERT INTO locks (rule_id, scope, name, rse_id, state, bytes, account, created_at)
                                  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  for (const f of files) {
    for (const rseId of rseIds) {
      if (hasLock.get(rule.id, f.scope, f.name, rseId)) continue;
      const replica = findReplica(cat.db, rseId, f.scope, f.name);
      let state: LockState = 'REPLICATING';
      if (replica?.state === 'A') state = 'OK';
      else if (replica?.state !== 'C') {
        if (replica) setReplicaState(cat.db, rseId, f.scope, f.name, 'C', now);
        else {
          const rse = rseById(cat.db, rseId);
          const path = rse.deterministic ? null : lfnPath(f.scope, f.name, lfn2pfnAlgorithm(rseAttributes(cat.db, rse.id)));
          insertReplica(cat.db, { rseId, scope: f.scope, name: f.name, bytes: f.bytes, md5: f.md5, adler32: f.adler32, state: 'C', path }, now, null);
        }
        queueTransfer(cat.db, {
          ruleId: rule.id, file: f, destRseId: rseId, account: rule.account, activity: rule.activity,
          priority: rule.priority, sourceReplicaExpression: rule.source_replica_expression,
          lifetime: rule.expires_at === null ? null : Math.round((rule.expires_at - now) / 1000),
        }, now);
      }
      addLock.run(rule.id, f.scope, f.name, rseId, state, f.bytes, rule.account, now);
      // core/rule.py: each lock created is counted for the rule's account (account_counter.increase).
      queueCounterDelta(cat, rule.account, rseId, 1, f.bytes);
      cat.db.prepare('UPDATE replicas SET tombstone = NULL WHERE rse_id = ? AND scope = ? AND name = ?').run(rseId, f.scope, f.name);
    }
  }
  refreshRuleState(cat, rule.id);
}

/**
 * Removes locks. As core/rule.py __delete_lock_and_update_replica: a replica left without locks gets
 * the epoch as tombstone when the rule purges or it is UNAVAILABLE, else its creation time; a copy
 * still in flight becomes UNAVAILABLE with the epoch.
 */
export function releaseLocks(cat: Catalogue, ruleId: string, keep: (lock: DidKey) => boolean = () => false): void {
  const rule = findRule(cat.db, ruleId);
  const locks = cat.db.prepare('SELECT scope, name, rse_id, state, bytes, account FROM locks WHERE rule_id = ?').all(ruleId) as
    (DidKey & { rse_id: string; state: LockState; bytes: number; account: string })[];
  for (const l of locks) {
    if (keep(l)) continue;
    cat.db.prepare('DELETE FROM locks WHERE rule_id = ? AND scope = ? AND name = ? AND rse_id = ?').run(ruleId, l.scope, l.name, l.rse_id);
    queueCounterDelta(cat, l.account, l.rse_id, -1, -l.bytes);
    const others = cat.db.prepare('SELECT 1 FROM locks WHERE scope = ? AND name = ? AND rse_id = ?').get(l.scope, l.name, l.rse_id);
    if (others) continue;
    // core/rule.py delete_rule: the last lock on a copy still in flight cancels its transfer.
    if (l.state === 'REPLICATING') cancelRequestDid(cat, l.scope, l.name, l.rse_id);
    const replica = findReplica(cat.db, l.rse_id, l.scope, l.name);
    if (!replica) continue;
    let tombstone = rule?.purge_replicas || replica.state === 'U' ? 0 : replica.created_at;
    let state = replica.state;
    if (l.state === 'REPLICATING') {
      state = 'U';
      tombstone = 0;
    }
    cat.db.prepare('UPDATE replicas SET tombstone = ?, state = ? WHERE rse_id = ? AND scope = ? AND name = ?')
      .run(tombstone, state, l.rse_id, l.scope, l.name);
  }
}

/** Brings a rule's locks in line with the current content of its DID. */
export function reconcileRule(cat: Catalogue, rule: RuleRow): void {
  const did = findDid(cat.db, rule.scope, rule.name);
  const files = did ? resolveFiles(cat.db, did) : [];
  const wanted = new Set(files.map((f) => `${f.scope}:${f.name}`));
  releaseLocks(cat, rule.id, (l) => wanted.has(`${l.scope}:${l.name}`));
  lockFiles(cat, rule, files);
}

/** Re-evaluates the rules on a DID and on every collection above it (after attach/detach). */
export function reconcileRulesAbove(cat: Catalogue, scope: string, name: string): void {
  const seen = new Set<string>();
  const queue: DidKey[] = [{ scope, name }];
  while (queue.length) {
    const d = queue.shift() as DidKey;
    const key = `${d.scope}:${d.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // A rule still waiting for the judge-injector has no locks to bring in line.
    const rules = cat.db.prepare("SELECT * FROM rules WHERE scope = ? AND name = ? AND state != 'INJECT'").all(d.scope, d.name) as RuleRow[];
    for (const r of rules) reconcileRule(cat, r);
    queue.push(...parents(cat.db, d.scope, d.name));
  }
}

export function deleteRule(cat: Catalogue, ruleId: string): void {
  releaseLocks(cat, ruleId);
  cat.db.prepare('DELETE FROM rules WHERE id = ?').run(ruleId);
}

/**
 * A replica changed state: AVAILABLE satisfies its locks, UNAVAILABLE makes waiting locks STUCK.
 * Active requests for it are finished accordingly.
 */
export function replicaStateChanged(cat: Catalogue, rseId: string, scope: string, name: string, state: ReplicaState, error: string | null): void {
  const now = cat.now();
  let lockState: LockState | null = null;
  if (state === 'A') lockState = 'OK';
  // core/replica.py update_replicas_states: UNAVAILABLE fails waiting locks; BAD leaves locks to the necromancer.
  else if (state === 'U') lockState = 'STUCK';
  if (lockState === null) return;
  const requestState = lockState === 'OK' ? 'DONE' : 'FAILED';
  cat.db.prepare(`UPDATE requests SET state = ?, err_msg = ?, updated_at = ?, transferred_at = CASE WHEN ? = 'DONE' THEN ? ELSE transferred_at END
                  WHERE scope = ? AND name = ? AND dest_rse_id = ? AND state IN ('QUEUED', 'SUBMITTED')`)
    .run(requestState, lockState === 'OK' ? null : error, now, requestState, now, scope, name, rseId);
  const ruleIds = (cat.db.prepare('SELECT DISTINCT rule_id FROM locks WHERE scope = ? AND name = ? AND rse_id = ?')
    .all(scope, name, rseId) as { rule_id: string }[]).map((r) => r.rule_id);
  const from = lockState === 'OK' ? "('REPLICATING', 'STUCK')" : "('REPLICATING')";
  cat.db.prepare(`UPDATE locks SET state = ? WHERE scope = ? AND name = ? AND rse_id = ? AND state IN ${from}`)
    .run(lockState, scope, name, rseId);
  for (const id of ruleIds) refreshRuleState(cat, id, error);
}

/**
 * The judge-injector (core/rule.py inject_rule): rules created with asynchronous=true wait in INJECT
 * with no locks until this pass applies them.
 */
export function injectRules(cat: Catalogue, now: number): string[] {
  const rules = cat.db.prepare("SELECT * FROM rules WHERE state = 'INJECT' AND created_at <= ? ORDER BY created_at, rowid").all(now) as RuleRow[];
  for (const rule of rules) {
    cat.db.prepare("UPDATE rules SET state = 'REPLICATING', updated_at = ? WHERE id = ?").run(now, rule.id);
    const did = findDid(cat.db, rule.scope, rule.name);
    lockFiles(cat, { ...rule, state: 'REPLICATING' }, did ? resolveFiles(cat.db, did) : []);
  }
  return rules.map((r) => r.id);
}
