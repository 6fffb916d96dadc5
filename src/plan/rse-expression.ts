// Syntax check of RSE expressions at validate time, with the grammar of Rucio's
// rse_expression_parser: primitives NAME, key=value, key<n, key>n and *; operators
// | & \ ; parentheses group. The catalogue evaluates them; here only the form counts.
import type { z } from 'zod';

/** `text` with the check of rseExpressionProblem: for the plan's `rses` and rule expressions in scenario params. */
export const rseExpressionString = (text: z.ZodString): z.ZodType<string> => text.superRefine((v, ctx) => {
  const problem = rseExpressionProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Longest expression a plan may give (Rucio stores rule expressions in 3000 characters). */
export const MAX_RSE_EXPRESSION_LENGTH = 3000;

const ATTR = '[A-Za-z0-9._-]+[=<>][A-Za-z0-9_-]+';
const TERM = '[A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)*';
const PRIMITIVE = `(?:\\(*(?:${ATTR}|${TERM}|\\*)\\)*)`;
const PATTERN = new RegExp(`^${PRIMITIVE}(?:[|&\\\\]${PRIMITIVE})*$`);

/** Why `expression` is not a valid RSE expression, or null when it is. */
export function rseExpressionProblem(expression: string): string | null {
  if (expression.length > MAX_RSE_EXPRESSION_LENGTH) {
    return `RSE expression is ${expression.length} characters long; at most ${MAX_RSE_EXPRESSION_LENGTH}`;
  }
  let depth = 0;
  for (const [i, ch] of [...expression].entries()) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return `unbalanced parentheses: ")" at character ${i + 1} closes nothing`;
  }
  if (depth > 0) return `unbalanced parentheses: ${depth} "(" never closed`;
  if (/[()]/.test(expression) && /\(\)|\([|&\\]|[|&\\]\)/.test(expression)) {
    return 'an operator or parenthesis without a term next to it';
  }
  if (!PATTERN.test(expression)) {
    return 'not an RSE expression: terms are NAME, key=value, key<n, key>n or *, joined by |, & or \\ and grouped with ( )';
  }
  return null;
}
