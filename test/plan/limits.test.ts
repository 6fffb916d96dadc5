import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanText } from '../../src/plan/index.js';
import { planContext } from './context.js';

const planWith = (limits: string, concurrency: string) => [
  'lake: { sandbox: true }',
  ...(limits ? [`limits: ${limits}`] : []),
  'experiments:',
  '  - name: e',
  '    tests:',
  '      - name: t',
  '        scenario: replicate',
  ...(concurrency ? [`        concurrency: ${concurrency}`] : []),
  '',
].join('\n');

describe('concurrency in the plan', () => {
  it('resolves a test concurrency and the plan-wide limits, with defaults for what is left out', async () => {
    const result = await loadPlanText(planWith('{ concurrency: 32, tests_in_parallel: 2 }', '8'), 'p.yaml', planContext());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.plan.limits).toEqual({ concurrency: 32, testsInParallel: 2, authMethodsInParallel: true });
    expect(result.plan.experiments[0]?.tests[0]?.concurrency).toBe(8);
  });

  it('leaves limits and concurrency unset when the plan says nothing (the engine defaults apply)', async () => {
    const result = await loadPlanText(planWith('', ''), 'p.yaml', planContext());
    expect(result.ok && result.plan.limits).toBeUndefined();
    expect(result.ok && result.plan.experiments[0]?.tests[0]?.concurrency).toBeUndefined();
  });

  it('refuses unbounded, fractional or unknown settings, naming line and field', async () => {
    const result = await loadPlanText(planWith('{ concurrency: 100000, tests_in_parallel: 0, threads: 4 }', '2.5'), 'p.yaml', planContext());
    expect(result.ok).toBe(false);
    const lines = result.diagnostics.map(formatDiagnostic).join('\n');
    expect(lines).toMatch(/p\.yaml:2:\d+: error: limits\.concurrency: /);
    expect(lines).toMatch(/p\.yaml:2:\d+: error: limits\.tests_in_parallel: /);
    expect(lines).toMatch(/p\.yaml:2:\d+: error: limits\.threads: unknown key "threads"/);
    expect(lines).toMatch(/p\.yaml:8:\d+: error: experiments\[0\]\.tests\[0\]\.concurrency: /);
  });
});
