// Rucio 41's DID filter engine (lib/rucio/core/did_meta_plugins/filter_engine.py FilterEngine) over the
// sandbox's DID rows: OR groups of AND criteria, 'key.op' suffixes, values typecast from strings, '*'/'%'
// wildcards as LIKE, '.ne' including NULLs on columns. Comparisons follow PostgreSQL, the database of a
// deployed Rucio: LIKE is case-sensitive, and a value of the wrong type for its column is a database error.
import type { DidRow } from './did-store.js';
import { RucioError } from './errors.js';
import type { PyValue } from './py-literal.js';
import { PyDatetime, PyDict, PythonError, literalEval, pyStr, pyTypeName } from './py-literal.js';

export type Op = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte';
type ColumnType = 'str' | 'int' | 'bool' | 'date' | 'type';

/** A DIDType member, as the DID-column plugin puts it into each OR group. */
export class DidTypeValue {
  constructor(readonly name: string) {}
}

export type FilterValue = PyValue | DidTypeValue;

/** models.DataIdentifier's columns and their SQL types. */
export const DID_COLUMNS: Record<string, ColumnType> = {
  scope: 'str', name: 'str', account: 'str', did_type: 'type', is_open: 'bool', monotonic: 'bool', hidden: 'bool',
  obsolete: 'bool', complete: 'bool', is_new: 'bool', availability: 'str', suppressed: 'bool', bytes: 'int', length: 'int',
  md5: 'str', adler32: 'str', expired_at: 'date', purge_replicas: 'bool', deleted_at: 'date', events: 'int', guid: 'str',
  project: 'str', datatype: 'str', run_number: 'int', stream_name: 'str', prod_step: 'str', version: 'str', campaign: 'str',
  task_id: 'int', panda_id: 'int', lumiblocknr: 'int', provenance: 'str', phys_group: 'str', transient: 'bool',
  accessed_at: 'date', closed_at: 'date', eol_at: 'date', is_archive: 'bool', constituent: 'bool', access_cnt: 'int',
  created_at: 'date', updated_at: 'date',
};
/** models.DidMeta's columns (the JSON plugin coerces these; every other key is looked up in the JSON). */
const DID_META_COLUMNS: Record<string, ColumnType> = { scope: 'str', name: 'str', did_type: 'type' };

/** Defaults of the columns the sandbox keeps in a DID's meta JSON (core/did.py add_did). */
const META_DEFAULTS: Record<string, unknown> = {
  hidden: false, obsolete: false, is_new: true, availability: 'AVAILABLE', suppressed: false, purge_replicas: true, transient: false,
};
const ROW_DATES = new Set(['expired_at', 'closed_at', 'created_at', 'updated_at']);

/** The Rucio value of a DIDs-table column for one sandbox DID row. */
export function columnValue(d: DidRow, column: string): unknown {
  if (ROW_DATES.has(column)) return (d as unknown as Record<string, number | null>)[column] ?? null;
  if (column === 'is_open') return d.is_open === null ? null : !!d.is_open;
  if (column === 'monotonic') return !!d.monotonic;
  if (column === 'length') return d.did_type === 'FILE' ? null : d.length;
  if (['scope', 'name', 'account', 'did_type', 'bytes', 'md5', 'adler32', 'guid'].includes(column)) {
    return (d as unknown as Record<string, unknown>)[column] ?? null;
  }
  const meta = JSON.parse(d.meta) as Record<string, unknown>;
  const v = column in meta ? meta[column] : META_DEFAULTS[column] ?? null;
  if (DID_COLUMNS[column] === 'date' && typeof v === 'string') return Date.parse(v.endsWith('Z') ? v : `${v}Z`);
  return v;
}

export interface Criterion {
  /** A model column (coerced attribute) or, for the JSON plugin, a key of the metadata JSON. */
  key: string | PyValue;
  column: ColumnType | null;
  /** null: a suffix outside OPERATORS_CONVERSION_LUT (Python's None, not callable). */
  op: Op | null;
  value: FilterValue;
}

const OPERATORS: Record<string, Op> = { gte: 'gte', lte: 'lte', lt: 'lt', gt: 'gt', ne: 'ne', '': 'eq' };
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** VALID_DATE_FORMATS through datetime.strptime. */
function strptime(v: string): number | null {
  const num = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6})Z)?$/.exec(v);
  if (num) {
    const [y, mo, d, h, mi, s] = num.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const ms = Date.UTC(y, mo - 1, d, h, mi, s) + Math.floor(Number(`0.${num[7] ?? '0'}`) * 1000);
    const back = new Date(ms);
    return back.getUTCDate() === d && back.getUTCMonth() === mo - 1 && h < 24 && mi < 60 && s < 62 ? ms : null;
  }
  const rfc = /^(mon|tue|wed|thu|fri|sat|sun), (\d{1,2}) ([a-z]{3}) (\d{4}) (\d{1,2}):(\d{1,2}):(\d{1,2}) UTC$/i.exec(v);
  if (rfc) {
    const month = MONTHS.indexOf((rfc[3] as string).toLowerCase());
    if (month < 0) return null;
    return Date.UTC(Number(rfc[4]), month, Number(rfc[2]), Number(rfc[5]), Number(rfc[6]), Number(rfc[7]));
  }
  return null;
}

/** FilterEngine._try_typecast_string: booleans (note: every 'true'/'false' inside the text too), dates, numbers. */
export function typecastString(raw: string): PyValue {
  const value = raw.replaceAll('true', 'True').replaceAll('TRUE', 'True').replaceAll('false', 'False').replaceAll('FALSE', 'False');
  const date = strptime(value);
  if (date !== null) return new PyDatetime(date);
  if (!/[+\-*/]/.test(value)) {
    try {
      return literalEval(value);
    } catch (e) {
      if (!(e instanceof PythonError)) throw e;
    }
  }
  return value;
}

export const hasWildcard = (v: FilterValue): v is string => typeof v === 'string' && (v.includes('*') || v.includes('%'));
/** A value that is only a wildcard: create_sqla_query drops the criterion. */
const matchesAnything = (v: FilterValue): boolean => v === '*' || v === '%';

/**
 * FilterEngine.__init__ for one plugin: created_after/created_before become created_at.gte/.lte, keys are
 * split into name and operator and coerced to the model's columns (strict: an unknown key is KeyNotFound),
 * string values typecast; then the sanity checks.
 */
export function translateFilters(groups: PyDict[], model: 'dids' | 'did_meta'): Criterion[][] {
  const columns = model === 'dids' ? DID_COLUMNS : DID_META_COLUMNS;
  const out: Criterion[][] = [];
  for (const group of groups) {
    if (group.has('created_after')) group.set('created_at.gte', group.delete('created_after') as PyValue);
    if (group.has('created_before')) group.set('created_at.lte', group.delete('created_before') as PyValue);
    const criteria: Criterion[] = [];
    for (const [rawKey, rawValue] of group.items) {
      if (typeof rawKey !== 'string') throw new PythonError(`'${pyTypeName(rawKey)}' object has no attribute 'split'`);
      const parts = rawKey.split('.');
      if (parts.length > 2) throw new RucioError(400, 'DIDFilterSyntaxError', 'None');
      let key: PyValue = parts[0] as string;
      try {
        key = literalEval(key);
      } catch (e) {
        if (!(e instanceof PythonError)) throw e;
      }
      let column: ColumnType | null = null;
      if (typeof key === 'string') {
        column = columns[key] ?? null;
        if (!column && model === 'dids') {
          throw new RucioError(404, 'KeyNotFound', `'${key}' keyword could not be coerced to model class attribute. Attribute not found.`);
        }
      }
      const value: FilterValue = typeof rawValue === 'string' ? typecastString(rawValue) : (rawValue as FilterValue);
      criteria.push({ key, column, op: OPERATORS[parts[1] ?? ''] ?? null, value });
    }
    out.push(criteria);
  }
  sanityCheck(out);
  if (model === 'dids' && out.some((g) => g.some((c) => c.column === null))) {
    throw new RucioError(500, 'FilterEngineGenericError', 'Requested filter on key without model attribute, but [json_column] not set.');
  }
  return out;
}

/**
 * _sanity_check_translated_filters. Checks (1)-(3) and (5) compare the key with a string; a key coerced to a
 * column is an SQLAlchemy attribute, for which that comparison is never true, so only plain keys meet them.
 */
function sanityCheck(groups: Criterion[][]): void {
  for (const group of groups) {
    const seen = new Set<string>();
    for (const c of group) {
      const plain = c.column === null ? c.key : undefined;
      if (plain === 'did_type' && c.op !== 'eq') throw new PythonError('Type operator must be equals.');
      if (plain === 'name' && c.op !== 'eq' && c.op !== 'ne') throw new PythonError('Name operator must be an equality operator.');
      if (plain === 'length' && typeof c.value === 'string' && !/^\s*[+-]?\d+\s*$/.test(c.value)) {
        throw new PythonError('Length has to be an integer value.');
      }
      if (hasWildcard(c.value) && c.op !== 'eq' && c.op !== 'ne') {
        throw new RucioError(400, 'DIDFilterSyntaxError', 'Wildcards can only be used with equality operators');
      }
      if (plain === 'created_at' && !(c.value instanceof PyDatetime)) {
        throw new RucioError(400, 'DIDFilterSyntaxError', `Couldn't parse date '${pyStr(c.value as PyValue)}'. Valid formats are: ` +
          "('%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S.%fZ', '%Y-%m-%dT%H:%M:%S.%fZ', '%a, %d %b %Y %H:%M:%S UTC')");
      }
      const id = `${c.column === null ? 'plain' : 'column'}:${JSON.stringify(c.key)}:${c.op}`;
      // DuplicateCriteriaInDIDFilter() is raised without an argument; its constructor reads args[0].
      if (seen.has(id)) throw new PythonError('tuple index out of range');
      seen.add(id);
    }
  }
}

/** The database refusing a comparison (PostgreSQL: operator does not exist / invalid input syntax). */
const databaseError = (): RucioError => new RucioError(500, 'DatabaseException', 'An unknown Database Exception has occurred.');

/** SQL LIKE with Rucio's translation ('*' -> '%', '_' escaped with '\'), case-sensitive. */
export function likeMatches(text: string, pattern: string): boolean {
  const escaped = pattern.replaceAll('*', '%').replaceAll('_', '\\_');
  let re = '';
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i] as string;
    if (c === '\\' && i + 1 < escaped.length) re += (escaped[++i] as string).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(text);
}

function compare(a: string | number | boolean, op: Op, b: string | number | boolean): boolean {
  switch (op) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'gt': return a > b;
    case 'gte': return a >= b;
    case 'lt': return a < b;
    case 'lte': return a <= b;
  }
}

const TYPE_NAMES = new Set(['FILE', 'DATASET', 'CONTAINER', 'ARCHIVE', 'DELETED_FILE']);

/** The bound value as the column's SQL type would take it, or a database error. */
function coerce(type: ColumnType, v: FilterValue): string | number | boolean {
  if (v instanceof DidTypeValue) {
    if (type !== 'type') throw databaseError();
    return v.name;
  }
  if (v === null || Array.isArray(v) || v instanceof PyDict) throw databaseError();
  switch (type) {
    case 'str':
      if (typeof v !== 'string') throw databaseError();
      return v;
    case 'type':
      if (typeof v !== 'string' || !TYPE_NAMES.has(v)) throw new PythonError(`'${pyStr(v)}' is not among the defined enum values`);
      return v;
    case 'int':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) return Number(v);
      throw databaseError();
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string' && /^(t|true|y|yes|on|1)$/i.test(v.trim())) return true;
      if (typeof v === 'string' && /^(f|false|n|no|off|0)$/i.test(v.trim())) return false;
      throw databaseError();
    case 'date':
      if (v instanceof PyDatetime) return v.ms;
      if (typeof v === 'string') {
        const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`);
        if (!Number.isNaN(ms)) return ms;
      }
      throw databaseError();
  }
}

/** One criterion on a column: NULL matches only '.ne' (which Rucio widens with OR IS NULL). */
function columnMatches(type: ColumnType, actual: unknown, c: Criterion): boolean {
  if (matchesAnything(c.value)) return true;
  if (c.op === null) throw new PythonError("'NoneType' object is not callable");
  if (c.value === null) return c.op === 'eq' ? actual === null : c.op === 'ne';
  if (hasWildcard(c.value)) {
    if (type !== 'str') throw databaseError();
    if (actual === null) return c.op === 'ne';
    return likeMatches(String(actual), c.value) === (c.op === 'eq');
  }
  const bound = coerce(type, c.value);
  if (actual === null || actual === undefined) return c.op === 'ne';
  return compare(actual as string | number | boolean, c.op, bound);
}

/** The JSON plugin's view of a metadata value: ->> text, cast as the filter value's type asks. */
function jsonMatches(meta: Record<string, unknown>, c: Criterion): boolean {
  if (matchesAnything(c.value)) return true;
  if (c.op === null) throw new PythonError("'NoneType' object is not callable");
  const key = typeof c.key === 'string' ? c.key : pyStr(c.key);
  const present = key in meta && meta[key] !== null;
  const text = present ? (typeof meta[key] === 'string' ? (meta[key] as string) : JSON.stringify(meta[key])) : null;
  // Comparing with None is IS NULL / IS NOT NULL; any other operator with NULL matches nothing.
  if (c.value === null) return c.op === 'eq' ? text === null : c.op === 'ne' ? text !== null : false;
  if (text === null) return false;
  if (hasWildcard(c.value)) return likeMatches(text, c.value) === (c.op === 'eq');
  const inconsistent = (): RucioError => new RucioError(500, 'InvalidMetadata', `Database query failed: invalid input syntax for the value of '${key}': "${text}". ` +
    'This can be raised when the datatype of a key is inconsistent between dids.');
  if (typeof c.value === 'boolean') {
    if (text !== 'true' && text !== 'false') throw inconsistent();
    return compare(text === 'true', c.op, c.value);
  }
  if (typeof c.value === 'number') {
    const n = Number(text);
    if (text.trim() === '' || Number.isNaN(n)) throw inconsistent();
    return compare(n, c.op, c.value);
  }
  // cast(cast(json, Text), DateTime): the JSON text keeps its quotes, which no timestamp parses.
  if (c.value instanceof PyDatetime) throw inconsistent();
  if (typeof c.value === 'string') return compare(text, c.op, c.value);
  throw databaseError();
}

/**
 * What create_sqla_query and the database refuse before any row is read: an operator that is not one
 * (None is not callable), a wildcard on a column that is not text, a value of the wrong type for its column.
 */
export function checkQuery(groups: Criterion[][]): void {
  for (const c of groups.flat()) {
    if (matchesAnything(c.value)) continue;
    if (c.op === null) throw new PythonError("'NoneType' object is not callable");
    if (c.column === null || c.value === null) continue;
    if (hasWildcard(c.value)) {
      if (c.column !== 'str') throw databaseError();
    } else coerce(c.column, c.value);
  }
}

/** Whether a DID satisfies one translated filter (any OR group whose criteria all hold). */
export function matchesFilters(d: DidRow, groups: Criterion[][], model: 'dids' | 'did_meta'): boolean {
  const meta = model === 'did_meta' ? (JSON.parse(d.meta) as Record<string, unknown>) : {};
  return groups.some((group) => group.every((c) => {
    if (c.column !== null) return columnMatches(c.column, columnValue(d, c.key as string), c);
    return jsonMatches(meta, c);
  }));
}
