// A results store with known operations at known times: the report tests check exact figures against it.
import type { OpResult, Severity } from '../../src/engine/op-result.js';
import type { ErrorClass } from '../../src/engine/taxonomy.js';
import type { ResolvedPlan } from '../../src/plan/index.js';
import { snapshotPlan } from '../../src/results/plan-snapshot.js';
import { ResultsStore } from '../../src/results/store.js';
import { opResult } from '../helpers/op-result.js';

export const MiB = 1024 * 1024;
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
/** The time `seconds` after 10:00 on 1 March 2026. */
export const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

export function knownPlan(success: { upload?: number } = {}): ResolvedPlan {
  return {
    name: 'dac-mini', file: '/plans/dac-mini.yaml', sandbox: true, lake: { vo: 'def', insecure: false }, credentials: {},
    rses: { expression: 'QOS=FAST' }, sources: [],
    experiments: [{
      name: 'SKA', description: 'SKA data challenge, March',
      tests: [
        { name: 'upload', scenario: 'upload', description: 'upload 1 MiB files to every RSE', auth: ['x509', 'token'], params: { size: MiB },
          rses: { expression: 'QOS=FAST' }, success: { minSuccessRate: success.upload ?? 0.75 } },
        { name: 'replicate', scenario: 'replicate', description: 'replicate from SITE_A', auth: ['x509'], params: { files: 3 },
          success: { maxFailureRate: 0, minFiles: 3, withinSeconds: 600 } },
        { name: 'embargo', scenario: 'embargo', description: 'outsiders cannot read embargoed data', auth: ['x509'], params: {} },
        { name: 'never', scenario: 'upload', auth: null, params: {} },
      ],
    }],
  };
}

type Over = Partial<OpResult>;
const ok = (o: Over): OpResult => opResult({ runId: 'run-1', experiment: 'SKA', ...o });
const bad = (errorClass: ErrorClass, errorMessage: string, o: Over, severity: Severity = 'error'): OpResult =>
  ok({ outcome: 'failed', errorClass, errorMessage, severity, ...o });

const up = (test: string) => ({ test, scenario: test });
const repl = (dst: string, bytes: number, start: number, durationMs: number): OpResult => ok({
  ...up('replicate'), operation: 'replicate', rse: dst, srcRse: 'SITE_A', dstRse: dst, protocol: 'https-tpc',
  bytes, sizeClass: bytes === MiB ? '1MiB' : '16MiB', start: at(start), durationMs,
});

/**
 * run-1, 10:00–10:31. upload: token login refused; x509 uploads on SITE_A (4 ok, one per 5-min slot)
 * and SITE_B (ok, refused, refused, ok). replicate: 3 files SITE_A→SITE_B, 2 SITE_A→SITE_C, one rule stuck at 10:20.
 * embargo: the outsider read the embargoed file on SITE_A at 10:30.
 */
export const KNOWN_RESULTS: OpResult[] = [
  ok({ ...up('upload'), operation: 'auth', rse: '', protocol: 'rucio', start: at(0), durationMs: 40 }),
  bad('auth_invalid', 'token from https://auth.example/token?sub=42 rejected: 401', { ...up('upload'), operation: 'auth', rse: '', protocol: 'rucio', authMethod: 'token', start: at(1), durationMs: 30 }),
  ...[60, 360, 660, 960].map((s) => ok({ ...up('upload'), rse: 'SITE_A', bytes: MiB, sizeClass: '1MiB', start: at(s), durationMs: 1000 })),
  ok({ ...up('upload'), rse: 'SITE_B', bytes: MiB, sizeClass: '1MiB', start: at(61), durationMs: 1000 }),
  bad('connection_refused', 'PUT https://se-b.example:1094/store/f2: connect ECONNREFUSED 10.0.0.5:1094', { ...up('upload'), rse: 'SITE_B', start: at(361), durationMs: 5 }),
  bad('connection_refused', 'PUT https://se-b.example:1094/store/f3: connect ECONNREFUSED 10.0.0.6:1094', { ...up('upload'), rse: 'SITE_B', start: at(661), durationMs: 7 }),
  ok({ ...up('upload'), rse: 'SITE_B', bytes: MiB, sizeClass: '1MiB', start: at(961), durationMs: 1000 }),

  ok({ ...up('replicate'), operation: 'auth', rse: '', protocol: 'rucio', start: at(0), durationMs: 40 }),
  repl('SITE_B', MiB, 120, 2000),
  repl('SITE_B', MiB, 180, 4000),
  repl('SITE_B', 16 * MiB, 240, 8000),
  repl('SITE_C', MiB, 300, 1000),
  repl('SITE_C', MiB, 301, 1000),
  bad('rule_stuck', 'rule 6f1a0c2e-1111-4222-8333-444455556666 went STUCK: no source available', {
    ...up('replicate'), operation: 'replicate', rse: 'SITE_B', srcRse: 'SITE_A', dstRse: 'SITE_B', protocol: 'https-tpc',
    ruleId: '6f1a0c2e-1111-4222-8333-444455556666', sizeClass: '1MiB', start: at(1200), durationMs: 60_000,
  }),

  ok({ ...up('embargo'), operation: 'auth', rse: '', protocol: 'rucio', start: at(1790), durationMs: 40 }),
  ok({ ...up('embargo'), rse: 'SITE_A', bytes: MiB, sizeClass: '1MiB', start: at(1795), durationMs: 500 }),
  ok({ ...up('embargo'), operation: 'access', rse: 'SITE_A', bytes: MiB, start: at(1797), durationMs: 300 }),
  bad('embargo_violation', 'an identity outside the embargo group read https://se-a.example/embargo/f1', {
    ...up('embargo'), operation: 'access', rse: 'SITE_A', identityRole: 'nonmember', start: at(1800), durationMs: 200,
  }, 'critical'),
];

/** A store holding run-1 (finished) with its plan. */
export function knownStore(path = ':memory:', plan = knownPlan()): ResultsStore {
  const store = new ResultsStore(path);
  store.onBegin({ runId: 'run-1', planName: plan.name, planFile: plan.file, startedAt: at(0) });
  store.savePlan('run-1', snapshotPlan(plan));
  for (const r of KNOWN_RESULTS) store.onResult(r);
  store.onEnd({ runId: 'run-1', planName: plan.name, planFile: plan.file, startedAt: at(0) },
    { total: KNOWN_RESULTS.length, failed: KNOWN_RESULTS.filter((r) => r.outcome === 'failed').length, finishedAt: at(1900) });
  return store;
}
