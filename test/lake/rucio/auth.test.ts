import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { CredentialError, RucioApiError } from '../../../src/lake/errors.js';
import { RucioClient, jwtExpiry, parseRucioDate, type RucioAuth } from '../../../src/lake/rucio/index.js';
import { decodeJwt } from 'jose';
import { classify } from '../../../src/engine/classify.js';
import { validatedLifetime } from '../../../src/lake/rucio/auth.js';
import { API, AUTH, RECORDED_TOKEN, replay, replayOffline } from './fixtures.js';

const PASSWORD = 'secret';

function clock(start: string): { now: () => Date; set: (iso: string) => void } {
  let current = new Date(start);
  return { now: () => current, set: (iso) => { current = new Date(iso); } };
}

function client(now: () => Date, auth: RucioAuth = { method: 'userpass', username: 'ddmlab', password: PASSWORD }): RucioClient {
  return new RucioClient({ rucioHost: API, authHost: AUTH, account: 'root', auth, ca: [], now });
}

function jwt(claims: Record<string, unknown>): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

function bearer(token: string, expiresAt: Date | null): RucioAuth {
  return { method: 'token', token: { token, claims: null, expiresAt, source: 'BEARER_TOKEN' } };
}

function networkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function pendingLogins(): number {
  return nock.pendingMocks().filter((m) => m.includes('/auth/userpass')).length;
}

replayOffline();

describe('token lifetime', () => {
  it('parses Rucio expiry dates and epoch seconds', () => {
    expect(parseRucioDate('Wed, 25 Nov 2026 01:04:23 UTC')).toEqual(new Date('2026-11-25T01:04:23Z'));
    expect(parseRucioDate('1795568663')).toEqual(new Date(1795568663 * 1000));
    expect(parseRucioDate('tomorrow')).toBeNull();
    expect(jwtExpiry(jwt({ exp: 1795568663 }))).toEqual(new Date(1795568663 * 1000));
    expect(jwtExpiry('root-ddmlab-unknown-125bf0b5da2b4da7bf60c9bff709d936')).toBeNull();
  });

  it('reuses the token until 5 minutes before it expires, then logs in again', async () => {
    const time = clock('2026-11-25T00:04:23Z');
    replay('auth-userpass');
    replay('auth-userpass');
    for (let i = 0; i < 3; i++) replay('scopes-list');
    const c = client(time.now);

    await c.listScopes();
    time.set('2026-11-25T00:58:30Z');
    await c.listScopes();
    expect(pendingLogins()).toBe(1);

    time.set('2026-11-25T01:00:00Z');
    await c.listScopes();
    expect(pendingLogins()).toBe(0);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('shares one login between concurrent calls', async () => {
    const time = clock('2026-11-25T00:04:23Z');
    replay('auth-userpass');
    replay('scopes-list');
    replay('scopes-list');
    const c = client(time.now);
    await expect(Promise.all([c.listScopes(), c.listScopes()])).resolves.toEqual([['test'], ['test']]);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('401 CannotAuthenticate', () => {
  it('logs in again once and retries the call', async () => {
    const time = clock('2026-11-25T00:04:23Z');
    replay('auth-userpass');
    replay('error-bad-token');
    replay('auth-userpass');
    replay('whoami-303');
    replay('whoami-followed-account');
    await expect(client(time.now).whoami()).resolves.toMatchObject({ account: 'root' });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('gives up after the one retry', async () => {
    const time = clock('2026-11-25T00:04:23Z');
    for (let i = 0; i < 3; i++) {
      replay('auth-userpass');
      replay('error-bad-token');
    }
    const error: unknown = await client(time.now).whoami().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RucioApiError);
    expect(error).toMatchObject({ status: 401, exceptionClass: 'CannotAuthenticate', exceptionMessage: 'Cannot authenticate with given credentials' });
    expect(pendingLogins()).toBe(1);
  });
});

describe('bearer tokens', () => {
  it('sends the raw token as X-Rucio-Auth-Token without logging in, and does not retry a 401', async () => {
    const token = jwt({ sub: 'alice', exp: 1795568663 });
    replay('auth-validate', { token });
    replay('scopes-list', { token });
    const bad = replay('error-bad-token', { token });
    const c = client(() => new Date('2026-11-25T00:04:23Z'), bearer(token, null));
    await expect(c.listScopes()).resolves.toEqual(['test']);
    const error: unknown = await c.whoami().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, exceptionClass: 'CannotAuthenticate' });
    expect((error as Error).message).not.toContain(token);
    expect(bad.isDone()).toBe(true);
    expect(pendingLogins()).toBe(0);
  });

  it('asks the server to validate the token at authenticate (GET /auth/validate), as a login does', async () => {
    const token = jwt({ sub: 'alice', exp: 1795568663 });
    const validate = replay('auth-validate', { token });
    const c = client(() => new Date('2026-11-25T00:04:23Z'), bearer(token, null));
    // The expiry comes from the exp claim.
    await expect(c.authenticate()).resolves.toEqual({ expiresAt: new Date(1795568663 * 1000) });
    expect(validate.isDone()).toBe(true);
  });

  it('takes an opaque token\'s expiry from the lifetime the server validated', async () => {
    replay('auth-validate');
    const c = client(() => new Date('2026-11-25T00:04:23Z'), bearer(RECORDED_TOKEN, null));
    await expect(c.authenticate()).resolves.toEqual({ expiresAt: new Date('2026-11-25T01:04:23Z') });
    expect(validatedLifetime("{'lifetime': datetime.datetime(2026, 1, 2, 3, 4, 5, 6)}")).toEqual(new Date('2026-01-02T03:04:05Z'));
    expect(validatedLifetime('{}')).toBeNull();
  });

  it('names the token\'s iss, sub, aud, scope and exp (never the token) when the catalogue refuses it', async () => {
    const token = jwt({ sub: 'alice', iss: 'https://iam.example', aud: ['rucio', 'other'], scope: 'openid storage.read:/', exp: 1795568663 });
    replay('auth-validate', { token });
    replay('error-bad-token', { token });
    const c = client(() => new Date('2026-11-25T00:04:23Z'), {
      method: 'token', token: { token, claims: decodeJwt(token), expiresAt: new Date(1795568663 * 1000), source: '/tmp/bt_u1' },
    });
    const error: unknown = await c.whoami().catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'GET /accounts/whoami: 401 CannotAuthenticate: Cannot authenticate with given credentials '
      + '(token exp=2026-11-25T01:04:23.000Z iss=https://iam.example aud=rucio,other sub=alice nbf=none scope="openid storage.read:/")',
    );
    expect(classify(error).errorClass).toBe('auth_invalid');
  });

  it('refuses an expired token before sending anything', async () => {
    const token = jwt({ sub: 'alice', exp: 1700000000 });
    const c = client(() => new Date('2026-11-25T00:04:23Z'), bearer(token, new Date(1700000000 * 1000)));
    const error: unknown = await c.listScopes().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialError);
    expect(error).toMatchObject({ problem: 'expired', source: 'BEARER_TOKEN' });
    expect((error as Error).message).not.toContain(token);
  });
});

describe('secrets in errors', () => {
  it('blanks the password and the token out of messages a server echoes back', async () => {
    const time = clock('2026-11-25T00:04:23Z');
    nock(AUTH).get('/auth/userpass').reply(401, {
      ExceptionClass: 'CannotAuthenticate', ExceptionMessage: `Cannot authenticate ddmlab with password ${PASSWORD}`,
    });
    const login: unknown = await client(time.now).listScopes().catch((e: unknown) => e);
    expect(login).toMatchObject({ exceptionMessage: 'Cannot authenticate ddmlab with password <redacted>' });
    expect((login as Error).message).not.toContain(PASSWORD);

    replay('auth-userpass');
    nock(API).get('/scopes/').reply(500, {
      ExceptionClass: 'RucioException', ExceptionMessage: 'token root-ddmlab-unknown-125bf0b5da2b4da7bf60c9bff709d936 broke',
    });
    const call: unknown = await client(time.now).listScopes().catch((e: unknown) => e);
    expect((call as Error).message).toContain('token <redacted> broke');
  });

  it('keeps the code of a network error and scrubs its message', async () => {
    const time = clock('2026-11-25T00:04:23Z');
    replay('auth-userpass');
    // A dropped GET is sent again: three attempts in all.
    nock(API).get('/scopes/').times(3).replyWithError(networkError('ECONNRESET', 'socket hang up after root-ddmlab-unknown-125bf0b5da2b4da7bf60c9bff709d936'));
    const error: unknown = await client(time.now).listScopes().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONNRESET', message: 'catalogue rucio.test:443: GET /scopes/: socket hang up after <redacted> (after 3 attempts: ECONNRESET, ECONNRESET, ECONNRESET)' });
    expect((error as Error).stack).not.toContain('125bf0b5da2b4da7bf60c9bff709d936');
  });

  it('keeps ENOTFOUND as the code of a DNS failure', async () => {
    nock(API).get('/ping').replyWithError(networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND rucio.test'));
    const error: unknown = await client(() => new Date()).ping().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
