// Embargoed scopes: a permission policy as a Rucio deployment installs one (its
// permission module decides per account and scope, e.g. `has_permission(issuer,
// 'get_did', {'scope': ...})`). Only the listed accounts (and admins) may read, write,
// list or replicate anything in an embargoed scope; everyone else gets Rucio's 401
// AccessDenied. Without an embargo list the catalogue behaves as before.
import type { Caller, RequestContext } from './context.js';
import { accessDenied } from './errors.js';

export interface EmbargoedScope {
  scope: string;
  /** Accounts allowed in the scope besides admins. */
  members: string[];
}

export type EmbargoCheck = (ctx: RequestContext) => void;

/** Scopes named by a request: the path's DID, DIDs in its JSON body, or the rule it addresses. */
function scopesOf(ctx: RequestContext): string[] {
  const scopes: string[] = [];
  if (ctx.params.scope) scopes.push(ctx.params.scope);
  if (ctx.params.id) {
    const rule = ctx.cat.db.prepare('SELECT scope FROM rules WHERE id = ?').get(ctx.params.id) as { scope: string } | undefined;
    if (rule) scopes.push(rule.scope);
  }
  if (ctx.body) {
    let body: unknown;
    try {
      body = JSON.parse(ctx.body);
    } catch {
      return scopes; // the handler answers the malformed body
    }
    const lists = body && typeof body === 'object' ? [(body as { dids?: unknown }).dids, (body as { files?: unknown }).files] : [];
    for (const list of lists) {
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        const scope = (item as { scope?: unknown } | null)?.scope;
        if (typeof scope === 'string') scopes.push(scope);
      }
    }
  }
  return scopes;
}

export function embargoCheck(embargoed: readonly EmbargoedScope[] = []): EmbargoCheck {
  const members = new Map(embargoed.map((e) => [e.scope, new Set(e.members)]));
  const allowed = (caller: Caller, scope: string): boolean => caller.admin || (members.get(scope)?.has(caller.account) ?? true);
  return (ctx) => {
    if (members.size === 0) return;
    const refused = scopesOf(ctx).find((scope) => !allowed(ctx.caller, scope));
    if (refused) throw accessDenied(`Account ${ctx.caller.account} can not access data identifiers of embargoed scope ${refused}`);
  };
}
