// Wire formats of a Rucio (Python/Flask) server: its two JSON dialects, its
// date strings, and Python repr() for the few bodies that are not JSON.

const NON_ASCII = /[\u0080-\uffff]/g;

function asciiString(s: string): string {
  return JSON.stringify(s).replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function scalar(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  // Python's json.dumps writes float('inf') (an unlimited account limit) as Infinity.
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (typeof v === 'string') return asciiString(v);
  return undefined;
}

/** Python json.dumps() defaults, as Rucio's render_json uses: ', ' and ': ', keys in insertion order. */
export function pyJson(v: unknown): string {
  const s = scalar(v);
  if (s !== undefined) return s;
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  return `{${entries.map(([k, x]) => `${asciiString(k)}: ${pyJson(x)}`).join(', ')}}`;
}

/** Flask jsonify(): sorted keys, compact separators, trailing newline added by the caller. */
export function flaskJson(v: unknown): string {
  const s = scalar(v);
  if (s !== undefined) return s;
  if (Array.isArray(v)) return `[${v.map(flaskJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${asciiString(k)}:${flaskJson(x)}`).join(',')}}`;
}

/** 'Wed, 25 Nov 2026 01:04:23 UTC' (Rucio's date_to_str). */
export function rucioDate(ms: number | null): string | null {
  if (ms === null) return null;
  return new Date(ms).toUTCString().replace(/GMT$/, 'UTC');
}

/** '2026-11-25T00:04:20' (GET /accounts/<account>). */
export function isoSeconds(ms: number | null): string | null {
  if (ms === null) return null;
  return new Date(ms).toISOString().slice(0, 19);
}

/** Python repr() of a datetime.datetime, trailing zero fields dropped as Python does. */
export function pyDatetimeRepr(ms: number): string {
  const d = new Date(ms);
  const fields = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()];
  const seconds = d.getUTCSeconds();
  const micros = d.getUTCMilliseconds() * 1000;
  if (micros) fields.push(seconds, micros);
  else if (seconds) fields.push(seconds);
  return `datetime.datetime(${fields.join(', ')})`;
}

/** A value rendered verbatim by pyRepr (e.g. a datetime repr). */
export class PyLiteral {
  constructor(readonly text: string) {}
}

function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return quote + out + quote;
}

/** Python repr() of JSON-like values (dict keys in insertion order). */
export function pyRepr(v: unknown): string {
  if (v instanceof PyLiteral) return v.text;
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return pyStringRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  return `{${entries.map(([k, x]) => `${pyStringRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}

/** pprint.pformat(width=72) for the flat dicts of JSON schemas: one line if it fits, else one item per line. */
export function pyPformat(v: unknown): string {
  const oneLine = pyRepr(sortDeep(v));
  if (oneLine.length <= 72 || v === null || typeof v !== 'object' || Array.isArray(v)) return oneLine;
  const entries = Object.entries(sortDeep(v) as Record<string, unknown>);
  return `{${entries.map(([k, x]) => `${pyStringRepr(k)}: ${pyRepr(x)}`).join(',\n ')}}`;
}

function sortDeep(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof PyLiteral) return v;
  const sorted = Object.keys(v).sort();
  return Object.fromEntries(sorted.map((k) => [k, sortDeep((v as Record<string, unknown>)[k])]));
}
