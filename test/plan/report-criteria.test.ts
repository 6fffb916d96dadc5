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

describe('the criteria vocabulary of the logbook', () => {
  it('takes rate, time to replicate, rule bound, deleted at origin, replicas, discoverable, metadata and availability', async () => {
    const r = await load(`{ name: t, scenario: replicate, success: { min_files: 800000, min_bytes: 15TB, within_seconds: 43200, min_rate: 350MB/s,
          replication_time: { max_seconds: 3600 }, max_rule_seconds: 43200, deleted_at_origin: true, discoverable: true, metadata: true,
          replicas: [{ expression: QOS=SAFE }, { expression: QOS=CHEAP-ANALYSIS, copies: 1 }], min_availability: 0.95 } }`);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    const t = r.ok ? r.plan.experiments[0]?.tests[0] : undefined;
    expect(t?.success).toMatchObject({
      minFiles: 800_000, minBytes: 15e12, withinSeconds: 43_200, minRate: 350e6, replicationTime: { percentile: 95, maxSeconds: 3600 },
      maxRuleSeconds: 43_200, deletedAtOrigin: true, discoverable: true, metadata: true, minAvailability: 0.95,
      replicas: [{ expression: 'QOS=SAFE', copies: 1 }, { expression: 'QOS=CHEAP-ANALYSIS', copies: 1 }],
    });
  });

  it('refuses unknown and malformed criteria at the key, with file and line', async () => {
    const r = await load(`{ name: t, scenario: replicate, success: {
          min_rate: 10MB,
          deleted_at_origin: false,
          min_files_per_hour: 3 } }`);
    expect(r.ok).toBe(false);
    const lines = r.diagnostics.map(formatDiagnostic);
    const at = (key: string): string | undefined => lines.find((l) => l.includes(`.success.${key}:`));
    expect(at('min_rate')).toMatch(/p\.yaml:8:\d+: error: .*not a rate: "10MB" \(use e\.g\. 100MB\/s/);
    expect(at('deleted_at_origin')).toMatch(/p\.yaml:9:.*set true, or leave it out/);
    expect(at('min_files_per_hour')).toMatch(/p\.yaml:10:.*unknown key "min_files_per_hour"/);
  });

  it('refuses contradictory criteria at the key, with file and line', async () => {
    const r = await load(`{ name: t, scenario: replicate, success: {
          within_seconds: 600,
          replication_time: { max_seconds: 900 }, max_rule_seconds: 600,
          replicas: [{ expression: QOS=SAFE }, { expression: QOS=SAFE, copies: 2 }] } }`);
    expect(r.ok).toBe(false);
    const lines = r.diagnostics.map(formatDiagnostic);
    const at = (key: string): string | undefined => lines.find((l) => l.includes(`.success.${key}:`));
    expect(at('within_seconds')).toMatch(/p\.yaml:8:\d+: error: .*within_seconds needs min_files or min_bytes/);
    expect(at('replication_time.max_seconds')).toMatch(/p\.yaml:9:.*more than max_rule_seconds \(600\): a file cannot take longer than its rule/);
    expect(at('replicas[1].expression')).toMatch(/p\.yaml:10:.*"QOS=SAFE" is asked twice/);
    expect(lines).toHaveLength(3);
  });
});
