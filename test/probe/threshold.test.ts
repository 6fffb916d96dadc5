import { describe, expect, it } from 'vitest';
import { parseThreshold } from '../../src/probe/threshold.js';
import { formatDiagnostic, loadPlanText } from '../../src/plan/index.js';
import { planContext } from '../plan/context.js';

describe('parseThreshold', () => {
  it('reads a percentile of durations with a unit and a tag filter', () => {
    expect(parseThreshold('duration{operation:upload,rse:SITE_A}', 'p(95) < 30s')).toMatchObject({
      metric: 'duration', tags: { operation: 'upload', rse: 'SITE_A' }, aggregate: 'p', percentile: 95,
      comparator: '<', limit: 30_000,
    });
  });

  it('reads rates, counts, throughputs and links', () => {
    expect(parseThreshold('failure_rate', 'rate<0.01')).toMatchObject({ aggregate: 'rate', comparator: '<', limit: 0.01 });
    expect(parseThreshold('operations{test:up}', 'count>=10')).toMatchObject({ aggregate: 'count', comparator: '>=', limit: 10 });
    expect(parseThreshold('throughput{link:A->B,size_class:512MiB}', 'med > 50MB/s')).toMatchObject({
      metric: 'throughput', tags: { link: 'A->B', size_class: '512MiB' }, aggregate: 'med', limit: 50e6,
    });
    expect(parseThreshold('duration', 'avg <= 500')).toMatchObject({ limit: 500 });
    expect(parseThreshold('duration', 'max < 2m')).toMatchObject({ limit: 120_000 });
  });

  it.each([
    ['latency', 'p(95)<1s', 'unknown threshold metric "latency"'],
    ['duration{op:upload}', 'p(95)<1s', 'unknown tag "op"'],
    ['duration{operation}', 'p(95)<1s', 'is not tag:value'],
    ['duration{link:AB}', 'p(95)<1s', 'is not SRC->DST'],
    ['duration', 'p(95)', 'is not aggregate comparator value'],
    ['duration', 'p(0)<1s', '0 < N <= 100'],
    ['duration', 'p(101)<1s', '0 < N <= 100'],
    ['duration', 'rate<0.1', '"rate" does not apply to duration'],
    ['duration', 'avg(3)<1s', '"avg" takes no argument'],
    ['duration', 'p(95)<fast', 'is not a duration'],
    ['failure_rate', 'rate<2', 'between 0 and 1'],
    ['operations', 'count>1.5', 'a whole number'],
    ['throughput', 'avg>50MB', 'is not a rate'],
    ['x'.repeat(201), 'count>1', 'longer than 200'],
  ])('refuses %s: %s with a message saying why', (key, expression, why) => {
    expect(() => parseThreshold(key, expression)).toThrow(why);
  });
});

describe('thresholds in a plan', () => {
  const plan = (thresholds: string): string => `
lake: { sandbox: true }
${thresholds}
experiments:
  - name: E
    tests:
      - name: up
        scenario: replicate
`;

  it('are resolved for the plan and for each test', async () => {
    const text = `
lake: { sandbox: true }
thresholds:
  "failure_rate": ["rate < 0.01"]
regression: { throughput_drop_percent: 20, new_error_class: true }
experiments:
  - name: E
    tests:
      - name: up
        scenario: replicate
        thresholds:
          "duration{operation:upload}": ["p(95) < 30s", "max < 1m"]
`;
    const result = await loadPlanText(text, 'plan.yaml', planContext());
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    if (!result.ok) throw new Error('plan refused');
    expect(result.plan.thresholds?.map((t) => `${t.key} ${t.expression}`)).toEqual(['failure_rate rate < 0.01']);
    expect(result.plan.experiments[0]?.tests[0]?.thresholds?.map((t) => t.limit)).toEqual([30_000, 60_000]);
    expect(result.plan.regression).toEqual({ throughputDropPercent: 20, newErrorClass: true, minSamples: 1 });
  });

  it('refuses a bad expression at its own line, naming the field', async () => {
    const result = await loadPlanText(plan('thresholds:\n  "duration":\n    - "p(95) < 1s"\n    - "p(95) <"'), 'plan.yaml', planContext());
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      expect.stringMatching(/^plan\.yaml:6:\d+: error: thresholds\.duration\[1\]: .*is not aggregate comparator value/),
    ]);
  });

  it('refuses an out-of-range regression rule', async () => {
    const result = await loadPlanText(plan('regression: { throughput_drop_percent: 150 }'), 'plan.yaml', planContext());
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map(formatDiagnostic).join('\n')).toMatch(/plan\.yaml:3:\d+: error: regression\.throughput_drop_percent/);
  });
});
