import { describe, expect, it } from 'vitest';
import { evaluateThresholds } from '../../src/probe/evaluate.js';
import { parseThreshold } from '../../src/probe/threshold.js';
import { opResult } from '../helpers/op-result.js';

const up = (durationMs: number, extra: Parameters<typeof opResult>[0] = {}) =>
  opResult({ test: 'up', operation: 'upload', durationMs, bytes: 10_000_000, sizeClass: '8MiB', ...extra });

const results = [
  ...[100, 200, 300, 400, 500, 600, 700, 800, 900, 1000].map((d) => up(d)),
  up(50, { outcome: 'failed', severity: 'error', errorClass: 'connection_refused' }),
  opResult({ test: 'rep', operation: 'replicate', srcRse: 'A', dstRse: 'B', rse: 'B', bytes: 1e6, durationMs: 2000 }),
];

const one = (key: string, expression: string, scope = '') =>
  evaluateThresholds(results, [{ scope, threshold: parseThreshold(key, expression) }])[0];

describe('evaluateThresholds', () => {
  it('takes percentiles over successful operations only', () => {
    expect(one('duration{operation:upload}', 'p(90) < 950')).toMatchObject({ passed: true, value: 900, samples: 10 });
    expect(one('duration{operation:upload}', 'p(95) < 950')).toMatchObject({ passed: false, value: 1000 });
    expect(one('duration{operation:upload}', 'p(95) < 950')?.message).toContain('threshold crossed');
  });

  it('computes the failure rate over every matching operation', () => {
    expect(one('failure_rate{test:up}', 'rate < 0.05')).toMatchObject({ passed: false, value: 1 / 11, samples: 11 });
    expect(one('failure_rate{test:rep}', 'rate == 0')).toMatchObject({ passed: true, value: 0 });
  });

  it('computes throughput per data-moving operation, and filters by link', () => {
    expect(one('throughput{link:A->B}', 'min >= 0.5MB/s')).toMatchObject({ passed: true, value: 500_000, samples: 1 });
    expect(one('throughput{link:B->A}', 'min >= 0.5MB/s')).toMatchObject({ passed: false, value: null });
  });

  it('restricts a test-scoped threshold to that test', () => {
    expect(one('operations', 'count == 1', 'rep')).toMatchObject({ passed: true, value: 1 });
    expect(one('operations', 'count == 12')).toMatchObject({ passed: true, value: 12 });
  });

  it('fails a threshold that has nothing to measure, saying so', () => {
    const outcome = one('duration{rse:NOWHERE}', 'p(95) < 1s');
    expect(outcome).toMatchObject({ passed: false, value: null, samples: 0 });
    expect(outcome?.message).toContain('nothing to measure');
  });
});
