import { describe, expect, it } from 'vitest';
import { probeChecks, probeOutcome, probeSummaryMarkdown, lakeUnreachable } from '../../src/probe/verdict.js';
import { evaluateThresholds } from '../../src/probe/evaluate.js';
import { parseThreshold } from '../../src/probe/threshold.js';
import { opResult } from '../helpers/op-result.js';

const refused = opResult({ operation: 'auth', outcome: 'failed', severity: 'error', errorClass: 'connection_refused', errorMessage: 'connect ECONNREFUSED 127.0.0.1:1' });
const ok = opResult({ experiment: 'E', test: 't' });
const quota = opResult({ experiment: 'E', test: 't', operation: 'rule', outcome: 'failed', severity: 'error', errorClass: 'quota', errorMessage: '409 InsufficientAccountLimit' });

describe('probe verdict', () => {
  it('calls a lake unreachable only when nothing succeeded and every failure was a failure to connect', () => {
    expect(lakeUnreachable([refused, refused])).toBe(true);
    expect(lakeUnreachable([refused, ok])).toBe(false);
    expect(lakeUnreachable([refused, quota])).toBe(false);
    expect(lakeUnreachable([])).toBe(false);
  });

  it('names the error class and a sample message of a failed test', () => {
    const [check] = probeChecks([ok, quota], [{ experiment: 'E', test: 't', passed: false, reasons: ['failure rate 50.0% > 0.0%'] }], [], []);
    expect(check).toMatchObject({ suite: 'E', name: 't', passed: false, errorClass: 'quota' });
    expect(check?.message).toBe('failure rate 50.0% > 0.0%; mostly quota: 409 InsufficientAccountLimit');
  });

  it('orders outcomes: unreachable, critical, check failed, threshold failed, ok', () => {
    const passedTest = [{ experiment: 'E', test: 't', passed: true, reasons: [] }];
    const failedTest = [{ ...passedTest[0]!, passed: false }];
    const crossed = evaluateThresholds([ok], [{ scope: '', threshold: parseThreshold('duration', 'p(95) < 1') }]);
    const critical = opResult({ experiment: 'E', test: 't', outcome: 'failed', severity: 'critical', errorClass: 'embargo_violation' });
    expect(probeOutcome([refused], [])).toBe('unreachable');
    expect(probeOutcome([ok, critical], probeChecks([ok], passedTest, [], []))).toBe('critical');
    expect(probeOutcome([ok, quota], probeChecks([ok, quota], failedTest, crossed, []))).toBe('check_failed');
    expect(probeOutcome([ok], probeChecks([ok], passedTest, crossed, []))).toBe('threshold_failed');
    expect(probeOutcome([ok], probeChecks([ok], passedTest, [], []))).toBe('ok');
    expect(probeOutcome([ok], probeChecks([ok], passedTest, [], []), 1)).toBe('check_failed');
    expect(probeOutcome([], [])).toBe('check_failed');
  });

  it('summarises failed checks first in a Markdown table', () => {
    const checks = probeChecks([ok], [{ experiment: 'E', test: 't', passed: true, reasons: [] }],
      evaluateThresholds([ok], [{ scope: '', threshold: parseThreshold('duration', 'p(95) < 1') }]), []);
    const md = probeSummaryMarkdown('nightly', 'run-1', 'threshold_failed', checks);
    expect(md).toContain('## lakeprobe probe: nightly — threshold failed');
    expect(md).toContain('1 of 2 checks passed');
    expect(md.indexOf('❌')).toBeLessThan(md.indexOf('✅'));
  });
});
