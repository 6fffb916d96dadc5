// Syntax check for cron expressions as the scheduler accepts them: 5 fields
// (minute hour day-of-month month day-of-week) or 6 with seconds first. What passes
// here is then parsed by the scheduler's own parser (node-cron), so that every
// expression it would refuse (a step on a single value, a day no month has) is refused
// at validate time with the same words, not when the daemon starts.
import { CronMatcher } from '../schedule/cron-matcher.js';

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const FIVE_FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  {
    name: 'month', min: 1, max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  // 0 and 7 are both Sunday.
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** Returns why the expression is invalid, or null when it is well-formed. */
export function cronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5 && fields.length !== 6) {
    return `cron expression needs 5 or 6 fields, got ${fields.length}`;
  }
  const specs = fields.length === 6 ? [SECOND, ...FIVE_FIELDS] : FIVE_FIELDS;
  for (let i = 0; i < fields.length; i++) {
    const problem = fieldProblem(fields[i]!, specs[i]!);
    if (problem) return problem;
  }
  return schedulerProblem(expression);
}

/** The scheduler's own verdict: it parses the expression and finds its next fire time. */
function schedulerProblem(expression: string): string | null {
  let matcher: CronMatcher | undefined;
  try {
    matcher = new CronMatcher(expression);
    matcher.next(new Date());
    return null;
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
    if (/impossible day of month/.test(message)) return `"${expression}" names a date that never comes, so the test would never run (node-cron: ${message})`;
    return `the scheduler (node-cron) refuses "${expression}": ${message}`;
  } finally {
    matcher?.dispose();
  }
}

function fieldProblem(field: string, spec: FieldSpec): string | null {
  for (const item of field.split(',')) {
    const [range, step, ...extra] = item.split('/');
    if (extra.length > 0 || range === undefined || range === '') return `cron ${spec.name} field "${field}" is malformed`;
    if (step !== undefined && !/^[1-9]\d*$/.test(step)) {
      return `cron ${spec.name} field "${field}": step must be a positive integer`;
    }
    if (range === '*') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `cron ${spec.name} field "${field}" is malformed`;
    const values: number[] = [];
    for (const bound of bounds) {
      const value = fieldValue(bound, spec);
      if (value === null) {
        return `cron ${spec.name} field "${field}": "${bound}" is not in ${spec.min}-${spec.max}`;
      }
      values.push(value);
    }
    if (values.length === 2 && values[0]! > values[1]!) {
      return `cron ${spec.name} field "${field}": range start is after its end`;
    }
  }
  return null;
}

function fieldValue(token: string, spec: FieldSpec): number | null {
  const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return named + (spec.min === 1 ? 1 : 0);
  if (!/^\d+$/.test(token)) return null;
  const value = Number(token);
  return value >= spec.min && value <= spec.max ? value : null;
}
