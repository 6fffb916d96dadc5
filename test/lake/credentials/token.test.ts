import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CredentialError } from '../../../src/lake/errors.js';
import { describeCredential, loadBearerToken } from '../../../src/lake/credentials/index.js';

const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
function jwt(claims: Record<string, unknown>): string {
  return `${b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${b64(claims)}.c2lnbmF0dXJl`;
}
const EXP = 1_900_000_000;
const CLAIMS = { sub: 'alice', iss: 'https://iam.example.org/', scope: 'storage.read:/ openid', exp: EXP, nbf: EXP - 3600 };

async function credentialError(promise: Promise<unknown>): Promise<CredentialError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(CredentialError);
  return err as CredentialError;
}

describe('loadBearerToken', () => {
  it('decodes JWT claims and expiry from a token file, trimming the trailing newline', async () => {
    const file = join(dir, 'bt');
    writeFileSync(file, `${jwt(CLAIMS)}\n`, { mode: 0o600 });
    const token = await loadBearerToken({ file }, { now: new Date((EXP - 60) * 1000) });
    expect(token.token).toBe(jwt(CLAIMS));
    expect(token.claims).toEqual(CLAIMS);
    expect(token.expiresAt).toEqual(new Date(EXP * 1000));
    expect(token.source).toBe(file);
  });

  it('takes a token value with the name of the variable it came from', async () => {
    const token = await loadBearerToken({ value: ` ${jwt(CLAIMS)} `, source: 'BEARER_TOKEN' }, { now: new Date((EXP - 60) * 1000) });
    expect([token.token, token.source]).toEqual([jwt(CLAIMS), 'BEARER_TOKEN']);
  });

  it('refuses an expired token, naming its source and expiry but not the token', async () => {
    const value = jwt(CLAIMS);
    const err = await credentialError(loadBearerToken({ value, source: 'BEARER_TOKEN' }, { now: new Date(EXP * 1000) }));
    expect(err.problem).toBe('expired');
    expect(err.message).toBe(`BEARER_TOKEN: token expired at ${new Date(EXP * 1000).toISOString()}`);
    expect(err.message).not.toContain(value.slice(0, 20));
  });

  it('loads an expired token when asked to', async () => {
    const token = await loadBearerToken({ value: jwt(CLAIMS), source: 'x' }, { now: new Date((EXP + 1) * 1000), allowExpired: true });
    expect(token.expiresAt).toEqual(new Date(EXP * 1000));
  });

  it('refuses a token whose nbf is beyond the clock-skew leeway', async () => {
    const err = await credentialError(loadBearerToken({ value: jwt(CLAIMS), source: 'x' }, { now: new Date((EXP - 7200) * 1000) }));
    expect(err.problem).toBe('not_yet_valid');
  });

  it('accepts a token minted a few seconds in the future', async () => {
    const token = await loadBearerToken({ value: jwt(CLAIMS), source: 'x' }, { now: new Date((EXP - 3600 - 30) * 1000) });
    expect(token.claims?.sub).toBe('alice');
  });

  it('keeps an opaque token without claims or expiry', async () => {
    const token = await loadBearerToken({ value: 'opaque-token-4f2a', source: 'BEARER_TOKEN' });
    expect([token.claims, token.expiresAt]).toEqual([null, null]);
  });

  it('refuses a JWT-shaped token whose claims do not decode', async () => {
    const err = await credentialError(loadBearerToken({ value: 'aaa.%%%.ccc', source: 'BEARER_TOKEN' }));
    expect([err.problem, err.message]).toEqual(['invalid', 'BEARER_TOKEN: token looks like a JWT but its claims cannot be decoded']);
  });

  it('reports a missing token file as missing and an empty one as invalid', async () => {
    const missing = join(dir, 'bt_u424242');
    expect((await credentialError(loadBearerToken({ file: missing }))).problem).toBe('missing');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n', { mode: 0o600 });
    const err = await credentialError(loadBearerToken({ file: empty }));
    expect([err.problem, err.message]).toEqual(['invalid', `${empty}: token is empty`]);
  });

  it('warns when the token file is readable by others', async () => {
    const file = join(dir, 'bt-shared');
    writeFileSync(file, 'opaque', { mode: 0o644 });
    const warnings: string[] = [];
    await loadBearerToken({ file }, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([`${file}: readable by group or others (mode 644); chmod 600 it`]);
  });
});

describe('describeCredential for tokens', () => {
  it('shows subject, issuer, scope and expiry, never the token', async () => {
    const token = await loadBearerToken({ value: jwt(CLAIMS), source: 'BEARER_TOKEN' }, { now: new Date((EXP - 60) * 1000) });
    const text = describeCredential(token);
    expect(text).toBe(
      `bearer token sub=alice, iss=https://iam.example.org/, scope=storage.read:/ openid, expires ${new Date(EXP * 1000).toISOString()} (BEARER_TOKEN)`,
    );
    expect(text).not.toContain(token.token);
  });

  it('describes an opaque token without its value', async () => {
    const token = await loadBearerToken({ value: 'opaque-token-4f2a', source: 'BEARER_TOKEN' });
    expect(describeCredential(token)).toBe('opaque bearer token, no expiry (BEARER_TOKEN)');
  });
});
