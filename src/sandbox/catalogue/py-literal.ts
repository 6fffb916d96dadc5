// The part of Python's ast.literal_eval that Rucio's DID search applies to its `filters`
// argument and to filter values (flaskapi/v1/dids.py Search.get, did_meta_plugins/filter_engine.py):
// str, int, float, bool, None, lists, tuples and dicts. Python's own exceptions become the
// catalogue's PythonError, which the server answers as Flask does for a non-Rucio error (500, str(error)).

/** A Python dict: its items in insertion order (a repeated key keeps its first place, takes the last value). */
export class PyDict {
  readonly items: [PyValue, PyValue][] = [];
  get(key: string): PyValue | undefined {
    return this.items.find(([k]) => k === key)?.[1];
  }
  has(key: string): boolean {
    return this.items.some(([k]) => k === key);
  }
  set(key: PyValue, value: PyValue): void {
    const at = this.items.findIndex(([k]) => k === key);
    if (at >= 0) (this.items[at] as [PyValue, PyValue])[1] = value;
    else this.items.push([key, value]);
  }
  delete(key: string): PyValue | undefined {
    const at = this.items.findIndex(([k]) => k === key);
    if (at < 0) return undefined;
    return (this.items.splice(at, 1)[0] as [PyValue, PyValue])[1];
  }
  copy(): PyDict {
    const d = new PyDict();
    for (const [k, v] of this.items) d.items.push([k, v]);
    return d;
  }
}

/** A Python datetime (naive, UTC), as filter_engine's strptime makes it. */
export class PyDatetime {
  constructor(readonly ms: number) {}
}

export type PyValue = null | boolean | number | string | PyValue[] | PyDict | PyDatetime;

/** An exception of Python itself (ValueError, SyntaxError, TypeError...): Flask answers 500 with str(error). */
export class PythonError extends Error {
  override readonly name = 'PythonError';
}

const MAX_DEPTH = 100;
const syntaxError = (): PythonError => new PythonError('invalid syntax (<unknown>, line 1)');

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): PyValue {
    const v = this.value(0);
    this.space();
    if (this.i < this.s.length) throw syntaxError();
    return v;
  }

  private space(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i] as string)) this.i++;
  }

  private value(depth: number): PyValue {
    if (depth > MAX_DEPTH) throw new PythonError('maximum recursion depth exceeded during compilation');
    this.space();
    const c = this.s[this.i];
    if (c === undefined) throw syntaxError();
    if (c === '[' || c === '(') return this.sequence(c === '[' ? ']' : ')', depth);
    if (c === '{') return this.dict(depth);
    if (c === "'" || c === '"') return this.string();
    if (/[rRuU]/.test(c) && /['"]/.test(this.s[this.i + 1] ?? '')) {
      this.i++;
      return this.string(c === 'r' || c === 'R');
    }
    if (c === '-' || c === '+') {
      this.i++;
      const v = this.value(depth + 1);
      if (typeof v !== 'number' || v === null) throw new PythonError('malformed node or string on line 1: <ast.UnaryOp object>');
      return c === '-' ? -v : v;
    }
    if (/[0-9.]/.test(c)) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (!word) throw syntaxError();
    this.i += word.length;
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    throw new PythonError('malformed node or string on line 1: <ast.Name object>');
  }

  /** Python 3.11 names the innermost bracket left open at the end of the text. */
  private open(bracket: string): void {
    this.space();
    if (this.i >= this.s.length) throw new PythonError(`'${bracket}' was never closed (<unknown>, line 1)`);
  }

  private sequence(close: string, depth: number): PyValue[] {
    const bracket = this.s[this.i] as string;
    this.i++;
    const out: PyValue[] = [];
    for (;;) {
      this.open(bracket);
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value(depth + 1));
      this.open(bracket);
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) throw syntaxError();
    }
  }

  private dict(depth: number): PyDict {
    this.i++;
    const out = new PyDict();
    for (;;) {
      this.open('{');
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const key = this.value(depth + 1);
      if (Array.isArray(key) || key instanceof PyDict) throw new PythonError(`unhashable type: '${Array.isArray(key) ? 'list' : 'dict'}'`);
      this.open('{');
      // A set ({a, b}) is a literal too, but never a filter: Rucio fails on it later; refuse it here.
      if (this.s[this.i] !== ':') throw new PythonError("'set' object has no attribute 'keys'");
      this.i++;
      out.set(key, this.value(depth + 1));
      this.open('{');
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') throw syntaxError();
    }
  }

  private string(raw = false): string {
    const quote = this.s[this.i] as string;
    this.i++;
    let out = '';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined || c === '\n') throw new PythonError('unterminated string literal (detected at line 1) (<unknown>, line 1)');
      this.i++;
      if (c === quote) break;
      if (c === '\\' && !raw) {
        const e = this.s[this.i++];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
        if (e !== undefined && e in simple) out += simple[e];
        else if (e === 'x' || e === 'u') {
          const n = e === 'x' ? 2 : 4;
          const hex = this.s.slice(this.i, this.i + n);
          if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw syntaxError();
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.i += n;
        } else out += `\\${e ?? ''}`;
      } else out += c;
    }
    // Adjacent literals concatenate, as in Python ('a' 'b' == 'ab').
    this.space();
    const next = this.s[this.i];
    return next === "'" || next === '"' ? out + this.string(raw) : out;
  }

  private number(): number {
    const m = /^(?:\d[\d_]*)?(?:\.\d*)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i));
    const text = m?.[0] ?? '';
    if (text === '' || text === '.') throw syntaxError();
    this.i += text.length;
    if (/[A-Za-z_]/.test(this.s[this.i] ?? '')) throw syntaxError();
    return Number(text.replace(/_/g, ''));
  }
}

/** ast.literal_eval(text). */
export function literalEval(text: string): PyValue {
  return new Parser(text).parse();
}

/** Python's type name of a value, for the messages Python's own errors carry. */
export function pyTypeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyDatetime) return 'datetime.datetime';
  return 'dict';
}

/** Python's str() of a scalar value, as '{}'.format(value) shows it in Rucio's messages. */
export function pyStr(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  if (v instanceof PyDatetime) return new Date(v.ms).toISOString().replace('T', ' ').replace(/\.000Z$/, '').replace(/Z$/, '');
  return pyTypeName(v);
}
