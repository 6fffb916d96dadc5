import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanText } from '../../src/plan/index.js';
import { MAX_RSE_EXPRESSION_LENGTH, rseExpressionProblem } from '../../src/plan/rse-expression.js';
import { planContext } from './context.js';

const TESTS = 'experiments: [{ name: e, tests: [{ name: t, scenario: replicate }] }]';

async function problems(text: string): Promise<string[]> {
  const result = await loadPlanText(text, 'p.yaml', planContext());
  return result.ok ? [] : result.diagnostics.map(formatDiagnostic);
}

describe('RSE expressions at validate time', () => {
  it.each(['*', 'SANDBOX-FAST', 'QOS=FAST|QOS=SAFE', '(tier=1&country=DE)\\SITE_X', 'freespace>100', 'A|(B&(C|D))'])(
    'accepts %j', (expression) => {
      expect(rseExpressionProblem(expression)).toBeNull();
    });

  it.each([
    ['QOS=FAST|((', 'unbalanced parentheses: 2 "(" never closed'],
    ['A)|(B', 'unbalanced parentheses: ")" at character 2 closes nothing'],
    ['A|', 'not an RSE expression'],
    ['A||B', 'not an RSE expression'],
    ['(|A)', 'an operator or parenthesis without a term next to it'],
    ['QOS==FAST', 'not an RSE expression'],
    ['A B', 'not an RSE expression'],
  ])('refuses %j: %s', (expression, message) => {
    expect(rseExpressionProblem(expression)).toContain(message);
  });

  it(`refuses an expression longer than ${MAX_RSE_EXPRESSION_LENGTH} characters`, () => {
    expect(rseExpressionProblem(Array.from({ length: 1000 }, (_, i) => `RSE${i}`).join('|'))).toMatch(/at most 3000/);
  });

  it('reports a bad expression in a plan at its line, naming rses.expression', async () => {
    const text = `lake: { sandbox: true }\nrses:\n  expression: "QOS=FAST|(("\n${TESTS}\n`;
    const found = await problems(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^p\.yaml:3:\d+: error: rses\.expression: unbalanced parentheses/);
  });
});

describe('sandbox_config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-sandbox-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a directory, naming lake.sandbox_config', async () => {
    const found = await problems(`lake: { sandbox: true, sandbox_config: ${JSON.stringify(dir)} }\n${TESTS}\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^p\.yaml:1:\d+: error: lake\.sandbox_config: .* not a regular file \(a directory\?\)/);
  });
});
