// POST /replicas/list: one record per file with its PFNs, as a json-stream or,
// when the Accept header prefers it, as a metalink document.
import type { JsonObject, RequestContext } from './context.js';
import { asBool, header, jsonObject, param } from './context.js';
import type { ResolvedFile } from './did-store.js';
import { findDid, resolveFiles } from './did-store.js';
import type { Reply } from './http.js';
import { streamReply } from './http.js';
import type { ReplicaRow } from './replica-store.js';
import { REPLICA_STATES, replicaPath } from './replica-store.js';
import type { Protocol } from './rse-store.js';
import { rseById, rseProtocols } from './rse-store.js';
import { evaluateExpression } from './rse-expression.js';
import { rseUniverse } from './rses.js';
import { pfnFor } from './lfn2pfn.js';

interface PfnInfo {
  rse_id: string;
  rse: string;
  type: string;
  volatile: boolean;
  domain: string;
  priority: number;
  client_extract: boolean;
}

interface ReplicaRecord {
  scope: string;
  name: string;
  bytes: number;
  md5: string | null;
  adler32: string | null;
  pfns: Record<string, PfnInfo>;
  rses: Record<string, string[]>;
  states: Record<string, string>;
}

/** Quality of a media type in an Accept header (exact, type/*, or * / *). */
function quality(accept: string, type: string): number {
  let best = 0;
  let bestSpecificity = -1;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().split(';').map((s) => s.trim());
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? '1');
    const specificity = range === type ? 2 : range === `${type.split('/')[0]}/*` ? 1 : range === '*/*' ? 0 : -1;
    if (specificity > bestSpecificity) {
      bestSpecificity = specificity;
      best = q;
    }
  }
  return bestSpecificity < 0 ? 0 : best;
}

function wantsMetalink(accept: string | undefined): boolean {
  if (!accept) return false;
  return quality(accept, 'application/metalink4+xml') > quality(accept, 'application/x-json-stream');
}

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function metalink(records: ReplicaRecord[]): string {
  let out = '<?xml version="1.0" encoding="UTF-8"?>\n<metalink xmlns="urn:ietf:params:xml:ns:metalink">\n';
  for (const r of records) {
    out += ` <file name="${xml(r.name)}">\n  <identity>${xml(`${r.scope}:${r.name}`)}</identity>\n`;
    if (r.adler32) out += `  <hash type="adler32">${r.adler32}</hash>\n`;
    if (r.md5) out += `  <hash type="md5">${r.md5}</hash>\n`;
    out += `  <size>${r.bytes}</size>\n  <glfn name="/generic/rucio/${xml(`${r.scope}:${r.name}`)}"></glfn>\n`;
    for (const [pfn, p] of Object.entries(r.pfns)) {
      out += `  <url location="${xml(p.rse)}" domain="${p.domain}" priority="${p.priority}" client_extract="${p.client_extract}">${xml(pfn)}</url>\n`;
    }
    out += ' </file>\n';
  }
  return `${out}</metalink>\n`;
}

/** SUPPORTED_PROTOCOLS (lib/rucio/common/constants.py): what a metalink answer lists when no schemes are asked for. */
const SUPPORTED_PROTOCOLS = ['root', 'davs', 'http', 'https', 'file', 'storm', 'srm+https', 'scp', 'rsync', 'rclone', 'magnet'];

type Domain = 'wan' | 'lan';

/** rsemanager.select_protocol: the lowest read priority of the domain (Rucio shuffles equals; the first is taken). */
function selectRead(protocols: Protocol[], domain: Domain, scheme?: string): Protocol | undefined {
  let best: Protocol | undefined;
  for (const p of protocols) {
    const prio = p.domains[domain].read;
    if (prio === null || (scheme !== undefined && p.scheme !== scheme)) continue;
    if (!best || prio < (best.domains[domain].read as number)) best = p;
  }
  return best;
}

/**
 * core/replica.py _get_list_replicas_protocols: without schemes, the top-priority read scheme of each domain;
 * then, per scheme and domain, the top protocol of that scheme, with the read priority the scheme last has in
 * the RSE's protocol list (a dict keyed by scheme).
 */
function listProtocols(protocols: Protocol[], domains: Domain[], schemes: string[] | null): { domain: Domain; protocol: Protocol; priority: number }[] {
  const rseSchemes: string[] = schemes ? [...schemes] : [];
  if (rseSchemes.length === 0) {
    for (const d of domains) {
      const top = selectRead(protocols, d);
      if (!top) break;
      rseSchemes.push(top.scheme);
    }
  }
  const out: { domain: Domain; protocol: Protocol; priority: number }[] = [];
  for (const scheme of rseSchemes) {
    for (const d of domains) {
      const protocol = selectRead(protocols, d, scheme);
      if (!protocol) break;
      const priority = protocols.filter((p) => p.scheme === scheme && p.domains[d].read !== null).at(-1)?.domains[d].read as number;
      out.push({ domain: d, protocol, priority });
    }
  }
  return out;
}

/** Python's ordering of tuples of numbers and strings, as sorted() applies it. */
const byKeys = (a: (string | number)[], b: (string | number)[]): number => {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

export function listReplicas(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const dids = param(body, 'dids');
  const metalinkWanted = wantsMetalink(header(ctx.headers, 'accept'));
  // ListReplicas.post: no schemes (None) in a metalink request means every supported protocol; [] means none asked.
  const asked = Array.isArray(body.schemes) ? (body.schemes as string[]) : null;
  const schemes = asked ?? (metalinkWanted ? SUPPORTED_PROTOCOLS : null);
  const unavailable = asBool(body.unavailable, false);
  const states = asBool(body.all_states, false) ? null : unavailable ? ['A', 'U', 'C', 'T'] : ['A'];
  const ignoreAvailability = asBool(body.ignore_availability, unavailable);
  const domains: Domain[] = body.domain === 'all' ? ['wan', 'lan'] : body.domain === 'lan' ? ['lan'] : ['wan'];
  // request.args.get('limit') stays a string, which _sorted_with_priorities compares with an int: a TypeError.
  const limited = ctx.query.has('limit');
  const db = ctx.cat.db;
  const allowed = typeof body.rse_expression === 'string'
    ? new Set(evaluateExpression(body.rse_expression, rseUniverse(db, ctx.cat.vo)).map((r) => r.id))
    : null;

  const files: (ResolvedFile & { asked: boolean })[] = [];
  const seen = new Set<string>();
  for (const d of (Array.isArray(dids) ? dids : []) as JsonObject[]) {
    const row = findDid(db, String(d.scope), String(d.name));
    if (!row) continue;
    for (const f of resolveFiles(db, row)) {
      const key = `${f.scope}:${f.name}`;
      if (!seen.has(key)) files.push({ ...f, asked: row.did_type === 'FILE' });
      seen.add(key);
    }
  }

  const replicasOf = db.prepare(`SELECT p.* FROM replicas p JOIN rses r ON r.id = p.rse_id
                                 WHERE p.scope = ? AND p.name = ? ORDER BY r.name`);
  const records: ReplicaRecord[] = [];
  for (const f of files) {
    const record: ReplicaRecord = { scope: f.scope, name: f.name, bytes: f.bytes, md5: f.md5, adler32: f.adler32, pfns: {}, rses: {}, states: {} };
    // Keyed by PFN: two RSEs serving the same URL leave one entry (the later), as Rucio's dict does.
    const pfns = new Map<string, PfnInfo>();
    for (const rep of replicasOf.all(f.scope, f.name) as ReplicaRow[]) {
      const rse = rseById(db, rep.rse_id);
      if (states && !states.includes(rep.state)) continue;
      if (allowed && !allowed.has(rse.id)) continue;
      if (!ignoreAvailability && !rse.availability_read) continue;
      record.states[rse.name] = REPLICA_STATES[rep.state];
      const path = replicaPath(db, rse, f.scope, f.name, rep.path);
      for (const { domain, protocol, priority } of listProtocols(rseProtocols(db, rse.id), domains, schemes)) {
        pfns.set(pfnFor(protocol, path), { rse_id: rse.id, rse: rse.name, type: rse.rse_type, volatile: !!rse.volatile, domain, priority, client_extract: false });
      }
    }
    if (limited && pfns.size > 0) {
      return { status: 500, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: "'<=' not supported between instances of 'int' and 'str'" };
    }
    // _list_replicas: a total order by (domain, priority, pfn), numbered from 1; 'rses' lists them by (rse_id, priority, pfn).
    const ordered = [...pfns].sort(([pa, a], [pb, b]) => byKeys([a.domain, a.priority, pa], [b.domain, b.priority, pb]));
    ordered.forEach(([pfn, info], i) => {
      record.pfns[pfn] = { ...info, priority: i + 1 };
    });
    for (const [pfn, info] of [...ordered].sort(([, a], [, b]) => byKeys([a.rse_id], [b.rse_id]))) {
      (record.rses[info.rse] ??= []).push(pfn);
    }
    if (f.asked || Object.keys(record.states).length > 0) records.push(record);
  }

  if (metalinkWanted) {
    return { status: 200, headers: { 'Content-Type': 'application/metalink4+xml' }, body: metalink(records) };
  }
  return streamReply(records);
}
