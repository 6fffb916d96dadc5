// The criteria vocabulary of the logbook (files / volume in a time, a sustained rate, time to
// replicate per link, no rule stuck, deleted at origin, replicas on QoS classes, discoverable,
// metadata, availability) judged from known OpResults, each figure recounted here by hand;
// and the verdicts, Not verified included.
import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { evaluateCriteria } from '../../src/report/criteria.js';
import { overallVerdict, testReport } from '../../src/report/verdicts.js';
import type { TestSnapshot } from '../../src/results/plan-snapshot.js';
import { opResult } from '../helpers/op-result.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const MB = 1e6;

/** A dataset rule to QOS=SAFE (2 copies) and one to QOS=CHEAP (1 copy), placed by awaitRule's rule-level results. */
const placement = (expression: string, copies: number, o: Partial<OpResult>): OpResult => opResult({
  scenario: 'replication', test: 'rep', operation: 'replicate', srcRse: 'SRC', protocol: 'rucio', check: { kind: 'placement', target: expression, copies }, ...o,
});

const results: OpResult[] = [
  opResult({ scenario: 'replication', test: 'rep', operation: 'upload', rse: 'SRC', bytes: 10 * MB, start: at(0), durationMs: 2000 }),
  opResult({ scenario: 'replication', test: 'rep', operation: 'upload', rse: 'SRC', bytes: 10 * MB, start: at(2), durationMs: 2000 }),
  placement('QOS=SAFE', 2, { dstRse: 'A', rse: 'A', ruleId: 'r1', bytes: 20 * MB, start: at(5), durationMs: 20_000 }),
  placement('QOS=SAFE', 2, { dstRse: 'B', rse: 'B', ruleId: 'r1', bytes: 20 * MB, start: at(5), durationMs: 40_000 }),
  placement('QOS=CHEAP', 1, { dstRse: 'C', rse: 'C', ruleId: 'r2', bytes: 20 * MB, start: at(5), durationMs: 95_000 }),
  // The per-transfer rows (two 10 MB files to each of A, B, C) carry no check: they never count as placements.
  ...[['A', 'r1'], ['B', 'r1'], ['C', 'r2']].flatMap(([rse, ruleId], i) => [1, 2].map((n) => opResult({
    scenario: 'replication', test: 'rep', operation: 'replicate', srcRse: 'SRC', dstRse: rse, rse, protocol: 'https-tpc',
    requestId: `q${i}${n}`, ruleId, bytes: 10 * MB, start: at(5), durationMs: 1000 * (i + n),
  }))),
  opResult({ scenario: 'replication', test: 'rep', operation: 'delete', rse: 'SRC', check: { kind: 'deleted_at_origin', target: 'SRC' }, start: at(100), durationMs: 5000 }),
];

const snapshot = (success: TestSnapshot['success'], params = '{}'): TestSnapshot => ({
  name: 'rep', scenario: 'replication', description: 'replicate to SAFE and CHEAP', auth: null, params, success,
});

describe('the criteria vocabulary', () => {
  // The failure-rate criterion comes first; the ones under test follow.
  const judge = (s: TestSnapshot['success'], rs = results) => evaluateCriteria(rs, s, 'replication', { slotSeconds: 60 }).slice(1);

  it('judges a sustained rate over the bytes that reached their destination and the test\'s wall time', () => {
    // Replicated: six file transfers of 10 MB (rule-level rows are no files), over 0 s → 105 s: 571 kB/s.
    const rate = 6 * 10 * MB / 105;
    const [c] = judge({ maxFailureRate: 0, minRate: 0.5 * MB });
    expect(c).toMatchObject({ text: '≥ 500 kB/s sustained', status: 'met' });
    expect(c?.actual).toContain(`${Math.round(rate / 1000)} kB/s`);
    expect(judge({ maxFailureRate: 0, minRate: 1 * MB })[0]?.status).toBe('missed');
  });

  it('judges time to replicate as a percentile on every link, from the rule-level results only', () => {
    const [ok] = judge({ maxFailureRate: 0, replicationTime: { percentile: 95, maxSeconds: 100 } });
    expect(ok).toMatchObject({ text: 'time to replicate p95 ≤ 100 s on every link', status: 'met', actual: 'SRC→C p95 95 s, SRC→B p95 40 s, SRC→A p95 20 s' });
    expect(judge({ maxFailureRate: 0, replicationTime: { percentile: 95, maxSeconds: 60 } })[0]?.status).toBe('missed');
  });

  it('says a rule stuck or slower than the bound misses "no rule stuck or replicating beyond"', () => {
    expect(judge({ maxFailureRate: 0, maxRuleSeconds: 100 })[0]).toMatchObject({ status: 'met', actual: '3 rule placements, slowest 95 s' });
    expect(judge({ maxFailureRate: 0, maxRuleSeconds: 60 })[0]?.status).toBe('missed');
    const stuck = [...results, placement('QOS=SAFE', 2, { dstRse: 'D', ruleId: 'r3', start: at(5), durationMs: 1000, outcome: 'failed', errorClass: 'rule_stuck', severity: 'error' })];
    expect(judge({ maxFailureRate: 1, maxRuleSeconds: 100 }, stuck)[0]).toMatchObject({ status: 'missed', actual: '4 rule placements, slowest 95 s, 1 not OK (rule_stuck)' });
  });

  it('counts copies per rule on the asked expression', () => {
    const [safe, cheap] = judge({ maxFailureRate: 0, replicas: [{ expression: 'QOS=SAFE', copies: 2 }, { expression: 'QOS=CHEAP', copies: 2 }] });
    expect(safe).toMatchObject({ text: '2 copies on QOS=SAFE', status: 'met', actual: '1 of 1 rule with 2 OK copies (on A, B)' });
    // The CHEAP rule placed one copy: two were asked.
    expect(cheap).toMatchObject({ text: '2 copies on QOS=CHEAP', status: 'missed', actual: '0 of 1 rule with 2 OK copies (on C)' });
    expect(judge({ maxFailureRate: 0, replicas: [{ expression: 'QOS=FAST', copies: 1 }] })[0]).toMatchObject({ status: 'inconclusive', actual: 'no rule on QOS=FAST recorded' });
  });

  it('reads deleted at origin, discoverable and metadata from the checks that record them, inconclusive without one', () => {
    const [deleted, discoverable, metadata] = judge({ maxFailureRate: 0, deletedAtOrigin: true, discoverable: true, metadata: true });
    expect(deleted).toMatchObject({ text: 'deleted at the origin', status: 'met', actual: '1 of 1 checks held' });
    expect(discoverable).toMatchObject({ status: 'inconclusive', actual: 'no discoverable check recorded' });
    expect(metadata).toMatchObject({ status: 'inconclusive', actual: 'no metadata check recorded' });
    const stillThere = results.map((r) => (r.check?.kind === 'deleted_at_origin'
      ? { ...r, outcome: 'failed' as const, errorClass: 'rule_timeout' as const, errorMessage: '1 replica(s) still on SRC after 120 s' } : r));
    expect(judge({ maxFailureRate: 1, deletedAtOrigin: true }, stillThere)[0]).toMatchObject({
      status: 'missed', actual: '0 of 1 checks held (not on SRC: 1 replica(s) still on SRC after 120 s)',
    });
  });

  it('judges availability per RSE over the window: the lowest RSE must reach the target', () => {
    // One-minute slots: SRC is up in slots 0 and 1 (uploads, the delete at 100 s), C in slot 0; a failed write to C in slot 3.
    const rs = [...results.map((r) => ({ ...r, protocol: r.operation === 'replicate' ? 'https-tpc' : 'davs' })),
      opResult({ scenario: 'replication', test: 'rep', operation: 'upload', rse: 'C', start: at(200), outcome: 'failed', errorClass: 'server_error', severity: 'error' })];
    const [c] = judge({ maxFailureRate: 1, minAvailability: 0.9 }, rs);
    expect(c).toMatchObject({ text: 'availability ≥ 90 % on every RSE', status: 'missed', actual: 'lowest C 50.0 % (1 of 2 slots of 60 s)' });
  });

  it('states the full-scale target beside a scaled one', () => {
    const [, c] = evaluateCriteria(results, { minFiles: 3, withinSeconds: 600 }, 'replication', {
      slotSeconds: 60, fullScale: { minFiles: 800_000, withinSeconds: 43_200 },
    });
    expect(c).toMatchObject({ text: '3 files replicated within 600 s', status: 'met', fullScale: '800000 files replicated within 43200 s' });
  });
});

describe('verdicts', () => {
  const report = (rs: OpResult[], success: TestSnapshot['success'] = {}) =>
    testReport({ experiment: 'E', snapshot: snapshot(success), results: rs, interruptedRuns: new Set(), slotSeconds: 60 });

  it('Not verified: every check of the other identity inconclusive, nothing else failing', () => {
    const embargo = [
      opResult({ test: 'rep', operation: 'auth' }),
      opResult({ test: 'rep', operation: 'upload', rse: 'A', bytes: 1024 }),
      ...[1, 2, 3].map((i) => opResult({ test: 'rep', operation: 'access', rse: 'A', identityRole: 'nonmember-x509', start: at(i), outcome: 'failed', errorClass: 'inconclusive', severity: 'error', errorMessage: 'the outsider could not log in' })),
    ];
    const t = report(embargo);
    expect(t.verdict).toBe('Not verified');
    expect(t.reasons[0]).toBe('nothing could be checked: 3 checks inconclusive (the outsider could not log in)');
  });

  it('Not verified: a test that only logged in and listed, with nothing failing; Failed when its operations failed', () => {
    const loginOnly = [opResult({ test: 'rep', operation: 'auth' }), opResult({ test: 'rep', operation: 'list', rse: '' })];
    expect(report(loginOnly).verdict).toBe('Not verified');
    expect(report(loginOnly).reasons[0]).toBe('nothing could be checked: nothing was done beyond logins and listings');
    const failed = [...loginOnly, opResult({ test: 'rep', operation: 'upload', rse: 'A', outcome: 'failed', errorClass: 'server_error', severity: 'error' })];
    expect(report(failed).verdict).toBe('Failed');
  });

  it('Not verified when every stated criterion could not be judged; Partially when one was missed and data moved', () => {
    expect(report(results, { metadata: true }).verdict).toBe('Not verified');
    expect(report(results, { metadata: true }).reasons[0]).toBe('nothing could be checked: metadata set and read back: no metadata check recorded');
    expect(report(results, { maxFailureRate: 0, replicas: [{ expression: 'QOS=CHEAP', copies: 2 }] }).verdict).toBe('Partially');
    expect(report(results, { maxFailureRate: 0, replicas: [{ expression: 'QOS=SAFE', copies: 2 }], deletedAtOrigin: true }).verdict).toBe('Completed');
  });

  it('a test whose scenario crashed is not Completed, even when every criterion it states holds', () => {
    const crash = opResult({ test: 'rep', operation: 'scenario', start: at(110), outcome: 'failed', errorClass: 'scenario_crash', severity: 'error', errorMessage: 'scenario x crashed at /p/x.ts:3: bug' });
    const success = { maxFailureRate: 0, replicas: [{ expression: 'QOS=SAFE', copies: 2 }], deletedAtOrigin: true };
    expect(report(results, success).verdict).toBe('Completed');
    const t = report([...results, crash], success);
    expect(t.verdict).toBe('Partially');
    expect(t.reasons.join('; ')).toContain('1 of');
  });

  it('shows QoS from the rules the test makes (expression, copies, lifetime) and its RSE expression as an expression', () => {
    const params = JSON.stringify({ rules: [{ expression: 'QOS=SAFE', copies: 2, lifetime: 1_209_600 }], transitions: [{ to: { expression: 'QOS=CHEAP', lifetime: 3600 } }] });
    const t = testReport({ experiment: 'E', snapshot: { ...snapshot({}, params), rses: { expression: 'QOS=OPPORTUNISTIC|QOS=SAFE' } }, results, interruptedRuns: new Set() });
    expect(t.qos).toBe('QOS=SAFE ×2 (14 d); QOS=CHEAP ×1 (1 h); QOS=OPPORTUNISTIC|QOS=SAFE');
    expect(t.rules).toEqual([{ expression: 'QOS=SAFE', copies: 2, lifetimeSeconds: 1_209_600 }, { expression: 'QOS=CHEAP', copies: 1, lifetimeSeconds: 3600 }]);
    // An expression where an RSE name would be (older runs' rule rows without locks) is no RSE.
    const withExpression = [...results, placement('QOS=OPPORTUNISTIC|QOS=SAFE', 1, { dstRse: 'QOS=OPPORTUNISTIC|QOS=SAFE', rse: 'QOS=OPPORTUNISTIC|QOS=SAFE' })];
    expect(report(withExpression).rses).toEqual(['A', 'B', 'C', 'SRC']);
  });

  it('one verdict over several tests: Completed only when every test that ran completed', () => {
    const v = (...verdicts: string[]) => overallVerdict(verdicts.map((verdict) => ({ verdict }) as never));
    expect(v('Completed', 'Not run')).toBe('Completed');
    expect(v('Completed', 'Not verified')).toBe('Partially');
    expect(v('Not verified', 'Not verified')).toBe('Not verified');
    expect(v('Failed', 'Not verified')).toBe('Failed');
    expect(v('Failed', 'Failed')).toBe('Failed');
    expect(v('Completed', 'Interrupted')).toBe('Interrupted');
    expect(v('Not run')).toBe('Not run');
  });
});
