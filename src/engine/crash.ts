// A scenario that throws is a bug in the scenario: its report is one redacted line that
// says where (file:line of the scenario's own code), the stack only when asked for.
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classify } from './classify.js';
import { redact } from './redact.js';

/** lakeprobe's own library (src/, or dist/src/ when built): frames there are not the scenario's. */
const LIBRARY_DIR = dirname(dirname(fileURLToPath(import.meta.url))) + sep;
const MAX_STACK_LINES = 30;

/** The file:line of each stack frame, innermost first. */
function frames(stack: string): string[] {
  const out: string[] = [];
  for (const line of stack.split('\n')) {
    const m = /^\s*at (?:.*? \()?(.+?):(\d+):\d+\)?\s*$/.exec(line);
    if (m) out.push(`${(m[1] as string).replace(/^file:\/\//, '')}:${m[2]}`);
  }
  return out;
}

/** The innermost frame in the scenario's code: not Node's, not a dependency's, not lakeprobe's library. */
export function crashLocation(error: unknown): string {
  const stack = error instanceof Error ? error.stack ?? '' : '';
  const all = frames(stack).filter((f) => f.startsWith('/') || /^[A-Za-z]:/.test(f));
  const own = all.find((f) => !f.includes(`${sep}node_modules${sep}`) && !f.startsWith(LIBRARY_DIR));
  return own ?? all[0] ?? 'unknown location';
}

/**
 * "crashed at <file:line>: <message>", redacted and on one line; with `debug`, the
 * redacted stack follows on the next lines.
 */
export function describeCrash(error: unknown, secrets: readonly string[], debug = false): string {
  const line = `crashed at ${crashLocation(error)}: ${classify(error, secrets).message}`;
  if (!debug || !(error instanceof Error) || !error.stack) return line;
  const stack = error.stack.split('\n').filter((l) => /^\s*at /.test(l)).slice(0, MAX_STACK_LINES);
  return [line, ...stack.map((l) => `    ${redact(l.trim(), secrets)}`)].join('\n');
}
