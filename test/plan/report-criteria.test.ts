import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanText } from '../../src/plan/index.js';
import { planContext } from './context.js';

const plan = (test: string): string => `
lake: { rucio_host: https://rucio.example, auth_host: https://rucio.example, account: probe }
credentials: { userpass: { username: u, password_env: PW } }
experiments:
  - name: E
    tests:
      - ${test}
`;

async function load(test: string) {
  return loadPlanText(plan(test), '/plans/p.yaml', planContext({ PW: 'x' }));
}

describe('plan keys the challenge report reads', () => {
  it('takes a test description and the volume and success-rate criteria', async () => {
    const r = await load('{ name: t, scenario: replicate, description: "3 files to every RSE", success: { min_success_rate: 0.99, min_files: 3, min_bytes: 10GiB, within_seconds: 3600, max_p95_ms: 5000 } }');
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(r.ok).toBe(true);
    const t = r.ok ? r.plan.experiments[0]?.tests[0] : undefined;
    expect(t?.description).toBe('3 files to every RSE');
    expect(t?.success).toEqual({ maxFailureRate: undefined, maxP95Ms: 5000, minSuccessRate: 0.99, minFiles: 3, minBytes: 10 * 1024 ** 3, withinSeconds: 3600 });
  });

  it('refuses criteria out of bounds, naming file, line and field', async () => {
    const r = await load('{ name: t, scenario: replicate, success: { min_success_rate: 1.5, min_bytes: 5PB, within_seconds: 99999999 } }');
    expect(r.ok).toBe(false);
    const lines = r.diagnostics.map(formatDiagnostic).join('\n');
    expect(lines).toMatch(/\/plans\/p\.yaml:7:\d+: error: experiments\[0\]\.tests\[0\]\.success\.min_success_rate/);
    expect(lines).toContain('success.min_bytes');
    expect(lines).toContain('not a size: "5PB"');
    expect(lines).toMatch(/success\.within_seconds: must be at most 31622400 \(a year\)/);
  });
});
