import type { OpResult } from '../../src/engine/op-result.js';

/** A successful upload result on SITE_A; tests override what they look at. */
export function opResult(overrides: Partial<OpResult> = {}): OpResult {
  return {
    runId: 'run-1', experiment: 'ska', test: 'upload', scenario: 'upload', operation: 'upload',
    rse: 'SITE_A', srcRse: '', dstRse: '', protocol: 'davs', authMethod: 'x509', identityRole: 'default',
    bytes: 0, sizeClass: '0B', start: '2024-03-01T10:00:00.000Z', durationMs: 100,
    outcome: 'ok', severity: 'info', errorClass: null, errorMessage: '', ruleId: '', requestId: '',
    ...overrides,
  };
}
