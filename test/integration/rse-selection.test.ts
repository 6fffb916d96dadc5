// RSE expressions that a coordinator must fix before a challenge are failures with their own
// class, never quietly resolved to the rest: one that matches no RSE (Rucio 41 raises
// InvalidRSEExpression "RSE Expression resulted in an empty set.", lib/rucio/core/rse_expression_parser.py
// parse_expression), and a QoS expression that matches an RSE without a QOS attribute.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import type { SandboxConfig } from '../../src/sandbox/sandbox-config.js';
import { loadTestPlan, runTestPlan, startTestLake, type TestLake } from './lake-fixture.js';

const RSES: SandboxConfig['rses'] = [
  { name: 'SITE-FAST', deterministic: true, attributes: { QOS: 'FAST', site: 'A' } },
  { name: 'SITE-SAFE', deterministic: true, attributes: { QOS: 'SAFE', site: 'B' } },
  // Its QoS class was taken away (set to null at DAC21): no QOS attribute.
  { name: 'SITE-NOQOS', deterministic: true, attributes: { site: 'C' } },
];

const PLAN = `
lake: { sandbox: true }
experiments:
  - name: IT
    tests:
      - name: no-rse
        scenario: upload
        auth: [x509]
        rses: { expression: QOS=COLD }
        params: { size: 1024 }
      - name: classless
        scenario: replication
        auth: [x509]
        params: { source: SITE-SAFE, files: 1, size: 1024, timeout_seconds: 60, poll_seconds: 0.2, rules: [{ expression: '*\\QOS=SAFE', lifetime: 600 }] }
      - name: classed
        scenario: replication
        auth: [x509]
        params: { source: SITE-SAFE, files: 1, size: 1024, timeout_seconds: 60, poll_seconds: 0.2, rules: [{ expression: 'QOS=FAST', lifetime: 600 }] }
`;

describe('RSE selection failures', () => {
  let env: TestLake;
  let results: OpResult[];
  beforeAll(async () => {
    env = await startTestLake('builtin', { rses: RSES });
    results = (await runTestPlan(await loadTestPlan(env.lake, env.dir, PLAN))).results;
  }, 120_000);
  afterAll(() => env?.stop());

  it('an expression that matches no RSE fails the test\'s RSE listing as rse_selection, and nothing is uploaded', () => {
    const mine = results.filter((r) => r.test === 'no-rse');
    const list = mine.find((r) => r.operation === 'list');
    expect(list).toMatchObject({ outcome: 'failed', errorClass: 'rse_selection' });
    expect(list?.errorMessage).toContain('"QOS=COLD" resolves to no RSE');
    expect(mine.filter((r) => r.operation === 'upload')).toEqual([]);
  });

  it('a QoS rule expression that brings in an RSE without a QoS class fails the rule, naming that RSE', () => {
    // The first rule holds the data at its source; the plan's rule is the one to the expression.
    const rule = results.find((r) => r.test === 'classless' && r.operation === 'rule' && r.rse === '');
    expect(rule).toMatchObject({ outcome: 'failed', errorClass: 'rse_selection' });
    expect(rule?.errorMessage).toContain('SITE-NOQOS');
    expect(rule?.errorMessage).not.toContain('SITE-FAST');
  });

  it('a QoS expression whose RSEs all have the class makes its rule and replicates', () => {
    const mine = results.filter((r) => r.test === 'classed');
    expect(mine.filter((r) => r.operation === 'rule').map((r) => r.outcome)).toEqual(['ok', 'ok']);
    expect(mine.filter((r) => r.operation === 'replicate').map((r) => [r.dstRse, r.outcome])).toContainEqual(['SITE-FAST', 'ok']);
  });
});
