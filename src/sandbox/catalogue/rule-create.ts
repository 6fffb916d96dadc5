// Creating a replication rule: resolve the expression, keep writable RSEs with
// quota, check the DID, pick `copies` RSEs (those already holding the data first), lock.
import { randomUUID } from 'node:crypto';
import { accountUsage, allAccountUsages } from './account-counters.js';
import type { GlobalLimit } from './account-global-limits.js';
import { globalLimits } from './account-global-limits.js';
import { requireAccount } from './accounts.js';
import type { Caller, Catalogue, JsonObject } from './context.js';
import { asBool } from './context.js';
import type { Db } from './db.js';
import type { DidKey } from './did-store.js';
import { findDid, resolveFiles } from './did-store.js';
import { RucioError, accessDenied } from './errors.js';
import type { RseFacts } from './rse-expression.js';
import { evaluateExpression } from './rse-expression.js';
import { rseUniverse } from './rses.js';
import { lockFiles, requireRule } from './rule-engine.js';
import { RULE, validateSchema } from './schema.js';

const NOTIFICATION: Record<string, string> = { Y: 'YES', N: 'NO', C: 'CLOSE', P: 'PROGRESS' };

export interface RuleOptions {
  account: string;
  copies: number;
  rseExpression: string;
  grouping: string;
  lifetime: number | null;
  weight: string | null;
  locked: boolean;
  sourceReplicaExpression: string | null;
  activity: string;
  notify: string | null;
  purgeReplicas: boolean;
  ignoreAvailability: boolean;
  ignoreAccountLimit: boolean;
  comment: string | null;
  priority: number;
  meta: string | null;
  /** Left in INJECT for the judge-injector (core/rule.py add_rule). */
  asynchronous: boolean;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Validates a rule dictionary (POST /rules/ body or an entry of POST /dids rules) and applies defaults. */
export function ruleOptions(caller: Caller, body: JsonObject): RuleOptions {
  const checked = Object.fromEntries(Object.entries(body).filter(([k, v]) => !(k === 'account' && v === null)));
  validateSchema('rule', RULE, checked, 409);
  const o: RuleOptions = {
    account: str(body.account) ?? caller.account,
    copies: body.copies as number,
    rseExpression: body.rse_expression as string,
    grouping: str(body.grouping) ?? 'DATASET',
    lifetime: typeof body.lifetime === 'number' ? body.lifetime : null,
    weight: str(body.weight),
    locked: asBool(body.locked, false),
    sourceReplicaExpression: str(body.source_replica_expression),
    activity: str(body.activity) ?? 'User Subscriptions',
    notify: str(body.notify),
    purgeReplicas: asBool(body.purge_replicas, false),
    ignoreAvailability: asBool(body.ignore_availability, false),
    // AllRule.post (flaskapi/v1/rules.py) does not pass ignore_account_limit on: a body cannot set it.
    ignoreAccountLimit: false,
    comment: str(body.comment),
    priority: typeof body.priority === 'number' ? body.priority : 3,
    meta: str(body.meta),
    asynchronous: asBool(body.asynchronous, false),
  };
  // perm_add_rule (lib/rucio/core/permission/generic.py): one's own account and not locked, or root/admin.
  const mayAct = caller.admin || (o.account === caller.account && !o.locked);
  if (!mayAct) throw accessDenied(`Account ${caller.account} can not add replication rule`, 500);
  if (o.copies < 1) throw new RucioError(409, 'InvalidReplicationRule', 'The copies value must be a positive integer');
  return o;
}

/** Local quota left (RSESelector.__init__): the limit less the account counter; no limit is no quota. */
function quotaLeft(db: Db, account: string, rseId: string): number {
  const limit = db.prepare('SELECT bytes FROM account_limits WHERE account = ? AND rse_id = ?').get(account, rseId) as
    { bytes: number } | undefined;
  if (!limit) return 0;
  if (limit.bytes < 0) return Infinity;
  return limit.bytes - accountUsage(db, account, rseId).bytes;
}

const insufficientQuota = (): RucioError =>
  new RucioError(409, 'InsufficientAccountLimit', "There is insufficient quota on any of the target RSE's to fulfill the operation.");

function candidateRses(cat: Catalogue, o: RuleOptions): Candidate[] {
  let rses: RseFacts[];
  try {
    rses = evaluateExpression(o.rseExpression, rseUniverse(cat.db, cat.vo));
  } catch (e) {
    if (e instanceof RucioError) throw new RucioError(409, e.exceptionClass, e.message);
    throw e;
  }
  if (!o.ignoreAvailability) {
    rses = rses.filter((r) => r.columns.availability_write === true);
    if (rses.length === 0) throw new RucioError(500, 'RSEWriteBlocked', 'RSE excluded due to write blacklisting.');
  }
  if (rses.length < o.copies) {
    throw new RucioError(409, 'InsufficientTargetRSEs',
      `Target RSE set not sufficient for number of copies. (${o.copies} copies requested, RSE set size ${rses.length})`);
  }
  return withQuota(cat, o, rses);
}

export type Candidate = RseFacts & { quota: number; globalQuota: number[] };

/**
 * RSESelector.__init__ (core/rse_selector.py): accounts with the 'admin' attribute, ignore_account_limit and
 * RSEs with a 'mock' attribute are unlimited; otherwise an RSE needs local quota left and quota left under
 * every global limit whose expression resolves to it (its usage: the counters of all the RSEs it resolves to).
 */
function withQuota(cat: Catalogue, o: RuleOptions, rses: RseFacts[]): Candidate[] {
  const account = cat.db.prepare('SELECT admin FROM accounts WHERE name = ?').get(o.account) as { admin: number } | undefined;
  if (account?.admin || o.ignoreAccountLimit) return rses.map((r) => ({ ...r, quota: Infinity, globalQuota: [] }));
  let limits: GlobalLimit[];
  try {
    limits = globalLimits(cat, o.account);
  } catch (e) {
    // AllRule.post answers InvalidRSEExpression with 409, wherever parse_expression raised it.
    if (e instanceof RucioError) throw new RucioError(409, e.exceptionClass, e.message);
    throw e;
  }
  const usages = allAccountUsages(cat.db, o.account);
  const out: Candidate[] = [];
  for (const r of rses) {
    if ('mock' in r.attributes) {
      out.push({ ...r, quota: Infinity, globalQuota: [] });
      continue;
    }
    const quota = quotaLeft(cat.db, o.account, r.id);
    const globalQuota: number[] = [];
    let enough = true;
    for (const l of limits) {
      if (!l.rses.some((x) => x.id === r.id)) continue;
      const left = l.limit - l.rses.reduce((s, x) => s + (usages.get(x.id)?.bytes ?? 0), 0);
      if (left <= 0) {
        enough = false;
        break;
      }
      globalQuota.push(left);
    }
    if (quota > 0 && enough) out.push({ ...r, quota, globalQuota });
  }
  if (out.length < o.copies) throw insufficientQuota();
  return out;
}

/** Creates one rule on one DID and its locks; returns the rule id. */
export function createRule(cat: Catalogue, did: DidKey, o: RuleOptions): string {
  requireAccount(cat.db, o.account);
  const candidates = candidateRses(cat, o);
  const row = findDid(cat.db, did.scope, did.name);
  if (!row) throw new RucioError(404, 'DataIdentifierNotFound', `Data identifier ${did.scope}:${did.name} is not valid.`);
  const duplicate = cat.db
    .prepare('SELECT 1 FROM rules WHERE scope = ? AND name = ? AND account = ? AND rse_expression = ? AND copies = ?')
    .get(row.scope, row.name, o.account, o.rseExpression, o.copies);
  if (duplicate) {
    throw new RucioError(409, 'DuplicateRule',
      `A rule for ${row.scope}:${row.name} with account ${o.account}, RSE expression ${o.rseExpression} and ${o.copies} copies already exists`);
  }
  const files = resolveFiles(cat.db, row);
  const size = files.reduce((s, f) => s + f.bytes, 0);
  // RSESelector.select_rse: local quota must exceed the size, then each global quota left must reach it.
  const local = candidates.filter((r) => r.quota > size);
  if (local.length < o.copies) throw insufficientQuota();
  const fitting = local.filter((r) => r.globalQuota.every((left) => left >= size));
  if (fitting.length < o.copies) throw insufficientQuota();
  const present = cat.db.prepare(`SELECT COALESCE(SUM(bytes), 0) AS b FROM replicas WHERE rse_id = ? AND state = 'A'
                                  AND scope || ':' || name IN (SELECT value FROM json_each(?))`);
  const keys = JSON.stringify(files.map((f) => `${f.scope}:${f.name}`));
  const chosen = fitting
    .map((r) => ({ id: r.id, held: (present.get(r.id, keys) as { b: number }).b, tie: Math.random() }))
    .sort((a, b) => b.held - a.held || a.tie - b.tie)
    .slice(0, o.copies)
    .map((r) => r.id);

  const id = randomUUID().replace(/-/g, '');
  const now = cat.now();
  cat.db.prepare(`INSERT INTO rules (id, account, scope, name, did_type, state, rse_expression, rse_ids, copies, expires_at,
                  weight, locked, grouping, activity, notification, source_replica_expression, purge_replicas,
                  ignore_availability, ignore_account_limit, priority, comments, meta, created_at, updated_at)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(id, o.account, row.scope, row.name, row.did_type, o.asynchronous ? 'INJECT' : 'OK', o.rseExpression, JSON.stringify(chosen), o.copies,
      o.lifetime === null ? null : now + o.lifetime * 1000, o.weight, o.locked ? 1 : 0, o.grouping, o.activity,
      NOTIFICATION[o.notify ?? 'N'] ?? 'NO', o.sourceReplicaExpression, o.purgeReplicas ? 1 : 0,
      o.ignoreAvailability ? 1 : 0, o.ignoreAccountLimit ? 1 : 0, o.priority, o.comment, o.meta, now, now);
  // asynchronous: the rule answers INJECT with no locks until the judge-injector runs (expire()).
  if (!o.asynchronous) lockFiles(cat, requireRule(cat.db, id), files);
  return id;
}
