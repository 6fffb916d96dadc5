import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/engine/classify.js';
import { annotateTokenRefusal, withTokenRefusals } from '../../../src/lake/credentials/token-refusal.js';
import type { BearerToken } from '../../../src/lake/credentials/types.js';
import { RucioApiError, StorageError } from '../../../src/lake/errors.js';
import type { StorageDriver } from '../../../src/lake/storage/driver.js';

const EXP = new Date('2026-12-01T12:00:00Z');
const token: BearerToken = {
  token: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtZW1iZXIifQ.c2lnbmF0dXJl',
  claims: { iss: 'https://iam.example', sub: 'member', aud: ['rucio', 'https://wlcg.cern.ch/jwt/v1/any'], scope: 'storage.read:/ storage.create:/' },
  expiresAt: EXP,
  source: '/tmp/bt_u1000',
};
// XRootD's answer to a token it no longer accepts says nothing about expiry.
const xrootd403 = (): StorageError => new StorageError(403, 'PUT', 'https://se.example:1094/rucio/f', 'Unable to create /rucio/f; permission denied');

describe('token refusals', () => {
  it('classifies a storage 403 after the token\'s exp as auth_expired, before it as auth_denied', () => {
    const after = annotateTokenRefusal(xrootd403(), token, new Date(EXP.getTime() + 1000));
    const before = annotateTokenRefusal(xrootd403(), token, new Date(EXP.getTime() - 1000));
    expect(classify(after).errorClass).toBe('auth_expired');
    expect(classify(before).errorClass).toBe('auth_denied');
    expect(classify(xrootd403()).errorClass).toBe('auth_denied');
    expect(after.message).toBe('PUT https://se.example:1094/rucio/f: 403 Unable to create /rucio/f; permission denied '
      + '(token exp=2026-12-01T12:00:00.000Z (expired when refused) iss=https://iam.example '
      + 'aud=rucio,https://wlcg.cern.ch/jwt/v1/any sub=member nbf=none scope="storage.read:/ storage.create:/")');
    expect(before.message).not.toContain('expired when refused');
  });

  it('names a catalogue 401 and keeps its class and fields; leaves other errors alone', () => {
    const e = annotateTokenRefusal(new RucioApiError(401, 'CannotAuthenticate', 'Cannot authenticate with given credentials', 'GET', '/auth/validate'), token, new Date(EXP.getTime() - 1));
    expect(e).toBeInstanceOf(RucioApiError);
    expect(e).toMatchObject({ status: 401, exceptionClass: 'CannotAuthenticate', tokenRefusal: { iss: 'https://iam.example', exp: EXP } });
    expect(e.message).toContain('(token exp=2026-12-01T12:00:00.000Z iss=https://iam.example');
    const notFound = new StorageError(404, 'GET', 'https://se/f', 'not found');
    expect(annotateTokenRefusal(notFound, token).message).toBe('GET https://se/f: 404 not found');
    const quota = new RucioApiError(403, 'AccessDenied', 'no', 'POST', '/rules/');
    expect(annotateTokenRefusal(quota, token).tokenRefusal).toBeUndefined();
  });

  it("names the token in Rucio 41's 500 CannotAuthenticate at /auth/validate, not in other server errors", () => {
    // flaskapi/v1/auth.py Validate.get: validate_auth_token's CannotAuthenticate reaches ErrorHandlingMethodView (500).
    const refused = annotateTokenRefusal(new RucioApiError(500, 'CannotAuthenticate', 'NoneType: None', 'GET', '/auth/validate'), token, new Date(EXP.getTime() - 1));
    expect(refused.tokenRefusal).toMatchObject({ iss: 'https://iam.example' });
    expect(classify(refused).errorClass).toBe('auth_invalid');
    const broken = new RucioApiError(500, 'DatabaseException', 'An unknown Database Exception has occurred.', 'GET', '/auth/validate');
    expect(annotateTokenRefusal(broken, token).tokenRefusal).toBeUndefined();
  });

  it("names the token's nbf; a refusal before it (inside lakeprobe's 60 s leeway) is a clock skew, auth_expired", () => {
    const NBF = new Date('2026-12-01T11:00:00Z');
    const fresh: BearerToken = { ...token, claims: { ...token.claims, nbf: NBF.getTime() / 1000 } };
    const at = (ms: number): StorageError => annotateTokenRefusal(xrootd403(), fresh, new Date(NBF.getTime() + ms));
    const early = at(-20_000);
    expect(early.message).toContain('(token nbf=2026-12-01T11:00:00.000Z (clock skew: refused 20 s before it) exp=2026-12-01T12:00:00.000Z iss=');
    expect(classify(early).errorClass).toBe('auth_expired');
    const justBefore = at(-400);
    expect(justBefore.message).toContain('(clock skew: refused 0 s before it)');
    expect(classify(justBefore).errorClass).toBe('auth_expired');
    const later = at(1_000);
    expect(later.message).toContain('(token exp=2026-12-01T12:00:00.000Z iss=https://iam.example aud=rucio,https://wlcg.cern.ch/jwt/v1/any sub=member nbf=2026-12-01T11:00:00.000Z scope=');
    expect(later.message).not.toContain('clock skew');
    expect(classify(later).errorClass).toBe('auth_denied');
  });

  it('keeps claims one short line and never shows the token', () => {
    const odd: BearerToken = { ...token, claims: { iss: 'x\ny', scope: 's'.repeat(500) }, expiresAt: null };
    const e = annotateTokenRefusal(xrootd403(), odd);
    expect(e.message).toContain('(token exp=none iss=x y aud=- sub=- nbf=none scope="');
    expect(e.message).toMatch(/s{79}…"\)$/);
    expect(e.message).not.toContain(token.token);
  });

  it('wraps every method of a driver, annotating only its refusals', async () => {
    const calls: string[] = [];
    const driver = {
      protocol: 'davs',
      put: async (url: string) => { calls.push(`put ${url}`); throw xrootd403(); },
      get: async () => Readable.from([]),
      stat: async () => null,
      delete: async () => { throw new StorageError(500, 'DELETE', 'u', 'boom'); },
      mkdir: async () => {},
      checksum: async () => 'abc',
    } as unknown as StorageDriver;
    const wrapped = withTokenRefusals(driver, token, () => new Date(EXP.getTime() + 5));
    expect(wrapped.protocol).toBe('davs');
    const refused: unknown = await wrapped.put('u', Readable.from([]), 0).catch((e: unknown) => e);
    expect(classify(refused).errorClass).toBe('auth_expired');
    expect(calls).toEqual(['put u']);
    expect(await wrapped.checksum('u', 'adler32')).toBe('abc');
    expect(await wrapped.stat('u')).toBeNull();
    const failed: unknown = await wrapped.delete('u').catch((e: unknown) => e);
    expect((failed as Error).message).toBe('DELETE u: 500 boom');
  });
});
