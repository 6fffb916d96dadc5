// RSE expressions (Rucio's rse_expression_parser): primitives 'NAME', 'key=value',
// 'key<n', 'key>n', '*'; operators | & \ applied strictly left to right; parentheses group.
import { RucioError } from './errors.js';

export interface RseFacts {
  id: string;
  name: string;
  /** RSE table columns, compared instead of attributes when a key names one. */
  columns: Record<string, unknown>;
  attributes: Record<string, unknown>;
}

const ATTR = '[A-Za-z0-9._-]+[=<>][A-Za-z0-9_-]+';
const TERM = '[A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)*';
const PRIMITIVE = `(?:\\(*(?:${ATTR}|${TERM}|\\*)\\)*)`;
const PATTERN = new RegExp(`^${PRIMITIVE}(?:\\|${PRIMITIVE}|&${PRIMITIVE}|\\\\${PRIMITIVE})*`);
const PRIMITIVE_AT_START = new RegExp(`^${PRIMITIVE}`);

const invalid = (message: string): RucioError => new RucioError(400, 'InvalidRSEExpression', message);

type Op = '|' | '&' | '\\';

function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
}

function equals(stored: unknown, wanted: string): boolean {
  const text = asText(stored);
  if (text === null) return false;
  return typeof stored === 'boolean' ? text === wanted.toLowerCase() : text === wanted;
}

function asFloat(v: unknown): number | null {
  const text = asText(v);
  if (text === null || !/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) return null;
  return Number(text);
}

function primitive(expr: string, universe: RseFacts[]): Set<string> {
  const pick = (keep: (r: RseFacts) => boolean): Set<string> => new Set(universe.filter(keep).map((r) => r.id));
  if (expr === '*') return pick(() => true);
  const m = /^([^=<>]+)([=<>])(.*)$/.exec(expr);
  if (!m) return pick((r) => r.attributes[expr] === true || equals(r.attributes[expr], 'true'));
  const [, key = '', op, value = ''] = m;
  if (op === '=') {
    return pick((r) => (key in r.columns ? equals(r.columns[key], value) : equals(r.attributes[key], value)));
  }
  const bound = Number(value);
  return pick((r) => {
    const n = asFloat(r.attributes[key]);
    return n !== null && (op === '<' ? n < bound : n > bound);
  });
}

function combine(op: Op, left: Set<string>, right: Set<string>): Set<string> {
  if (op === '|') return new Set([...left, ...right]);
  if (op === '&') return new Set([...left].filter((x) => right.has(x)));
  return new Set([...left].filter((x) => !right.has(x)));
}

/** Length of the parenthesised term starting at expr[0] === '(' (without the outer parentheses). */
function termLength(expr: string): number {
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    if (expr[i] === '(') depth++;
    else if (expr[i] === ')') depth--;
    if (depth === 0) return i - 1;
  }
  throw invalid('Problem with parentheses.');
}

function resolve(expr: string, universe: RseFacts[]): Set<string> {
  let left: Set<string> | null = null;
  let op: Op | null = null;
  let rest = expr;
  while (rest.length > 0) {
    const c = rest[0];
    if (c === '|' || c === '&' || c === '\\') {
      op = c;
      rest = rest.slice(1);
      continue;
    }
    let right: Set<string>;
    if (c === '(') {
      const len = termLength(rest);
      right = resolve(rest.slice(1, 1 + len), universe);
      rest = rest.slice(len + 2);
    } else {
      const token = PRIMITIVE_AT_START.exec(rest)?.[0] ?? rest;
      right = primitive(token.replace(/[()]/g, ''), universe);
      rest = rest.slice(token.length);
    }
    left = left === null || op === null ? right : combine(op, left, right);
    op = null;
  }
  return left ?? new Set();
}

/** Validates and evaluates an expression; the result is sorted by RSE name and never empty. */
export function evaluateExpression(expression: string, universe: RseFacts[]): RseFacts[] {
  let open = 0;
  let close = 0;
  for (const ch of expression) {
    if (ch === '(') open++;
    else if (ch === ')') close++;
    if (close > open) throw invalid('Problem with parentheses.');
  }
  if (open !== close) throw invalid('Problem with parentheses.');
  const match = PATTERN.exec(expression);
  if (!match || match[0] !== expression) throw invalid('Expression does not comply to RSE Expression syntax');
  const ids = resolve(expression, universe);
  const result = universe.filter((r) => ids.has(r.id)).sort((a, b) => (a.name < b.name ? -1 : 1));
  if (result.length === 0) throw invalid('RSE Expression resulted in an empty set.');
  return result;
}
