import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { loadTestPlan, runTestPlan, startTestLake } from './lake-fixture.js';

// The sandbox's XRootD RSEs also speak root://, so the `root` driver (xrdcp/xrdfs) is tested for real.
describe('upload over root:// to XRootD RSEs', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let results: OpResult[];

  beforeAll(async () => {
    env = await startTestLake('xrootd');
    const plan = await loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST, SANDBOX-NONDET] }
experiments:
  - name: ROOT
    tests:
      - { name: up, scenario: upload, auth: [x509, token], params: { size: 1500000, schemes: [root] } }
`);
    results = (await runTestPlan(plan)).results;
  });
  afterAll(() => env.stop());

  it('uploads, verifies, downloads and deletes with the root protocol, x509 and token', () => {
    for (const authMethod of ['x509', 'token'] as const) {
      for (const rse of ['SANDBOX-FAST', 'SANDBOX-NONDET']) {
        for (const operation of ['upload', 'register', 'rule', 'verify', 'download'] as const) {
          const r = results.find((x) => x.rse === rse && x.authMethod === authMethod && x.operation === operation);
          expect(r?.errorMessage, `${operation} ${rse} ${authMethod}`).toBe('');
          expect(r?.outcome, `${operation} ${rse} ${authMethod}`).toBe('ok');
        }
      }
    }
    const dataOps = results.filter((r) => ['upload', 'verify', 'download'].includes(r.operation));
    expect(new Set(dataOps.map((r) => r.protocol))).toEqual(new Set(['root']));
    expect(results.filter((r) => r.operation === 'delete' && r.protocol === 'root').every((r) => r.outcome === 'ok')).toBe(true);
  });
});
