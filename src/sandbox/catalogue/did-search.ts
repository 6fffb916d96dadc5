// GET /dids/<scope>/dids/search (lib/rucio/web/rest/flaskapi/v1/dids.py Search.get): the `filters`
// argument is a Python literal (a list of dicts, OR over the list, AND within a dict), else the request
// arguments form one dict. core/did_meta_plugins/__init__.py list_dids sends the filter to the one plugin
// managing all its keys: the DID-column plugin (did_column_meta.py) or the JSON plugin (json_meta.py, as on
// PostgreSQL, where it is enabled), which searches metadata the DID-column plugin does not keep.
import type { RequestContext } from './context.js';
import { asBool } from './context.js';
import type { Criterion } from './did-filter.js';
import { DID_COLUMNS, DidTypeValue, checkQuery, hasWildcard, matchesFilters, translateFilters } from './did-filter.js';
import type { DidRow } from './did-store.js';
import { children } from './did-store.js';
import { columnPluginManages } from './did-meta.js';
import { RucioError } from './errors.js';
import type { Reply } from './http.js';
import { streamReply } from './http.js';
import type { PyValue } from './py-literal.js';
import { PyDict, PythonError, literalEval, pyTypeName } from './py-literal.js';

const TYPE_MAPPING: Record<string, string[]> = {
  all: ['CONTAINER', 'DATASET', 'FILE'], collection: ['CONTAINER', 'DATASET'], container: ['CONTAINER'], dataset: ['DATASET'], file: ['FILE'],
};
const TYPE_KEYS = "dict_keys(['all', 'collection', 'container', 'dataset', 'file'])";


type Plugin = 'dids' | 'did_meta';

/** gateway/did.py list_dids walks the filters before the core sees them; Python's errors on other shapes. */
function filterGroups(filters: PyValue): PyDict[] {
  if (filters instanceof PyDict) {
    for (const [key] of filters.items) {
      if (typeof key !== 'string') throw new PythonError(`argument of type '${pyTypeName(key)}' is not iterable`);
      if (key.includes('account') || key.includes('scope')) throw new PythonError("'str' object does not support item assignment");
    }
    return [filters];
  }
  if (typeof filters === 'string' && filters.length > 0) throw new PythonError("'str' object has no attribute 'keys'");
  if (!Array.isArray(filters) && typeof filters !== 'string') throw new PythonError(`'${pyTypeName(filters)}' object is not iterable`);
  const groups = Array.isArray(filters) ? filters : [];
  for (const g of groups) {
    if (g instanceof PyDict) continue;
    if (typeof g === 'string') {
      if (g.includes('account') || g.includes('scope')) throw new PythonError("'str' object does not support item assignment");
      throw new PythonError("'str' object has no attribute 'keys'");
    }
    throw new PythonError(`argument of type '${pyTypeName(g)}' is not iterable`);
  }
  return groups as PyDict[];
}

/** did_meta_plugins/__init__.py list_dids: every key (but 'name') must belong to one and the same plugin. */
function choosePlugin(groups: PyDict[]): Plugin {
  const needed = new Set<Plugin>();
  for (const g of groups) {
    for (const [key] of g.items) {
      if (key === 'name') continue;
      if (typeof key !== 'string') throw new PythonError(`'${pyTypeName(key)}' object has no attribute 'split'`);
      const bare = key.split('.')[0] as string;
      needed.add(bare === 'created_at' || columnPluginManages(bare) ? 'dids' : 'did_meta');
    }
  }
  if (needed.size > 1) throw new RucioError(500, 'InvalidMetadata', 'Filter keys used do not all belong to the same metadata plugin.');
  return needed.has('did_meta') ? 'did_meta' : 'dids';
}

/** DidColumnMeta.list_dids: each OR group gets a did_type, copied once per DIDType its 'type' (or the argument) maps to. */
function expandTypes(groups: PyDict[], didType: string): PyDict[] {
  const out: PyDict[] = [];
  for (const g of groups) {
    let type: string;
    if (g.has('type')) {
      const t = g.delete('type') as PyValue;
      if (typeof t !== 'string') throw new PythonError(`'${pyTypeName(t)}' object has no attribute 'lower'`);
      type = t.toLowerCase();
    } else if ((g.get('did_type') as unknown) instanceof DidTypeValue) {
      out.push(g.copy());
      continue;
    } else type = didType.toLowerCase();
    const mapped = TYPE_MAPPING[type];
    if (!mapped) throw new RucioError(409, 'UnsupportedOperation', `${type} is not a valid type. Valid types are ${TYPE_KEYS}`);
    for (const t of mapped) {
      g.set('did_type', new DidTypeValue(t) as unknown as PyValue);
      out.push(g.copy());
    }
  }
  return out;
}

/** A `name == value` filter without wildcards: SQLite can look the DID up by the full primary key. */
const pinsName = (c: Criterion): boolean => c.key === 'name' && c.op === 'eq' && typeof c.value === 'string' && !hasWildcard(c.value);

/** The JSON plugin only sees DIDs with a did_meta row: those holding metadata outside the DIDs table's columns. */
const hasJsonMeta = (d: DidRow): boolean => Object.keys(JSON.parse(d.meta) as object).some((k) => !(k in DID_COLUMNS));

interface Search {
  ctx: RequestContext;
  plugin: Plugin;
  didType: string;
  limit: number | null;
  long: boolean;
  recursive: boolean;
  seen: Set<string>;
}

/** One plugin's list_dids: the query (with its LIMIT), the recursion into collections first, then the rows. */
function* listDids(s: Search, scope: string, groups: PyDict[]): Generator<unknown> {
  const expanded = s.plugin === 'dids' ? expandTypes(groups, s.didType) : groups;
  const criteria: Criterion[][] = translateFilters(expanded.map((g) => g.copy()), s.plugin);
  const rows: DidRow[] = [];
  if (criteria.length > 0) {
    for (const group of criteria) {
      group.push({ key: 'scope', column: 'str', op: 'eq', value: scope });
      if (s.plugin === 'dids') group.push({ key: 'suppressed', column: 'bool', op: 'ne', value: true });
    }
    checkQuery(criteria);
    // The plugins' queries have no ORDER BY, so the order is the database's plan. On SQLite (the recorded server's
    // database) the DID-column query walks the primary key (scope, name): name order, a LIMIT keeping the first
    // names; when every OR group pins an exact name, it probes them group after group (MULTI-INDEX OR). The JSON
    // plugin runs on PostgreSQL, whose scan of the small did_meta table follows the rows as stored.
    const probes = s.plugin === 'dids' && criteria.every((g) => g.some(pinsName));
    const ordered = s.ctx.cat.db.prepare(`SELECT * FROM dids WHERE scope = ? ORDER BY ${s.plugin === 'dids' ? 'name' : 'rowid'}`);
    const taken = new Set<string>();
    const passes = probes ? criteria.map((group) => [group]) : [criteria];
    scan: for (const pass of passes) {
      for (const d of ordered.iterate(scope) as Iterable<DidRow>) {
        if (taken.has(d.name) || (s.plugin === 'did_meta' && !hasJsonMeta(d)) || !matchesFilters(d, pass, s.plugin)) continue;
        taken.add(d.name);
        rows.push(d);
        if (s.limit !== null && rows.length >= s.limit) break scan;
      }
    }
  } else {
    // No OR group at all: the additional filters have nothing to join and or_() of nothing filters nothing.
    for (const d of s.ctx.cat.db.prepare('SELECT * FROM dids ORDER BY rowid').iterate() as Iterable<DidRow>) {
      rows.push(d);
      if (s.limit !== null && rows.length >= s.limit) break;
    }
  }
  if (s.recursive) {
    const content: DidRow[] = [];
    for (const d of rows) {
      if (s.plugin === 'did_meta' && !expanded.some((g) => g.has('did_type'))) throw new PythonError("Could not locate column in row for column 'did_type'");
      if (d.did_type === 'CONTAINER' || d.did_type === 'DATASET') content.push(...children(s.ctx.cat.db, d.scope, d.name));
    }
    for (const c of content) {
      for (const g of expanded) g.set('name', c.name);
      yield* listDids(s, c.scope, expanded);
    }
  }
  for (const d of rows) {
    const key = `${d.scope}:${d.name}`;
    if (s.seen.has(key)) continue;
    s.seen.add(key);
    if (!s.long) yield d.name;
    else if (s.plugin === 'did_meta') yield { scope: d.scope, name: d.name, did_type: null, bytes: null, length: null };
    else yield { scope: d.scope, name: d.name, did_type: d.did_type, bytes: d.bytes, length: d.did_type === 'FILE' ? null : d.length };
  }
}

/** request.args.get('limit', type=int): an unparsable value is no limit; 0 is none either (`if limit:`). */
function limitArgument(text: string | null): number | null {
  if (text === null || !/^\s*[+-]?\d+\s*$/.test(text)) return null;
  const n = Number.parseInt(text, 10);
  if (n < 0) throw new RucioError(500, 'DatabaseException', 'An unknown Database Exception has occurred.');
  return n === 0 ? null : n;
}

export function searchDids(ctx: RequestContext): Reply {
  const filtersText = ctx.query.get('filters');
  let filters: PyValue;
  if (filtersText !== null) filters = literalEval(filtersText);
  else {
    // Backwards compatibility: created*, length* and name filters passed as request arguments (first value of each).
    const d = new PyDict();
    for (const [k, v] of ctx.query) if (!['type', 'limit', 'long', 'recursive'].includes(k) && !d.has(k)) d.set(k, v);
    filters = [d];
  }
  const search: Search = {
    ctx, plugin: 'dids', didType: ctx.query.get('type') ?? 'collection', limit: limitArgument(ctx.query.get('limit')),
    long: asBool(ctx.query.get('long') ?? undefined, false), recursive: asBool(ctx.query.get('recursive') ?? undefined, false),
    seen: new Set(),
  };
  const groups = filterGroups(filters);
  search.plugin = choosePlugin(groups);
  return streamReply(listDids(search, ctx.params.scope as string, groups));
}
