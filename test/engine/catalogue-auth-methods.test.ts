import { describe, expect, it } from 'vitest';
import { catalogueAuthMethods } from '../../src/engine/lake-session.js';
import type { ResolvedPlan } from '../../src/plan/index.js';

/** A plan with these credentials and one test per `auth` list (null: the test names none). */
function plan(credentials: ResolvedPlan['credentials'], auths: (ResolvedPlan['experiments'][number]['tests'][number]['auth'])[]): ResolvedPlan {
  const tests = auths.map((auth, i) => ({ name: `t${i}`, scenario: 'upload', auth, params: {} }));
  return { credentials, experiments: [{ name: 'E', tests }] } as unknown as ResolvedPlan;
}

const userpass = { username: 'ddmlab', password: 'pw' };
const x509 = { proxy: '/tmp/x509up_u1000' };
const token = { file: '/tmp/bt_u1000' };

describe('catalogueAuthMethods', () => {
  it('leaves out an x509 proxy the plan holds only for storage (its tests log in with userpass)', () => {
    expect(catalogueAuthMethods(plan({ userpass, x509 }, [['userpass']]))).toEqual(['userpass']);
  });

  it('takes every method a test logs in with, and every configured one for a test that names none', () => {
    expect(catalogueAuthMethods(plan({ userpass, x509, token }, [['token'], ['x509']]))).toEqual(['x509', 'token']);
    expect(catalogueAuthMethods(plan({ userpass, x509, token }, [['token'], null]))).toEqual(['userpass', 'x509', 'token']);
  });

  it('never offers a method the plan has no credentials for', () => {
    expect(catalogueAuthMethods(plan({ token }, [['userpass', 'token']]))).toEqual(['token']);
  });
});
