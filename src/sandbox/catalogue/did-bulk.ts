// The bulk DID views of lib/rucio/web/rest/flaskapi/v1/dids.py: POST /dids (BulkDIDS -> core/did.py
// add_dids) and POST /dids/attachments (Attachments -> core/did.py attach_dids_to_dids).
import type { JsonObject, RequestContext } from './context.js';
import { asBool, jsonObject, param } from './context.js';
import { attachContent, insertCollection, mayWriteScope } from './dids.js';
import { findDid } from './did-store.js';
import { RucioError, accessDenied } from './errors.js';
import type { Reply } from './http.js';
import { created } from './http.js';
import { requireRse } from './rse-store.js';
import type { Route } from './router.js';
import { JSON_ONLY } from './router.js';
import type { Schema } from './schema.js';
import { DIDS, NAME, SCOPE, validateSchema } from './schema.js';

/** ATTACHMENT/ATTACHMENTS of lib/rucio/common/schema/generic.py. */
const ATTACHMENT: Schema = {
  description: 'Attachment',
  type: 'object',
  properties: {
    scope: SCOPE, name: NAME,
    rse: { description: 'RSE name', type: ['string', 'null'], pattern: '^([A-Z0-9]+([_-][A-Z0-9]+)*)$' },
    dids: DIDS,
  },
  required: ['dids'],
  additionalProperties: false,
};
const ATTACHMENTS: Schema = { description: 'Array of attachments', type: 'array', items: ATTACHMENT, minItems: 1, maxItems: 1000 };

/** json_list(): the body must be a JSON list. */
export function jsonList(body: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new RucioError(400, 'ValueError', 'cannot decode json parameter list');
  }
  if (!Array.isArray(parsed)) throw new RucioError(400, 'TypeError', 'body must be a json list');
  return parsed;
}

/** perm_add_did for one entry: root/admin, or the scope's owner whose rules are all its own. */
function mayAdd(ctx: RequestContext, d: JsonObject): boolean {
  if (ctx.caller.admin) return true;
  const rules = Array.isArray(d.rules) ? (d.rules as JsonObject[]) : [];
  if (rules.some((r) => r.account !== ctx.caller.account)) return false;
  return mayWriteScope(ctx.cat, ctx.caller, String(d.scope)) || d.scope === 'mock';
}

/**
 * POST /dids: no schema check here (add_dids has none); RSEs are resolved and permission checked
 * for all entries first. ScopeNotFound is not among the view's exceptions, so it ends as a 500.
 */
function addDids(ctx: RequestContext): Reply {
  const dids = jsonList(ctx.body) as JsonObject[];
  for (const d of dids) if (typeof d.rse === 'string') requireRse(ctx.cat.db, d.rse, ctx.cat.vo);
  if (!dids.every((d) => mayAdd(ctx, d))) throw accessDenied(`Account ${ctx.caller.account} can not bulk add data identifier. `);
  for (const d of dids) {
    const type = String(d.type);
    if (type === 'FILE') throw new RucioError(409, 'UnsupportedOperation', 'Only collection (dataset/container) can be registered.');
    if (type !== 'DATASET' && type !== 'CONTAINER') throw new RucioError(500, 'KeyError', `'${type}'`);
    try {
      insertCollection(ctx, String(d.scope), String(d.name), type, d);
    } catch (e) {
      if (e instanceof RucioError && e.exceptionClass === 'ScopeNotFound') throw new RucioError(500, e.exceptionClass, e.message);
      throw e;
    }
  }
  return created();
}

/**
 * POST /dids/attachments: a list, or {attachments, ignore_duplicate}; validated against ATTACHMENTS
 * (InvalidObject is not caught by the view: 500); perm_attach_dids_to_dids wants every parent scope owned.
 */
function addAttachments(ctx: RequestContext): Reply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(ctx.body);
  } catch {
    throw new RucioError(400, 'ValueError', 'cannot decode json parameter dictionary or list');
  }
  let attachments: unknown;
  let ignoreDuplicate = false;
  if (Array.isArray(parsed)) attachments = parsed;
  else if (parsed !== null && typeof parsed === 'object') {
    const body = jsonObject(ctx.body);
    attachments = param(body, 'attachments');
    ignoreDuplicate = asBool(body.ignore_duplicate, false);
  } else throw new RucioError(400, 'TypeError', 'body must be a json dictionary or list');
  validateSchema('attachments', ATTACHMENTS, attachments, 500);
  const list = attachments as JsonObject[];
  for (const a of list) if (typeof a.rse === 'string') requireRse(ctx.cat.db, a.rse, ctx.cat.vo);
  if (!ctx.caller.admin && !list.every((a) => mayWriteScope(ctx.cat, ctx.caller, String(a.scope)))) {
    throw accessDenied(`Account ${ctx.caller.account} can not add data identifiers. `);
  }
  for (const a of list) {
    const parent = findDid(ctx.cat.db, String(a.scope), String(a.name));
    if (!parent) throw new RucioError(404, 'DataIdentifierNotFound', `Data identifier '${String(a.scope)}:${String(a.name)}' not found`);
    if (parent.did_type === 'FILE') throw new RucioError(409, 'UnsupportedOperation', `Data identifier '${parent.scope}:${parent.name}' is a file`);
    attachContent(ctx, parent, a.dids, a.rse, ignoreDuplicate);
  }
  return created();
}

export const didBulkRoutes: Route[] = [
  { method: 'POST', pattern: '/dids', handler: addDids, accept: JSON_ONLY },
  { method: 'POST', pattern: '/dids/attachments', handler: addAttachments },
];
