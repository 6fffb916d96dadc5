// Each identity is named as what it is: the embargo outsider's login is recorded with the
// credential the outsider used and its role, and the report names it so — never as a login
// of the test's own method.
import { describe, expect, it } from 'vitest';
import { buildChallengeReport } from '../../src/report/challenge.js';
import { snapshotPlan } from '../../src/results/plan-snapshot.js';
import { loadTestPlan, runTestPlan, useTestLake } from './lake-fixture.js';

describe('the embargo outsider in results and reports (builtin storage)', () => {
  const env = useTestLake('builtin');

  it('records and reports the outsider token login as a token login of nonmember-token, in an x509 test', async () => {
    const plan = await loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: CMS
    tests:
      - { name: embargo, scenario: embargo, auth: [x509], params: { scope: embargoed, outsider: { token_file: ${env.lake.tokens.expired} } } }
`);
    const { results, runId, store } = await runTestPlan(plan);
    store.close();
    const logins = results.filter((r) => r.operation === 'auth').map((r) => [r.identityRole, r.authMethod, r.outcome]);
    expect(logins).toEqual([['default', 'x509', 'ok'], ['nonmember-token', 'token', 'failed']]);
    // Every operation the outsider performs is labelled with the outsider's own credential kind.
    const outsider = results.filter((r) => r.identityRole === 'nonmember-token');
    expect(outsider.length).toBeGreaterThan(1);
    expect(new Set(outsider.map((r) => r.authMethod))).toEqual(new Set(['token']));

    const report = buildChallengeReport({
      name: 'embargo', plans: new Map([[runId, snapshotPlan(plan)]]), results,
      runs: [{ runId, planName: plan.name, planHash: '', startedAt: '', finishedAt: '', state: 'finished' }],
    });
    const e = report.experiments[0]!;
    // The test's own x509 login worked: no "login failed" for the test's method.
    expect(e.authFailures.map((a) => [a.authMethod, a.failures, a.loggedIn])).toEqual([['x509', 0, true]]);
    const titles = e.observations.map((o) => o.title);
    const failedLogin = titles.filter((t) => /login .*failed/.test(t));
    expect(failedLogin).toHaveLength(1);
    expect(failedLogin[0]).toMatch(/^token login of nonmember-token failed 1× in test embargo \(auth_\w+\)$/);
  }, 120_000);
});
