// Faults switched on in a running sandbox lake, with whole plans run through the engine:
// each fault shows up as the class the taxonomy promises, on the operations it hits,
// and the run goes on with the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { loadTestPlan, runTestPlan, startTestLake, STORAGE_KINDS, useTestLake } from './lake-fixture.js';

const find = (rs: OpResult[], q: Partial<OpResult>): OpResult[] =>
  rs.filter((r) => Object.entries(q).every(([k, v]) => r[k as keyof OpResult] === v));

/** A plan with one test (a YAML flow mapping), on the given RSEs or on all of them. */
const plan = (test: string, rses?: string): string => `
lake: { sandbox: true }
${rses ? `rses: { names: [${rses}] }` : ''}
experiments:
  - name: F
    tests:
      - ${test}
`;
const upload = (auth: string, params = '{ size: 2048 }'): string =>
  plan(`{ name: up, scenario: upload, auth: [${auth}], params: ${params} }`);

describe.each(STORAGE_KINDS)('fault runs (%s storage)', (storage) => {
  const env = useTestLake(storage);
  const run = async (yaml: string): Promise<OpResult[]> => (await runTestPlan(await loadTestPlan(env.lake, env.dir, yaml))).results;

  it.runIf(storage === 'xrootd')('refuses request-level faults XRootD RSEs cannot apply, and keeps none of them', () => {
    for (const spec of [{ kind: 'error_rate', rse: 'SANDBOX-SAFE', rate: 1 }, { kind: 'checksum_missing', rse: 'SANDBOX-SAFE' }] as const) {
      expect(() => env.lake.faults.add(spec)).toThrow(/acts inside lakeprobe's builtin storage, and this sandbox's RSEs are XRootD servers/);
    }
    expect(env.lake.faults.list()).toEqual([]);
  });

  it('rse_down: that RSE fails as connection_refused, the others pass, the run finishes', async () => {
    env.lake.faults.add({ kind: 'rse_down', rse: 'SANDBOX-SAFE' });
    await env.lake.faults.settled();
    const results = await run(upload('x509'));
    expect(find(results, { rse: 'SANDBOX-SAFE', operation: 'upload' })[0]).toMatchObject({ outcome: 'failed', errorClass: 'connection_refused' });
    for (const rse of ['SANDBOX-FAST', 'SANDBOX-NONDET']) {
      expect(find(results, { rse, outcome: 'failed' })).toEqual([]);
      expect(find(results, { rse, operation: 'verify' })[0]?.outcome).toBe('ok');
    }
  });

  it('embargo_open: the embargo scenario reports embargo_violation on that RSE only', async () => {
    env.lake.faults.add({ kind: 'embargo_open', rse: 'SANDBOX-FAST' });
    await env.lake.faults.settled();
    const outsider = `{ outsider: { proxy: ${env.lake.pki.users.nonmember.proxyPath} } }`;
    const results = await run(plan(`{ name: embargo, scenario: embargo, auth: [x509], params: ${outsider} }`, 'SANDBOX-FAST, SANDBOX-SAFE'));
    // Per RSE: the outsider's read of open data (its proof), then its read of the embargoed file.
    const refused = find(results, { operation: 'access', identityRole: 'nonmember-x509' });
    expect(refused.map((r) => [r.rse, r.outcome, r.errorClass])).toEqual([
      ['SANDBOX-FAST', 'ok', null],
      ['SANDBOX-FAST', 'failed', 'embargo_violation'],
      ['SANDBOX-SAFE', 'ok', null],
      ['SANDBOX-SAFE', 'ok', null],
    ]);
    expect(find(results, { operation: 'access', identityRole: 'default', outcome: 'ok' })).toHaveLength(2);
  });

  it('transfer_stuck: the replication times out as rule_timeout', async () => {
    env.lake.faults.add({ kind: 'transfer_stuck', rse: 'SANDBOX-SAFE' });
    const results = await run(plan(
      '{ name: rep, scenario: replicate, auth: [token], params: { size: 4096, timeout_seconds: 2, poll_seconds: 0.2 } }',
      'SANDBOX-FAST, SANDBOX-SAFE',
    ));
    expect(find(results, { operation: 'replicate' })[0]).toMatchObject({ outcome: 'failed', errorClass: 'rule_timeout' });
    expect(find(results, { operation: 'delete' }).length).toBeGreaterThan(0);
  });

  it('short_credentials: a proxy that expires before the run is auth_expired', async () => {
    env.lake.faults.add({ kind: 'short_credentials', lifetimeSeconds: 1 });
    await env.lake.faults.settled();
    await new Promise((r) => setTimeout(r, 1500));
    const results = await run(upload('x509'));
    expect(results[0]).toMatchObject({ operation: 'auth', outcome: 'failed', errorClass: 'auth_expired' });
  });

  it('gridmap_missing: the member DN is refused at that RSE only', async () => {
    env.lake.faults.add({ kind: 'gridmap_missing', rse: 'SANDBOX-FAST', user: 'member' });
    await env.lake.faults.settled();
    const results = await run(upload('x509'));
    // XRootD 5.5 with a required gridmap drops the connection; the follow-up diagnosis
    // (an anonymous request is answered) names the identity as the cause.
    const expected = storage === 'builtin' ? 'gridmap_unmapped' : 'identity_refused';
    expect(find(results, { rse: 'SANDBOX-FAST', operation: 'upload' })[0]).toMatchObject({ outcome: 'failed', errorClass: expected });
    expect(find(results, { rse: 'SANDBOX-SAFE', outcome: 'failed' })).toEqual([]);
  });

  it('catalogue_error: every catalogue call fails as server_error and each auth method is still tried', async () => {
    env.lake.faults.add({ kind: 'catalogue_error', rate: 1, status: 500 });
    const results = await run(upload('userpass, x509, token'));
    // A bearer token needs no login, but the catalogue validates it at auth (GET /auth/validate).
    // The methods log in side by side, so their results come in any order.
    const order = ['userpass', 'x509', 'token'];
    const byMethod = [...results].sort((a, b) => order.indexOf(a.authMethod) - order.indexOf(b.authMethod));
    expect(byMethod.map((r) => [r.operation, r.authMethod, r.outcome, r.errorClass])).toEqual([
      ['auth', 'userpass', 'failed', 'server_error'],
      ['auth', 'x509', 'failed', 'server_error'],
      ['auth', 'token', 'failed', 'server_error'],
    ]);
  });
});

// Request-level faults act inside lakeprobe's own storage; XRootD is a real server.
describe('request-level storage faults (builtin storage)', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  beforeAll(async () => {
    env = await startTestLake('builtin');
  });
  afterAll(() => env.stop());

  it('checksum_missing and error_rate: destination_checksum_missing and server_error where they hit', async () => {
    env.lake.faults.add({ kind: 'checksum_missing', rse: 'SANDBOX-NONDET' });
    env.lake.faults.add({ kind: 'error_rate', rse: 'SANDBOX-SAFE', operation: 'GET', rate: 1, status: 500 });
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, upload('token')));
    expect(find(results, { rse: 'SANDBOX-NONDET', operation: 'verify' })[0]).toMatchObject({ errorClass: 'destination_checksum_missing' });
    expect(find(results, { rse: 'SANDBOX-SAFE', operation: 'download' })[0]).toMatchObject({ errorClass: 'server_error' });
    expect(find(results, { rse: 'SANDBOX-SAFE', operation: 'verify' })[0]?.outcome).toBe('ok');
    expect(find(results, { rse: 'SANDBOX-FAST', outcome: 'failed' })).toEqual([]);
  });
});
