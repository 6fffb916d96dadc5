// Runs a zod schema over plan data and turns its issues into short, plain messages
// (one per unknown key, with a did-you-mean), keyed by data path.
import type { ZodType, core } from 'zod';
import { didYouMean, type PathSegment } from './diagnostics.js';

export interface PlanIssue {
  path: PathSegment[];
  message: string;
  severity: 'error' | 'warning';
}

export type Validation<T> = { ok: true; value: T; issues: [] } | { ok: false; issues: PlanIssue[] };

export function validate<T>(schema: ZodType<T>, data: unknown, basePath: readonly PathSegment[] = []): Validation<T> {
  // The error map sees the schema that raised an issue; remember each strict object's
  // keys so unknown keys can be matched against them afterwards.
  const allowedKeys = new Map<string, string[]>();
  const error = (iss: core.$ZodRawIssue): string | undefined => {
    if (iss.code === 'unrecognized_keys') {
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
      allowedKeys.set(pathKey(iss.path ?? []), shape ? Object.keys(shape) : []);
    }
    return issueMessage(iss);
  };
  const result = schema.safeParse(data, { error });
  if (result.success) return { ok: true, value: result.data, issues: [] };

  const issues: PlanIssue[] = [];
  for (const iss of result.error.issues) {
    const path = [...basePath, ...iss.path.map(toSegment)];
    if (iss.code === 'unrecognized_keys') {
      const allowed = allowedKeys.get(pathKey(iss.path)) ?? [];
      for (const key of iss.keys) {
        issues.push({ path: [...path, key], message: `unknown key "${key}"${didYouMean(key, allowed)}`, severity: 'error' });
      }
    } else {
      issues.push({ path, message: iss.message, severity: 'error' });
    }
  }
  return { ok: false, issues };
}

function issueMessage(iss: core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'required key is missing';
      return `expected ${iss.expected}, got ${describeValue(iss.input)}`;
    case 'invalid_value': {
      const options = iss.values.map((v) => JSON.stringify(v));
      const typo = typeof iss.input === 'string' ? didYouMean(iss.input, iss.values.map(String)) : '';
      return `expected one of ${options.join(', ')}, got ${describeValue(iss.input)}${typo}`;
    }
    case 'too_small':
      return sizeMessage(iss.origin, iss.minimum, iss.inclusive !== false, 'at least', '>');
    case 'too_big':
      return sizeMessage(iss.origin, iss.maximum, iss.inclusive !== false, 'at most', '<');
    case 'invalid_format':
      return iss.format === 'regex' ? `must match ${iss.pattern}` : `is not a valid ${iss.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(iss.divisor)}`;
    case 'invalid_union':
      return 'does not match any of the accepted forms';
    default:
      return undefined;
  }
}

function sizeMessage(origin: string, limit: number | bigint, inclusive: boolean, words: string, op: '>' | '<'): string {
  const n = String(limit);
  if (origin === 'array') return `must have ${words} ${n} item${n === '1' ? '' : 's'}`;
  if (origin === 'string') return n === '1' && words === 'at least' ? 'must not be empty' : `must be ${words} ${n} characters long`;
  return `must be ${op}${inclusive ? '=' : ''} ${n}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  // YAML's .nan and .inf parse as numbers; "got number NaN" would read as a contradiction.
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? '.nan (not a number)' : 'an infinite number';
  return `${typeof value} ${String(value)}`;
}

function toSegment(key: PropertyKey): PathSegment {
  return typeof key === 'number' ? key : String(key);
}

function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(toSegment));
}
