// The embargo outsider named by role: its credentials come from the lake in use (the
// sandbox names its non-member's proxy and token wherever its folder is), never from a
// path written in the plan; a lake that names none makes the check inconclusive, once.
import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { loadTestPlan, runTestPlan, useTestLake } from './lake-fixture.js';

const PLAN = `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: CMS
    tests:
      - { name: embargo, scenario: embargo, auth: [x509], params: { outsider: { role: nonmember } } }
`;

describe('embargo outsider by role', () => {
  const env = useTestLake('builtin');
  const run = async (extraEnv: Record<string, string> = {}): Promise<OpResult[]> =>
    (await runTestPlan(await loadTestPlan(env.lake, env.dir, PLAN, extraEnv))).results;

  it('takes the non-member\'s proxy and token from the sandbox in use and is refused with both', async () => {
    const results = await run();
    const proofs = results.filter((r) => r.identityRole.startsWith('nonmember') && r.operation === 'auth');
    expect(proofs.map((r) => [r.identityRole, r.outcome])).toEqual([['nonmember-x509', 'ok'], ['nonmember-token', 'ok']]);
    const refusals = results.filter((r) => r.identityRole.startsWith('nonmember') && r.operation !== 'auth');
    // one RSE, two credentials: open-data proof + read, list, write, delete
    expect(refusals).toHaveLength(2 * 5);
    expect(refusals.filter((r) => r.outcome !== 'ok')).toEqual([]);
  });

  it('without the role\'s credentials in the environment: one inconclusive result that says what to set', async () => {
    const results = await run({ LAKEPROBE_NONMEMBER_PROXY: '', LAKEPROBE_NONMEMBER_TOKEN_FILE: '' });
    const failed = results.filter((r) => r.outcome === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ operation: 'auth', identityRole: 'nonmember', errorClass: 'inconclusive' });
    expect(failed[0]?.errorMessage).toContain('LAKEPROBE_NONMEMBER_PROXY');
  });
});
