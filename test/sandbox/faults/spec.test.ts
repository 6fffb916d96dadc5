import { describe, expect, it } from 'vitest';
import { describeFault, FAULT_KINDS, FaultSpecError, parseFaultSpec } from '../../../src/sandbox/faults/index.js';

function problemsOf(input: unknown): string[] {
  try {
    parseFaultSpec(input);
  } catch (err) {
    if (err instanceof FaultSpecError) return err.problems;
    throw err;
  }
  throw new Error('expected the spec to be refused');
}

describe('fault specs', () => {
  it('fills in the defaults of optional fields', () => {
    expect(parseFaultSpec({ kind: 'error_rate', rse: 'A', rate: 0.5 })).toEqual({
      kind: 'error_rate', rse: 'A', rate: 0.5, operation: '*', status: 500,
    });
    expect(parseFaultSpec({ kind: 'auth_fail' })).toEqual({ kind: 'auth_fail', status: 401 });
    expect(parseFaultSpec({ kind: 'catalogue_error', rate: 1 })).toEqual({ kind: 'catalogue_error', rate: 1, status: 500 });
    expect(parseFaultSpec({ kind: 'catalogue_timeout', delayMs: 10 })).toEqual({ kind: 'catalogue_timeout', delayMs: 10, rate: 1 });
  });

  it('accepts every kind it lists', () => {
    expect(FAULT_KINDS).toEqual([
      'rse_down', 'error_rate', 'checksum_missing', 'transfer_stuck', 'transfer_failure', 'auth_slow', 'auth_fail',
      'short_credentials', 'token_refused', 'gridmap_missing', 'catalogue_error', 'catalogue_timeout', 'embargo_open',
    ]);
  });

  it('transfer_failure names a reason from its list', () => {
    expect(parseFaultSpec({ kind: 'transfer_failure', rse: 'B', reason: 'no_space' })).toEqual({ kind: 'transfer_failure', rse: 'B', reason: 'no_space' });
    expect(problemsOf({ kind: 'transfer_failure', rse: 'B', reason: 'gremlins' })[0]).toMatch(/^reason: /);
    // Only the first N attempts fail: the retry after them succeeds.
    expect(parseFaultSpec({ kind: 'transfer_failure', rse: 'B', reason: 'source_error', attempts: 1 })).toMatchObject({ attempts: 1 });
    expect(problemsOf({ kind: 'transfer_failure', rse: 'B', reason: 'source_error', attempts: 0 })[0]).toMatch(/^attempts: /);
  });

  it('names the missing field', () => {
    expect(problemsOf({ kind: 'rse_down' })).toEqual(['rse: required']);
    expect(problemsOf({ kind: 'short_credentials' })).toEqual(['lifetimeSeconds: required']);
  });

  it('names the field out of range, and every bad field at once', () => {
    const problems = problemsOf({ kind: 'error_rate', rse: 'A', rate: 1.5, status: 200, operation: 'POST' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['operation', 'rate', 'status']);
    expect(problemsOf({ kind: 'catalogue_error', rate: 1, status: 504 })[0]).toMatch(/^status: .*500\|502\|503/);
  });

  it('refuses a field that the kind does not have', () => {
    expect(problemsOf({ kind: 'auth_slow', delayMs: 5, rse: 'A' })).toEqual(['rse: not a field of this fault kind']);
  });

  it('lists the known kinds when the kind is wrong or absent', () => {
    for (const input of [{ kind: 'disk_full' }, {}]) {
      const [problem] = problemsOf(input);
      expect(problem).toMatch(/^kind: must be one of rse_down, error_rate, /);
    }
  });

  it('describes a fault on one line', () => {
    expect(describeFault(parseFaultSpec({ kind: 'gridmap_missing', rse: 'A', user: 'member' }))).toBe('gridmap_missing rse=A user=member');
  });
});
