// `results:` in a plan: where its runs are recorded when the command line does not say.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanText } from '../../src/plan/index.js';
import { planContext } from './context.js';

const planWith = (results: string): string => [
  'lake: { sandbox: true }',
  `results: ${results}`,
  'experiments:',
  '  - name: e',
  '    tests:',
  '      - { name: t, scenario: upload, params: { size: 1024 } }',
  '',
].join('\n');

describe("the plan's results store", () => {
  it('makes a file and the journal absolute, relative to the plan; keeps a PostgreSQL URL as written', async () => {
    const file = await loadPlanText(planWith('{ db: store/probe.db }'), '/srv/plans/p.yaml', planContext());
    expect(file.ok && file.plan.results).toEqual({ db: join('/srv/plans', 'store/probe.db') });
    const url = 'postgresql://agent_idia@db.example.org:5432/challenge?sslmode=verify-full';
    const shared = await loadPlanText(planWith(`{ db: "${url}", journal: ../journals/idia.db }`), '/srv/plans/p.yaml', planContext());
    expect(shared.ok && shared.plan.results).toEqual({ db: url, journal: '/srv/journals/idia.db' });
    const none = await loadPlanText(planWith('{}').replace('results: {}\n', ''), '/srv/plans/p.yaml', planContext());
    expect(none.ok && none.plan.results).toBeUndefined();
  });

  it('refuses a password in the URL (as user:password@ or ?password=), an unknown key and an empty value, naming line and field', async () => {
    for (const url of ['postgresql://probe:hunter2@db.example.org/c', 'postgres://probe@db.example.org/c?password=hunter2']) {
      const result = await loadPlanText(planWith(`{ db: "${url}" }`), 'p.yaml', planContext());
      expect(result.ok).toBe(false);
      const lines = result.diagnostics.map(formatDiagnostic).join('\n');
      expect(lines).toMatch(/^p\.yaml:2:\d+: error: results\.db: a password does not belong in the plan .*PGPASSFILE/m);
      expect(lines).not.toContain('hunter2');
    }
    const bad = await loadPlanText(planWith('{ db: "", store: x }'), 'p.yaml', planContext());
    const lines = bad.diagnostics.map(formatDiagnostic).join('\n');
    expect(lines).toMatch(/p\.yaml:2:\d+: error: results\.db: /);
    expect(lines).toMatch(/p\.yaml:2:\d+: error: results\.store: unknown key "store"/);
  });
});
