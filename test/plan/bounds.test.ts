import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanText } from '../../src/plan/index.js';
import { MAX_EXPERIMENTS, MAX_NAME_LENGTH } from '../../src/plan/bounds.js';
import { planContext } from './context.js';

async function problems(text: string): Promise<string[]> {
  const result = await loadPlanText(text, 'p.yaml', planContext());
  return result.ok ? [] : result.diagnostics.map(formatDiagnostic);
}
const lake = 'lake: { sandbox: true }\n';

describe('plan bounds', () => {
  it('refuses a 1 MB test name at its line, with the bound and not the library wording', async () => {
    const found = await problems(`${lake}experiments:\n  - name: e\n    tests:\n      - name: ${'n'.repeat(1_000_000)}\n        scenario: replicate\n`);
    expect(found).toEqual([`p.yaml:5:9: error: experiments[0].tests[0].name: at most ${MAX_NAME_LENGTH} characters`]);
  });

  it('accepts a name of exactly the bound', async () => {
    expect(await problems(`${lake}experiments: [{ name: ${'e'.repeat(MAX_NAME_LENGTH)}, tests: [{ name: t, scenario: replicate }] }]\n`)).toEqual([]);
  });

  it('bounds schedule offsets to a day and the number of experiments', async () => {
    const schedule = await problems(`${lake}experiments: [{ name: e, tests: [{ name: t, scenario: replicate, schedule: { cron: "* * * * *", offset_seconds: 86401 } }] }]\n`);
    expect(schedule).toHaveLength(1);
    expect(schedule[0]).toMatch(/offset_seconds: at most 86400 \(a day\)$/);
    const many = Array.from({ length: MAX_EXPERIMENTS + 1 }, (_, i) => `{ name: e${i}, tests: [{ name: t, scenario: replicate }] }`).join(', ');
    const experiments = await problems(`${lake}experiments: [${many}]\n`);
    expect(experiments).toHaveLength(1);
    expect(experiments[0]).toMatch(/experiments: at most 100 experiments$/);
  });
});
