// DAC21 logbook failures that no other integration test switches on (docs/dac21-faults.md has
// the full table): each test switches on the sandbox fault that reproduces the failure, runs the
// scenario of the DAC21 plan test that met it, and checks the class lakeprobe reports.
// Rucio 41 behaviour the sandbox follows here: the reaper marks a replica BEING_DELETED and keeps
// it listed while the storage refuses the delete (lib/rucio/daemons/reaper/reaper.py,
// lib/rucio/core/replica.py list_and_mark_unlocked_replicas); a transfer's source read failing
// with a 5xx is the transfer's own error (lib/rucio/core/request.py get_transfer_error).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { loadTestPlan, runTestPlan, startTestLake, type TestLake } from './lake-fixture.js';

const plan = (test: string): string => `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
experiments:
  - name: DAC21
    tests:
${test}
`;

describe('DAC21 logbook failures, reproduced in the sandbox (builtin storage)', () => {
  let env: TestLake;
  beforeAll(async () => {
    env = await startTestLake('builtin');
  }, 60_000);
  afterEach(async () => {
    env.lake.faults.clear();
    await env.lake.faults.settled();
  });
  afterAll(() => env?.stop());
  const run = async (test: string): Promise<OpResult[]> => (await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(test)))).results;

  it('R3B: OIDC (token) access refused by the storage while x509 works → the token operations fail as auth_denied, x509 passes', async () => {
    env.lake.faults.add({ kind: 'token_refused', rse: 'SANDBOX-FAST' });
    const results = await run(`
      - { name: r3b-analysis, scenario: auth-matrix, auth: [x509, token], rses: { names: [SANDBOX-FAST] }, params: { size: 4096 } }`);
    const storage = results.filter((r) => r.rse === 'SANDBOX-FAST' && (r.operation === 'upload' || r.operation === 'download'));
    const token = storage.filter((r) => r.authMethod === 'token' && r.outcome === 'failed');
    expect(token.length).toBeGreaterThan(0);
    expect(new Set(token.map((r) => r.errorClass))).toEqual(new Set(['auth_denied']));
    expect(token[0]?.errorMessage).toContain('401');
    const x509 = storage.filter((r) => r.authMethod === 'x509');
    expect(x509.length).toBeGreaterThan(0);
    expect(x509.every((r) => r.outcome === 'ok')).toBe(true);
  }, 120_000);

  it('DLaaS shared space full: the storage answers 507 to writes → the upload fails as no_space', async () => {
    env.lake.faults.add({ kind: 'error_rate', rse: 'SANDBOX-FAST', operation: 'PUT', rate: 1, status: 507 });
    const results = await run(`
      - { name: uc2-process, scenario: upload, auth: [x509], rses: { names: [SANDBOX-FAST] }, params: { files: 1, size: 4096 } }`);
    const upload = results.find((r) => r.operation === 'upload');
    expect(upload).toMatchObject({ outcome: 'failed', errorClass: 'no_space' });
  }, 120_000);

  it('dCache 500s under TPC load: the source answers 500 to the transfer\'s read → the replication fails as transfer_source_error', async () => {
    // The source's GETs fail: after the upload, only the transfer's pull reads the source with GET.
    env.lake.faults.add({ kind: 'error_rate', rse: 'SANDBOX-FAST', operation: 'GET', rate: 1, status: 500 });
    const results = await run(`
      - { name: lsst-raw-replication, scenario: replicate, auth: [token], params: { size: 4096, pairs: [{ from: SANDBOX-FAST, to: SANDBOX-SAFE }], timeout_seconds: 60, poll_seconds: 0.2 } }`);
    const replicate = results.find((r) => r.operation === 'replicate' && r.dstRse === 'SANDBOX-SAFE');
    expect(replicate).toMatchObject({ outcome: 'failed', errorClass: 'transfer_source_error' });
    expect(replicate?.errorMessage).toContain('500');
  }, 180_000);

  it('CTA: deletion at the origin failing (the storage refuses the reaper\'s DELETE) → the deleted-at-origin check fails as deletion_stuck', async () => {
    env.lake.faults.add({ kind: 'error_rate', rse: 'SANDBOX-FAST', operation: 'DELETE', rate: 1, status: 503 });
    const results = await run(`
      - name: cta001-longhaul
        scenario: lifecycle
        auth: [x509]
        params: { mode: delete_origin, source: SANDBOX-FAST, files: 1, size: 4096, destination: { expression: SANDBOX-SAFE, lifetime: 600 }, grace_seconds: 8, timeout_seconds: 60, poll_seconds: 0.5 }`);
    const gone = results.find((r) => r.check?.kind === 'deleted_at_origin');
    expect(gone).toMatchObject({ operation: 'delete', rse: 'SANDBOX-FAST', outcome: 'failed', errorClass: 'deletion_stuck' });
    expect(gone?.errorMessage).toContain('still on SANDBOX-FAST');
  }, 180_000);
});
