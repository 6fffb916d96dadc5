// The embargo scenario end to end: member allowed, outsider refused through Rucio and on
// the storage with x509 and a token; an open embargo is a critical violation; an outsider
// whose own credential does not work makes the check inconclusive, never a pass.
import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { loadTestPlan, runTestPlan, STORAGE_KINDS, useTestLake } from './lake-fixture.js';

const plan = (params: string): string => `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
experiments:
  - name: CMS
    tests:
      - { name: embargo, scenario: embargo, auth: [x509], params: ${params} }
`;
const outsiderRows = (rs: OpResult[]): OpResult[] => rs.filter((r) => r.identityRole.startsWith('nonmember') && r.operation !== 'auth');

describe.each(STORAGE_KINDS)('embargo (%s storage)', (storage) => {
  const env = useTestLake(storage);
  const run = async (params: string): Promise<OpResult[]> => (await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(params)))).results;
  const both = (): string =>
    `{ scope: embargoed, outsider: { proxy: ${env.lake.pki.users.nonmember.proxyPath}, token_file: ${env.lake.tokens.nonmember} } }`;

  it('admits the member and refuses the proved outsider everywhere, with x509 and with a token', async () => {
    const results = await run(both());
    const member = results.filter((r) => !r.identityRole.startsWith('nonmember'));
    expect(member.filter((r) => r.outcome === 'failed')).toEqual([]);
    expect(new Set(member.map((r) => r.operation))).toEqual(new Set(['auth', 'list', 'upload', 'access', 'delete', 'register', 'rule', 'verify']));
    const proofs = results.filter((r) => r.identityRole.startsWith('nonmember') && r.operation === 'auth');
    expect(proofs.map((r) => [r.identityRole, r.outcome])).toEqual([['nonmember-x509', 'ok'], ['nonmember-token', 'ok']]);
    const refusals = outsiderRows(results);
    // per RSE and credential: open-data proof + read, list, write, delete; catalogue: 6 per credential
    expect(refusals).toHaveLength(2 * 2 * 5 + 2 * 6);
    expect(refusals.filter((r) => r.outcome !== 'ok')).toEqual([]);
    expect(refusals.filter((r) => r.protocol === 'rucio').map((r) => r.operation).sort()).toEqual(
      ['access', 'access', 'delete', 'delete', 'list', 'list', 'list', 'list', 'register', 'register', 'rule', 'rule'],
    );
  });

  it('an open embargo on one RSE is a critical embargo_violation there only', async () => {
    env.lake.faults.add({ kind: 'embargo_open', rse: 'SANDBOX-FAST' });
    await env.lake.faults.settled();
    const results = await run(both());
    const violations = outsiderRows(results).filter((r) => r.errorClass === 'embargo_violation');
    expect(violations.length).toBeGreaterThan(0);
    expect(new Set(violations.map((r) => [r.rse, r.severity].join()))).toEqual(new Set(['SANDBOX-FAST,critical']));
    expect(outsiderRows(results).filter((r) => r.rse === 'SANDBOX-SAFE' && r.outcome === 'failed')).toEqual([]);
  });

  it('after embargo_until the outsider must read: a storage that still refuses fails the reads, writes stay refused', async () => {
    const results = await run(`{ embargo_until: '2020-01-01T00:00:00Z', outsider: { proxy: ${env.lake.pki.users.nonmember.proxyPath} } }`);
    const rows = outsiderRows(results).filter((r) => r.rse === 'SANDBOX-FAST');
    // proof, read, list, delete, write — the sandbox keeps the area closed, so read and list fail as refused
    expect(rows.map((r) => [r.operation, r.outcome, r.errorClass])).toEqual([
      ['access', 'ok', null], ['access', 'failed', 'auth_denied'], ['list', 'failed', 'auth_denied'], ['delete', 'ok', null], ['upload', 'ok', null],
    ]);
  });

  it('an outsider whose own token is invalid is inconclusive, never a pass', async () => {
    const results = await run(`{ scope: embargoed, outsider: { token_file: ${env.lake.tokens.expired} } }`);
    const login = results.find((r) => r.identityRole === 'nonmember-token' && r.operation === 'auth');
    expect(login?.outcome).toBe('failed');
    const checks = outsiderRows(results).filter((r) => !(r.operation === 'access' && r.errorClass !== 'inconclusive' && r.protocol === 'davs'));
    expect(checks.length).toBeGreaterThan(0);
    expect(new Set(checks.map((r) => [r.outcome, r.errorClass].join()))).toEqual(new Set(['failed,inconclusive']));
  });
});
