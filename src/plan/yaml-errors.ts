// The YAML library's errors said in the project's words, at the place a reader looks:
// the duplicate key by name, an unclosed quote where it opens, no hints at library calls.
import { isScalar, visit, type Document, type YAMLError } from 'yaml';

/** Deepest nesting of mappings and lists a plan may have. */
export const MAX_NESTING = 64;
/** Aliases a plan may expand (the YAML library's own limit is the same). */
export const MAX_ALIAS_COUNT = 100;

export interface PlacedMessage {
  /** Offset in the source the message belongs to. */
  offset: number;
  message: string;
}

/** One YAML error, reworded and placed. */
export function yamlErrorMessage(e: YAMLError, text: string, doc: Document): PlacedMessage {
  const offset = e.pos[0];
  if (/Maximum call stack size exceeded/.test(e.message)) {
    return { offset, message: `nested too deeply (more than ${MAX_NESTING} levels of mappings and lists)` };
  }
  switch (e.code) {
    case 'DUPLICATE_KEY': {
      const key = /^[^:\n]*/.exec(text.slice(offset))?.[0].trim().replace(/^(["'])(.*)\1$/, '$2') ?? '';
      return { offset, message: `duplicate key ${JSON.stringify(key)}: each key may appear once in a mapping` };
    }
    case 'MISSING_CHAR':
      if (/closing "?quote/i.test(e.message) || /closing/.test(e.message)) {
        const opened = unclosedQuoteStart(doc, offset);
        if (opened !== undefined) return { offset: opened, message: 'quoted string never closed: add the closing quote' };
      }
      break;
    case 'MULTIPLE_DOCS':
      return { offset, message: 'a plan is one YAML document: remove the "---" and what follows, or make it a second plan file' };
    case 'TAB_AS_INDENT':
      return { offset, message: 'tab used for indentation: indent with spaces' };
    default:
      break;
  }
  return { offset, message: e.message.replace(/;?\s*please use [^.]*\(\)\.?/i, '') };
}

function unclosedQuoteStart(doc: Document, errorAt: number): number | undefined {
  let start: number | undefined;
  visit(doc, {
    Scalar(_, node) {
      if (start === undefined && isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')
        && node.range && node.range[1] >= errorAt - 1) start = node.range[0];
    },
  });
  return start;
}

/** The path to the first value nested deeper than MAX_NESTING, or undefined. */
export function tooDeep(value: unknown): (string | number)[] | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop() as { value: unknown; path: (string | number)[] };
    if (typeof v !== 'object' || v === null) continue;
    if (path.length >= MAX_NESTING) return path;
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [k, child] of entries) stack.push({ value: child, path: [...path, k] });
  }
  return undefined;
}
