// RSE views of lib/rucio/web/rest/flaskapi/v1/rses.py beyond settings and protocols: Usage,
// RSEAccountUsageLimit and Distance (core/rse.py get_rse_usage, core/account_limit.py
// get_rse_account_usage, core/distance.py).
import { rseAccountCounters } from './account-counters.js';
import type { RequestContext } from './context.js';
import { asBool, jsonObject } from './context.js';
import { RucioError, accessDenied } from './errors.js';
import { rucioDate } from './format.js';
import type { Reply } from './http.js';
import { created, jsonReply, streamReply } from './http.js';
import { requireRse } from './rse-store.js';
import type { Route } from './router.js';
import { JSON_ONLY, STREAM_ONLY } from './router.js';

const limitValue = (bytes: number | null): number | null => (bytes === -1 ? Infinity : bytes);

/**
 * GET /rses/<rse>/usage: Rucio answers the rows of its rse_usage table, which abacus-rse fills with the
 * 'rucio' source (the replicas it counts). The sandbox computes that row from its replicas now; no
 * storage-reported source exists. per_account adds each account's counter (account-counters.ts).
 */
function rseUsage(ctx: RequestContext): Reply {
  const rse = requireRse(ctx.cat.db, ctx.params.rse as string, ctx.cat.vo);
  const source = ctx.query.get('source');
  if (source !== null && source !== 'rucio') return streamReply([]);
  const perAccount = asBool(ctx.query.get('per_account') ?? undefined, false);
  const used = ctx.cat.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS bytes, COUNT(*) AS files, MAX(updated_at) AS at FROM replicas WHERE rse_id = ?')
    .get(rse.id) as { bytes: number; files: number; at: number | null };
  const row: Record<string, unknown> = {
    rse_id: rse.id, source: 'rucio', used: used.bytes, free: null, total: used.bytes, files: used.files,
    updated_at: rucioDate(used.at ?? rse.updated_at),
  };
  if (perAccount) {
    // _format_get_rse_usage: the account counters (as of the last abacus-account run) that are not 0, largest first.
    const accounts = [...rseAccountCounters(ctx.cat.db, rse.id)].map(([account, u]) => ({ account, used: u.bytes }))
      .filter((a) => a.used !== 0).sort((a, b) => b.used - a.used);
    row.account_usages = accounts.map((a) => ({
      used: a.used, account: a.account, percentage: used.bytes ? Math.round((a.used / used.bytes) * 10000) / 100 : 0,
    }));
  }
  row.rse = rse.name;
  return streamReply([row]);
}

/** GET /rses/<rse>/accounts/usage: one line per account of the VO, with its usage and local limit (json lines). */
function rseAccountUsage(ctx: RequestContext): Reply {
  const rse = requireRse(ctx.cat.db, ctx.params.rse as string, ctx.cat.vo);
  const rows = ctx.cat.db.prepare(`
    SELECT a.name AS account, l.bytes AS quota, COALESCE(u.bytes, 0) AS used_bytes, COALESCE(u.files, 0) AS used_files
    FROM accounts a
    LEFT JOIN account_limits l ON l.account = a.name AND l.rse_id = ?
    LEFT JOIN account_usage u ON u.account = a.name AND u.rse_id = ?
    ORDER BY a.name`).all(rse.id, rse.id) as { account: string; quota: number | null; used_bytes: number; used_files: number }[];
  const reply = streamReply(rows.map((r) => ({
    rse_id: rse.id, rse: rse.name, account: r.account, used_files: r.used_files, used_bytes: r.used_bytes, quota_bytes: limitValue(r.quota),
  })));
  return { ...reply, headers: { 'Content-Type': 'application/json' } };
}

interface DistanceRow { src_rse_id: string; dest_rse_id: string; distance: number | null; created_at: number; updated_at: number }

/** GET /rses/<src>/distances/<dst>: a list (render via APIEncoder) with 'ranking' kept for old clients. */
function getDistance(ctx: RequestContext): Reply {
  const src = requireRse(ctx.cat.db, ctx.params.source as string, ctx.cat.vo);
  const dst = requireRse(ctx.cat.db, ctx.params.destination as string, ctx.cat.vo);
  const rows = ctx.cat.db.prepare('SELECT * FROM distances WHERE src_rse_id = ? AND dest_rse_id = ?').all(src.id, dst.id) as DistanceRow[];
  return jsonReply(rows.map((d) => ({
    src_rse_id: d.src_rse_id, dest_rse_id: d.dest_rse_id, distance: d.distance, created_at: rucioDate(d.created_at),
    updated_at: rucioDate(d.updated_at), ranking: d.distance, src_rse: src.name, dest_rse: dst.name,
  })));
}

/** POST /rses/<src>/distances/<dst>: root/admin (perm_default); 'distance' or the old 'ranking'; a second add is a Duplicate. */
function addDistance(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const distance = body.distance ?? body.ranking ?? null;
  const bidirectional = asBool(body.bidirectional, false);
  if (!ctx.caller.admin) throw accessDenied(`Account ${ctx.caller.account} can not add RSE distances. `);
  const src = requireRse(ctx.cat.db, ctx.params.source as string, ctx.cat.vo);
  const dst = requireRse(ctx.cat.db, ctx.params.destination as string, ctx.cat.vo);
  const pairs = bidirectional ? [[src.id, dst.id], [dst.id, src.id]] : [[src.id, dst.id]];
  const now = ctx.cat.now();
  const exists = ctx.cat.db.prepare('SELECT 1 FROM distances WHERE src_rse_id = ? AND dest_rse_id = ?');
  if (pairs.some(([a, b]) => exists.get(a, b))) throw new RucioError(409, 'Duplicate', 'None');
  for (const [a, b] of pairs) {
    ctx.cat.db.prepare('INSERT INTO distances (src_rse_id, dest_rse_id, distance, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(a, b, typeof distance === 'number' ? distance : distance === null ? null : Number(distance), now, now);
  }
  return created();
}

export const rseExtraRoutes: Route[] = [
  { method: 'GET', pattern: '/rses/:rse/usage', handler: rseUsage, accept: STREAM_ONLY },
  { method: 'GET', pattern: '/rses/:rse/accounts/usage', handler: rseAccountUsage, accept: JSON_ONLY },
  { method: 'GET', pattern: '/rses/:source/distances/:destination', handler: getDistance, accept: JSON_ONLY },
  { method: 'POST', pattern: '/rses/:source/distances/:destination', handler: addDistance },
];
