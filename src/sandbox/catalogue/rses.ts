// RSEs: creation, listing (with expressions), settings, protocols, attributes, lfns2pfns.
import { randomUUID } from 'node:crypto';
import type { Catalogue, JsonObject, RequestContext } from './context.js';
import { asBool, jsonObject, param } from './context.js';
import type { Db } from './db.js';
import { RucioError, accessDenied } from './errors.js';
import type { Reply } from './http.js';
import { created, emptyOk, flaskReply, jsonReply, streamReply } from './http.js';
import { lfnPath, pfnFor } from './lfn2pfn.js';
import type { Protocol } from './rse-store.js';
import type { Route } from './router.js';
import { JSON_ONLY, STREAM_ONLY } from './router.js';
import {
  allRses, lfn2pfnAlgorithm, requireRse, rseAttributes, rseColumns, rseListEntry, rseProtocols, rseSettings, setRseAttribute,
} from './rse-store.js';
import type { RseFacts } from './rse-expression.js';
import { evaluateExpression } from './rse-expression.js';
import { RSE, validateSchema } from './schema.js';

export interface NewRse {
  deterministic?: boolean;
  rseType?: 'DISK' | 'TAPE';
  volatile?: boolean;
  stagingArea?: boolean;
  qosClass?: string | null;
}

export function insertRse(cat: Catalogue, name: string, opts: NewRse): string {
  validateSchema('rse', RSE, name, 400);
  if (cat.db.prepare('SELECT 1 FROM rses WHERE name = ?').get(name)) {
    throw new RucioError(409, 'Duplicate', `RSE '${name}' already exists!`);
  }
  const id = randomUUID().replace(/-/g, '');
  const now = cat.now();
  cat.db.prepare(`INSERT INTO rses (id, name, rse_type, deterministic, volatile, staging_area, qos_class, created_at, updated_at)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(id, name, opts.rseType ?? 'DISK', opts.deterministic === false ? 0 : 1, opts.volatile ? 1 : 0,
      opts.stagingArea ? 1 : 0, opts.qosClass ?? null, now, now);
  setRseAttribute(cat.db, id, name, true);
  return id;
}

type Priority = number | null;
const priority = (v: unknown): Priority => (v === undefined ? 0 : v === null ? null : Number(v));

/** Protocol domains in Rucio's column set; missing priorities take the DB default 0. */
function normalizeDomains(domains: unknown): Protocol['domains'] {
  const d = (domains ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const lan = d.lan ?? {};
  const wan = d.wan ?? {};
  const tpc = wan.third_party_copy;
  return {
    lan: { read: priority(lan.read), write: priority(lan.write), delete: priority(lan.delete) },
    wan: {
      read: priority(wan.read), write: priority(wan.write), delete: priority(wan.delete),
      third_party_copy_read: priority(wan.third_party_copy_read ?? tpc),
      third_party_copy_write: priority(wan.third_party_copy_write ?? tpc),
    },
  };
}

export function insertProtocol(cat: Catalogue, rseName: string, p: JsonObject): void {
  const rse = requireRse(cat.db, rseName, cat.vo);
  const scheme = String(p.scheme ?? '');
  const hostname = String(p.hostname ?? 'localhost');
  const port = Number(p.port ?? 0);
  if (!scheme) throw new RucioError(400, 'InvalidObject', 'Missing values! scheme');
  const dup = cat.db.prepare('SELECT 1 FROM rse_protocols WHERE rse_id = ? AND scheme = ? AND hostname = ? AND port = ?')
    .get(rse.id, scheme, hostname, port);
  if (dup) {
    throw new RucioError(409, 'Duplicate',
      `Protocol '${scheme}' on port ${port} already registered for  '${rse.name}' with hostname '${hostname}'.`);
  }
  cat.db.prepare(`INSERT INTO rse_protocols (rse_id, scheme, hostname, port, prefix, impl, domains, extended_attributes)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(rse.id, scheme, hostname, port, String(p.prefix ?? ''), String(p.impl ?? 'rucio.rse.protocols.gfal.Default'),
      JSON.stringify(normalizeDomains(p.domains)),
      p.extended_attributes === undefined || p.extended_attributes === null ? null : JSON.stringify(p.extended_attributes));
}

/** Every RSE with what an expression may test: columns and attributes. */
export function rseUniverse(db: Db, vo: string): RseFacts[] {
  return allRses(db).map((r) => ({ id: r.id, name: r.name, columns: rseColumns(r, vo), attributes: rseAttributes(db, r.id) }));
}

function requireAdmin(ctx: RequestContext, what: string): void {
  if (!ctx.caller.admin) throw accessDenied(`Account ${ctx.caller.account} can not ${what}`);
}

function addRse(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body, true);
  requireAdmin(ctx, 'add RSE');
  insertRse(ctx.cat, ctx.params.rse as string, {
    deterministic: asBool(body.deterministic, true),
    volatile: asBool(body.volatile, false),
    stagingArea: asBool(body.staging_area, false),
    rseType: body.rse_type === 'TAPE' ? 'TAPE' : 'DISK',
    qosClass: typeof body.qos_class === 'string' ? body.qos_class : null,
  });
  return created();
}

function listRses(ctx: RequestContext): Reply {
  const expression = ctx.query.get('expression');
  if (expression !== null) {
    const rses = evaluateExpression(expression, rseUniverse(ctx.cat.db, ctx.cat.vo));
    return streamReply(rses.map((r) => ({ rse: r.name })));
  }
  return streamReply(allRses(ctx.cat.db).map((r) => rseListEntry(r, ctx.cat.vo)));
}

function getRse(ctx: RequestContext): Reply {
  return jsonReply(rseSettings(ctx.cat.db, requireRse(ctx.cat.db, ctx.params.rse as string, ctx.cat.vo)));
}

function getProtocols(ctx: RequestContext): Reply {
  const rse = requireRse(ctx.cat.db, ctx.params.rse as string, ctx.cat.vo);
  const protocols = rseProtocols(ctx.cat.db, rse.id);
  if (protocols.length === 0) {
    throw new RucioError(404, 'RSEProtocolNotSupported', `RSE '${rse.name}' does not support any protocol`);
  }
  return flaskReply(protocols);
}

function addProtocol(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  requireAdmin(ctx, 'add protocols to RSE');
  insertProtocol(ctx.cat, ctx.params.rse as string, { ...body, scheme: ctx.params.scheme });
  return created();
}

function getAttributes(ctx: RequestContext): Reply {
  const rse = requireRse(ctx.cat.db, ctx.params.rse as string, ctx.cat.vo);
  return flaskReply(rseAttributes(ctx.cat.db, rse.id));
}

function addAttribute(ctx: RequestContext): Reply {
  const value = param(jsonObject(ctx.body), 'value');
  requireAdmin(ctx, 'add RSE attributes');
  const rse = requireRse(ctx.cat.db, ctx.params.rse as string, ctx.cat.vo);
  setRseAttribute(ctx.cat.db, rse.id, ctx.params.key as string, value);
  return created();
}

function deleteAttribute(ctx: RequestContext): Reply {
  requireAdmin(ctx, 'delete RSE attributes');
  const rse = requireRse(ctx.cat.db, ctx.params.rse as string, ctx.cat.vo);
  const key = ctx.params.key as string;
  const gone = ctx.cat.db.prepare('DELETE FROM rse_attributes WHERE rse_id = ? AND key = ?').run(rse.id, key);
  if (gone.changes === 0) throw new RucioError(404, 'RSEAttributeNotFound', `RSE attribute '${key}' not found`);
  return emptyOk();
}

/** Server-side PFNs: the protocol with the best priority for the operation, optionally of one scheme. */
function lfns2pfns(ctx: RequestContext): Reply {
  const rse = requireRse(ctx.cat.db, ctx.params.rse as string, ctx.cat.vo);
  const lfns = ctx.query.getAll('lfn');
  if (lfns.length === 0) throw new RucioError(400, 'ValueError', 'lfn must be set');
  const scheme = ctx.query.get('scheme');
  const domain = ctx.query.get('domain') === 'lan' ? 'lan' : 'wan';
  const operation = (ctx.query.get('operation') ?? 'write') as 'read' | 'write' | 'delete';
  const candidates = rseProtocols(ctx.cat.db, rse.id)
    .filter((p) => (scheme === null || p.scheme === scheme) && p.domains[domain][operation] !== null)
    .sort((a, b) => (a.domains[domain][operation] ?? 0) - (b.domains[domain][operation] ?? 0));
  const proto = candidates[0];
  if (!proto) {
    throw new RucioError(404, 'RSEProtocolNotSupported', `RSE '${rse.name}' has no protocol for ${operation} in domain ${domain}`);
  }
  if (!rse.deterministic) {
    throw new RucioError(400, 'InvalidPath', `RSE '${rse.name}' is non-deterministic: its PFNs cannot be computed from names`);
  }
  const algorithm = lfn2pfnAlgorithm(rseAttributes(ctx.cat.db, rse.id));
  const out: Record<string, string> = {};
  for (const lfn of lfns) {
    const colon = lfn.indexOf(':');
    if (colon < 0) throw new RucioError(400, 'ValueError', `lfn '${lfn}' is not of the form scope:name`);
    out[lfn] = pfnFor(proto, lfnPath(lfn.slice(0, colon), lfn.slice(colon + 1), algorithm));
  }
  return flaskReply(out);
}

export const rseRoutes: Route[] = [
  { method: 'GET', pattern: '/rses/', handler: listRses, accept: STREAM_ONLY },
  { method: 'POST', pattern: '/rses/:rse', handler: addRse },
  { method: 'GET', pattern: '/rses/:rse', handler: getRse, accept: JSON_ONLY },
  { method: 'GET', pattern: '/rses/:rse/protocols', handler: getProtocols, accept: JSON_ONLY },
  { method: 'POST', pattern: '/rses/:rse/protocols/:scheme', handler: addProtocol },
  { method: 'GET', pattern: '/rses/:rse/attr/', handler: getAttributes, accept: JSON_ONLY },
  { method: 'POST', pattern: '/rses/:rse/attr/:key', handler: addAttribute },
  { method: 'DELETE', pattern: '/rses/:rse/attr/:key', handler: deleteAttribute },
  { method: 'GET', pattern: '/rses/:rse/lfns2pfns', handler: lfns2pfns, accept: JSON_ONLY },
];
