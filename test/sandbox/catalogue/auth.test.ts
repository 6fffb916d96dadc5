import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCatalogue } from './harness.js';
import { call, fakeJwt, loginRoot, makeTlsMaterial, seedRoot, startTestCatalogue } from './harness.js';

describe('catalogue authentication', () => {
  let t: TestCatalogue;
  const ISS = 'https://issuer.lakeprobe.test';

  beforeAll(async () => {
    t = await startTestCatalogue();
    seedRoot(t);
    t.handle.admin.addAccount('alice', 'USER');
    t.handle.admin.addIdentity({ kind: 'X509', identity: '/O=lakeprobe/CN=alice', account: 'alice' });
    t.handle.admin.addIdentity({ kind: 'OIDC', identity: `SUB=alice-sub, ISS=${ISS}`, account: 'alice' });
  });
  afterAll(async () => {
    await t.close();
  });

  const userpass = (headers: Record<string, string>) => call(t, 'GET', '/auth/userpass', { headers });

  it('issues a token for the right password, with or without X-Rucio-Account', async () => {
    const withAccount = await userpass({ 'X-Rucio-Account': 'root', 'X-Rucio-Username': 'ddmlab', 'X-Rucio-Password': 'secret' });
    expect(withAccount.status).toBe(200);
    const without = await userpass({ 'X-Rucio-Username': 'ddmlab', 'X-Rucio-Password': 'secret' });
    expect(without.status).toBe(200);
    expect(without.headers['x-rucio-auth-account']).toBe('root');
  });

  it('refuses a wrong password with 401 CannotAuthenticate, without echoing the password', async () => {
    const a = await userpass({ 'X-Rucio-Account': 'root', 'X-Rucio-Username': 'ddmlab', 'X-Rucio-Password': 'wrong-pw' });
    expect(a.status).toBe(401);
    expect(a.headers.exceptionclass).toBe('CannotAuthenticate');
    expect(a.headers.exceptionmessage).toBe('Cannot authenticate to account root with given credentials');
    expect(a.body).not.toContain('wrong-pw');
  });

  it('refuses a login without username or password, and an unknown username', async () => {
    const missing = await userpass({ 'X-Rucio-Account': 'root', 'X-Rucio-Username': 'ddmlab' });
    expect([missing.status, missing.headers.exceptionmessage]).toEqual([401, 'Cannot authenticate without passing all required arguments']);
    const unknown = await userpass({ 'X-Rucio-Username': 'nobody', 'X-Rucio-Password': 'x' });
    expect([unknown.status, unknown.headers.exceptionclass]).toEqual([401, 'IdentityError']);
  });

  it('accepts a token until its lifetime has passed, then answers 401', async () => {
    const start = t.clock.now;
    const token = await loginRoot(t);
    t.clock.now = new Date(start.getTime() + 3599_000);
    expect((await call(t, 'GET', '/accounts/whoami', { token })).status).toBe(303);
    t.clock.now = new Date(start.getTime() + 3600_000);
    const expired = await call(t, 'GET', '/accounts/whoami', { token });
    expect([expired.status, expired.headers.exceptionclass, expired.headers.exceptionmessage])
      .toEqual([401, 'CannotAuthenticate', 'Cannot authenticate with given credentials']);
    t.clock.now = start;
  });

  it('maps the verified client certificate DN to its account on /auth/x509', async () => {
    const a = await call(t, 'GET', '/auth/x509', { clientCert: true });
    expect(a.status).toBe(200);
    expect(a.headers['x-rucio-auth-account']).toBe('alice');
    const token = String(a.headers['x-rucio-auth-token']);
    expect(token.startsWith('alice-/O=lakeprobe/CN=alice-unknown-')).toBe(true);
    expect((await call(t, 'GET', '/accounts/whoami', { token })).headers.location).toBe('alice');
    expect((await call(t, 'GET', '/auth/x509_proxy', { clientCert: true, headers: { 'X-Rucio-Account': 'alice' } })).status).toBe(200);
  });

  it('accepts an RFC 3820 proxy chain on /auth/x509_proxy as its end-entity DN', async () => {
    const a = await call(t, 'GET', '/auth/x509_proxy', { clientCert: { cert: t.tls.proxy.chainPem, key: t.tls.proxy.keyPem } });
    expect(a.status).toBe(200);
    expect(a.headers['x-rucio-auth-account']).toBe('alice');
    expect(String(a.headers['x-rucio-auth-token']).startsWith('alice-/O=lakeprobe/CN=alice-unknown-')).toBe(true);
  });

  it('refuses x509 login without a certificate, or with one the verifier rejects', async () => {
    const none = await call(t, 'GET', '/auth/x509');
    expect([none.status, none.headers.exceptionmessage]).toEqual([401, 'Cannot get DN']);
    const stranger = makeTlsMaterial();
    const rejected = await call(t, 'GET', '/auth/x509', { clientCert: { cert: stranger.client.certPem, key: stranger.client.keyPem } });
    expect(rejected.status).toBe(401);
    expect(rejected.headers.exceptionmessage).toBe('Cannot verify the client certificate chain: issuer is not trusted');
  });

  it('accepts a trusted JWT for a registered OIDC identity with the rucio audience', async () => {
    const exp = Math.floor(t.clock.now.getTime() / 1000) + 600;
    const jwt = fakeJwt({ sub: 'alice-sub', iss: ISS, aud: ['rucio'], scope: 'openid profile', exp });
    const a = await call(t, 'GET', '/accounts/whoami', { token: jwt });
    expect([a.status, a.headers.location]).toEqual([303, 'alice']);
    const v = await call(t, 'GET', '/auth/validate', { headers: { 'X-Rucio-Auth-Token': jwt } });
    expect(v.body).toContain("'identity': 'SUB=alice-sub, ISS=https://issuer.lakeprobe.test'");
    expect(v.body).toContain("'audience': 'rucio', 'authz_scope': 'openid profile'");
  });

  it('refuses JWTs that are untrusted, expired, for another audience or an unknown subject', async () => {
    const exp = Math.floor(t.clock.now.getTime() / 1000) + 600;
    const good = { sub: 'alice-sub', iss: ISS, aud: ['rucio'], scope: 'openid', exp };
    for (const jwt of [
      fakeJwt(good, 'forged'),
      fakeJwt({ ...good, exp: exp - 1200 }),
      fakeJwt({ ...good, aud: ['storage'] }),
      fakeJwt({ ...good, sub: 'mallory' }),
    ]) {
      const a = await call(t, 'GET', '/rses/', { token: jwt });
      expect([a.status, a.headers.exceptionclass]).toEqual([401, 'CannotAuthenticate']);
    }
  });
});
