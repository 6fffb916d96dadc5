// /dids: collections, metadata, attach/detach, content and rules of a DID.
import type { Caller, Catalogue, JsonObject, RequestContext } from './context.js';
import { asBool, jsonObject, param } from './context.js';
import type { DidKey, DidRow } from './did-store.js';
import { attachDids, children, detachDids, findDid, requireDid, requireScope, resolveBytesLength } from './did-store.js';
import { didColumnMeta, setDidMeta } from './did-meta.js';
import { queueReEvaluation } from './judge-evaluator.js';
import { RucioError, accessDenied } from './errors.js';
import { rucioDate } from './format.js';
import type { Reply } from './http.js';
import { created, emptyOk, jsonReply, streamReply } from './http.js';
import { registerReplicas } from './replicas.js';
import type { Route } from './router.js';
import { JSON_ONLY, STREAM_ONLY } from './router.js';
import { createRule, ruleOptions } from './rule-create.js';
import type { RuleRow } from './rule-engine.js';
import { listedRule } from './rules.js';
import { DID, DIDS, validateSchema } from './schema.js';

const didOf = (ctx: RequestContext): DidKey => ({ scope: ctx.params.scope as string, name: ctx.params.name as string });

export function mayWriteScope(cat: Catalogue, caller: Caller, scope: string): boolean {
  if (caller.admin) return true;
  const row = cat.db.prepare('SELECT account FROM scopes WHERE scope = ?').get(scope) as { account: string } | undefined;
  return row?.account === caller.account;
}

function didList(v: unknown): DidKey[] {
  return (Array.isArray(v) ? v : []).map((d: Record<string, unknown>) => ({ scope: String(d.scope), name: String(d.name) }));
}

/** Attaches children (registering them as replicas first when an RSE is given) and queues the parent for the judge-evaluator. */
export function attachContent(ctx: RequestContext, parent: DidRow, dids: unknown, rse: unknown, ignoreDuplicate = false): void {
  if (typeof rse === 'string' && Array.isArray(dids)) registerReplicas(ctx.cat, ctx.caller, rse, dids, false, true);
  attachDids(ctx.cat.db, parent, didList(dids), ctx.cat.now(), ignoreDuplicate);
  queueReEvaluation(ctx.cat, parent.scope, parent.name, 'ATTACH');
}

function addDid(ctx: RequestContext): Reply {
  const { scope, name } = didOf(ctx);
  const body = jsonObject(ctx.body);
  const type = String(param(body, 'type')).toUpperCase();
  validateSchema('did', DID, { name, type, scope }, 400);
  if (Array.isArray(body.dids) && body.dids.length) validateSchema('dids', DIDS, body.dids, 400);
  if (!mayWriteScope(ctx.cat, ctx.caller, scope)) {
    throw accessDenied(`Account ${ctx.caller.account} can not add data identifier to scope ${scope}`);
  }
  if (type !== 'DATASET' && type !== 'CONTAINER') {
    throw new RucioError(409, 'UnsupportedOperation', 'Only collection (dataset/container) can be registered.');
  }
  // add_did takes the issuer as owner; only the bulk form reads an 'account' per DID.
  insertCollection(ctx, scope, name, type, { ...body, account: undefined });
  return created();
}

/** core/did.py add_did(s) after the checks: the row, its metadata, its rules, then its content. */
export function insertCollection(ctx: RequestContext, scope: string, name: string, type: string, body: JsonObject): void {
  requireScope(ctx.cat.db, scope);
  if (findDid(ctx.cat.db, scope, name)) throw new RucioError(409, 'DataIdentifierAlreadyExists', 'Data Identifier already exists!');
  const now = ctx.cat.now();
  const lifetime = typeof body.lifetime === 'number' ? body.lifetime : null;
  const statuses = (body.statuses ?? {}) as JsonObject;
  ctx.cat.db.prepare(`INSERT INTO dids (scope, name, did_type, account, is_open, monotonic, expired_at, created_at, updated_at)
                      VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)`)
    .run(scope, name, type, typeof body.account === 'string' ? body.account : ctx.caller.account,
      asBool(statuses.monotonic, false) ? 1 : 0, lifetime === null ? null : now + lifetime * 1000, now, now);
  const did = requireDid(ctx.cat.db, scope, name);
  for (const [key, value] of Object.entries((body.meta ?? {}) as JsonObject)) setDidMeta(ctx.cat, did, key, value);
  for (const rule of Array.isArray(body.rules) ? (body.rules as JsonObject[]) : []) {
    if (!('account' in rule)) throw new RucioError(500, 'KeyError', "'account'");
    createRule(ctx.cat, { scope, name }, ruleOptions(ctx.caller, { ...rule, dids: [{ scope, name }] }));
  }
  if (Array.isArray(body.dids) && body.dids.length) attachContent(ctx, did, body.dids, body.rse);
}

function getDid(ctx: RequestContext): Reply {
  const { scope, name } = didOf(ctx);
  const did = requireDid(ctx.cat.db, scope, name);
  if (did.did_type === 'FILE') {
    return jsonReply({ scope, name, type: 'FILE', account: did.account, bytes: did.bytes, length: 1, md5: did.md5, adler32: did.adler32 });
  }
  // DIDs.get (flaskapi/v1/dids.py): dynamic_depth=FILE|DATASET, or a bare 'dynamic', resolves sizes now;
  // otherwise the stored values, which an open dataset does not have yet (core/did.py get_did).
  const asked = ctx.query.get('dynamic_depth')?.toUpperCase();
  const depth = asked === 'FILE' || asked === 'DATASET' ? asked : asked === undefined && ctx.query.has('dynamic') ? 'FILE' : null;
  const size = depth ? resolveBytesLength(ctx.cat.db, did, depth) : { bytes: did.bytes, length: did.length };
  return jsonReply({
    scope, name, type: did.did_type, account: did.account, open: !!did.is_open, monotonic: !!did.monotonic,
    expired_at: rucioDate(did.expired_at), length: size.length, bytes: size.bytes,
  });
}

function getMeta(ctx: RequestContext): Reply {
  const { scope, name } = didOf(ctx);
  const did = requireDid(ctx.cat.db, scope, name);
  const plugin = (ctx.query.get('plugin') ?? 'DID_COLUMN').toUpperCase();
  const columns = didColumnMeta(ctx.cat.db, did);
  const custom = Object.fromEntries(Object.entries(JSON.parse(did.meta) as JsonObject).filter(([k]) => !(k in columns)));
  if (plugin === 'JSON') return jsonReply(custom);
  if (plugin === 'ALL') return jsonReply({ ...columns, ...custom });
  if (plugin !== 'DID_COLUMN') throw new RucioError(400, 'UnsupportedMetadataPlugin', `Metadata plugin ${plugin} is not supported`);
  return jsonReply(columns);
}

/** RESERVED_KEYS (lib/rucio/common/constants.py): gateway/did.py refuses to set these as metadata. */
export const RESERVED_KEYS = new Set(['scope', 'name', 'account', 'did_type', 'is_open', 'monotonic', 'obsolete', 'complete', 'availability',
  'suppressed', 'bytes', 'length', 'md5', 'adler32', 'rule_evaluation_action', 'rule_evaluation_required', 'expired_at', 'deleted_at',
  'created_at', 'updated_at']);

/**
 * gateway/did.py set_metadata(_bulk) before the core looks the DID up: reserved keys, then perm_set_metadata(_bulk)
 * (core/permission/generic.py: root, an admin or the scope's owner). The view catches neither AccessDenied: 500.
 */
function checkMetaAllowed(ctx: RequestContext, { scope, name }: DidKey, keys: string[], bulk: boolean): void {
  const issuer = ctx.caller.account;
  const reserved = keys.find((k) => RESERVED_KEYS.has(k));
  if (reserved !== undefined) {
    throw accessDenied(bulk
      ? `Account ${issuer} can not change the value of the metadata key ${reserved} to data identifier ${scope}:${name}`
      : `Account ${issuer} can not change this metadata value to data identifier ${scope}:${name}`, 500);
  }
  if (!mayWriteScope(ctx.cat, ctx.caller, scope)) {
    throw accessDenied(`Account ${issuer} can not add metadata to data identifier ${scope}:${name}. `, 500);
  }
}

function setMetaKey(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const value = param(body, 'value');
  asBool(body.recursive, false);
  const key = ctx.params.key as string;
  checkMetaAllowed(ctx, didOf(ctx), [key], false);
  const { scope, name } = didOf(ctx);
  setDidMeta(ctx.cat, requireDid(ctx.cat.db, scope, name), key, value);
  return created();
}

function setMetaBulk(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const meta = param(body, 'meta') as JsonObject;
  asBool(body.recursive, false);
  checkMetaAllowed(ctx, didOf(ctx), Object.keys(meta ?? {}), true);
  const { scope, name } = didOf(ctx);
  const did = requireDid(ctx.cat.db, scope, name);
  for (const [key, value] of Object.entries(meta ?? {})) setDidMeta(ctx.cat, did, key, value);
  return created();
}

function attach(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const dids = param(body, 'dids');
  if (Array.isArray(dids)) validateSchema('dids', DIDS, dids, 400);
  const { scope, name } = didOf(ctx);
  const parent = requireDid(ctx.cat.db, scope, name);
  if (!mayWriteScope(ctx.cat, ctx.caller, scope) && parent.account !== ctx.caller.account) {
    throw accessDenied(`Account ${ctx.caller.account} can not add data identifiers to ${scope}:${name}`);
  }
  attachContent(ctx, parent, dids, body.rse);
  return created();
}

function detach(ctx: RequestContext): Reply {
  const dids = didList(param(jsonObject(ctx.body), 'dids'));
  const { scope, name } = didOf(ctx);
  const parent = requireDid(ctx.cat.db, scope, name);
  if (!mayWriteScope(ctx.cat, ctx.caller, scope) && parent.account !== ctx.caller.account) {
    throw accessDenied(`Account ${ctx.caller.account} can not detach data identifiers from ${scope}:${name}`);
  }
  detachDids(ctx.cat.db, parent, dids, ctx.cat.now());
  queueReEvaluation(ctx.cat, scope, name, 'DETACH');
  return emptyOk();
}

function listContent(ctx: RequestContext): Reply {
  const { scope, name } = didOf(ctx);
  requireDid(ctx.cat.db, scope, name);
  return streamReply(children(ctx.cat.db, scope, name).map((c) => ({
    scope: c.scope, name: c.name, type: c.did_type, bytes: c.bytes, adler32: c.adler32, md5: c.md5,
  })));
}

function didRules(ctx: RequestContext): Reply {
  const { scope, name } = didOf(ctx);
  requireDid(ctx.cat.db, scope, name);
  const rules = ctx.cat.db.prepare('SELECT * FROM rules WHERE scope = ? AND name = ? ORDER BY created_at, rowid').all(scope, name) as RuleRow[];
  return streamReply(rules.map((r) => listedRule(ctx.cat.db, r)));
}

function setStatus(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const { scope, name } = didOf(ctx);
  const did = requireDid(ctx.cat.db, scope, name);
  for (const [key, value] of Object.entries(body)) {
    if (key !== 'open') throw new RucioError(409, 'UnsupportedStatus', `The status ${key} is not a valid data identifier status.`);
    const open = asBool(value, true);
    if (open && !did.is_open && !ctx.caller.admin) throw accessDenied(`Account ${ctx.caller.account} can not reopen ${scope}:${name}`);
    const now = ctx.cat.now();
    ctx.cat.db.prepare('UPDATE dids SET is_open = ?, closed_at = ?, updated_at = ? WHERE scope = ? AND name = ?')
      .run(open ? 1 : 0, open ? null : now, now, scope, name);
    // core/did.py set_status: closing stores the resolved length and bytes (depth FILE).
    if (!open && did.is_open && did.did_type !== 'FILE') {
      const size = resolveBytesLength(ctx.cat.db, did, 'FILE');
      ctx.cat.db.prepare('UPDATE dids SET bytes = ?, length = ? WHERE scope = ? AND name = ?').run(size.bytes, size.length, scope, name);
    }
  }
  return emptyOk();
}

export const didRoutes: Route[] = [
  { method: 'GET', pattern: '/dids/*did/meta', handler: getMeta, accept: JSON_ONLY },
  { method: 'POST', pattern: '/dids/*did/meta', handler: setMetaBulk },
  { method: 'POST', pattern: '/dids/*did/meta/:key', handler: setMetaKey },
  { method: 'GET', pattern: '/dids/*did/dids', handler: listContent, accept: STREAM_ONLY },
  { method: 'POST', pattern: '/dids/*did/dids', handler: attach },
  { method: 'DELETE', pattern: '/dids/*did/dids', handler: detach },
  { method: 'GET', pattern: '/dids/*did/rules', handler: didRules, accept: STREAM_ONLY },
  { method: 'PUT', pattern: '/dids/*did/status', handler: setStatus },
  // The blueprint maps GET on /<path:scope_name>/status to DIDs.get as well.
  { method: 'GET', pattern: '/dids/*did/status', handler: getDid, accept: JSON_ONLY },
  { method: 'GET', pattern: '/dids/*did', handler: getDid, accept: JSON_ONLY },
  { method: 'POST', pattern: '/dids/*did', handler: addDid },
];
