// Bearer tokens against the sandbox lake (whose catalogue and storages verify tokens with
// the issuer): a token the catalogue does not accept fails at `auth`, and every refusal
// names the token's iss, aud, scope, exp and nbf — never the token; a refusal after `exp` is
// auth_expired, and one before `nbf` says "clock skew", on both storage kinds.
import { Readable } from 'node:stream';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/engine/classify.js';
import { openLakeSession } from '../../src/engine/lake-session.js';
import { FULL_STORAGE_SCOPE, READ_ONLY_SCOPE, TOKEN_AUDIENCE } from '../../src/sandbox/config.js';
import { loadTestPlan, runTestPlan, startTestLake, STORAGE_KINDS } from './lake-fixture.js';

const tokenPlan = (file: string): string => `
lake: { sandbox: true }
credentials: { token: { file: ${file} } }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: T
    tests:
      - { name: up, scenario: upload, auth: [token], params: { files: 1, size: 1024 } }
`;

describe.each(STORAGE_KINDS)('bearer token refusals against the sandbox lake (%s storage)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  beforeAll(async () => {
    env = await startTestLake(storage);
  });
  afterAll(() => env.stop());

  const tokenFile = async (name: string, token: string): Promise<string> => {
    const file = join(env.dir, `${name}.jwt`);
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    return file;
  };

  it('fails auth for a token issued for another audience, naming its iss, aud, scope and exp', async () => {
    const token = await env.lake.issuer.mint({ sub: 'member', aud: 'other-service', scope: 'openid storage.read:/' });
    const file = await tokenFile('other-aud', token);
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, tokenPlan(file)));

    // Nothing after a refused login: the run does not go on with a token the lake refuses.
    expect(results.map((r) => [r.operation, r.outcome, r.errorClass])).toEqual([['auth', 'failed', 'auth_invalid']]);
    const message = results[0]?.errorMessage ?? '';
    // Rucio 41's Validate view lets validate_auth_token's CannotAuthenticate through: 500 (flaskapi/v1/auth.py).
    expect(message).toContain('GET /auth/validate: 500 CannotAuthenticate: rucio.common.exception.CannotAuthenticate: Cannot authenticate.');
    expect(message).toMatch(new RegExp(`\\(token exp=\\S+Z iss=${env.lake.issuer.issuer} aud=other-service sub=\\S+ nbf=\\S+Z scope="openid storage.read:/"\\)$`));
    expect(message).not.toContain(token);
  });

  it('names the subject of a token whose identity no account has, so the admin knows what to map', async () => {
    // Rucio 41 maps 'SUB=<sub>, ISS=<iss>' to an account (core/authentication.py validate_jwt, core/identity.py);
    // a subject no account holds is refused like any invalid token, without saying whose it was.
    const token = await env.lake.issuer.mint({ sub: 'robot-unmapped-7', aud: TOKEN_AUDIENCE, scope: FULL_STORAGE_SCOPE });
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, tokenPlan(await tokenFile('unmapped', token))));
    expect(results.map((r) => [r.operation, r.outcome, r.errorClass])).toEqual([['auth', 'failed', 'auth_invalid']]);
    expect(results[0]?.errorMessage).toMatch(new RegExp(`iss=${env.lake.issuer.issuer} aud=\\S+ sub=robot-unmapped-7 nbf=`));
    expect(results[0]?.errorMessage).not.toContain(token);
  });

  it('says "clock skew" when a token is refused before its nbf, which lakeprobe accepts within its 60 s leeway', async () => {
    // The sandbox catalogue checks nbf with no leeway (jose's jwtVerify, src/sandbox/tokens/claims.ts); Rucio 41 validates
    // a JWT in lib/rucio/core/oidc.py validate_jwt and answers the refusal at /auth/validate (flaskapi/v1/auth.py).
    const nbf = Math.floor(Date.now() / 1000) + 40;
    const token = await env.lake.issuer.mint({ sub: 'member', aud: TOKEN_AUDIENCE, scope: FULL_STORAGE_SCOPE, nbf });
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, tokenPlan(await tokenFile('early', token))));
    expect(results.map((r) => [r.operation, r.outcome, r.errorClass])).toEqual([['auth', 'failed', 'auth_expired']]);
    const message = results[0]?.errorMessage ?? '';
    expect(message).toMatch(new RegExp(`\\(token nbf=${new Date(nbf * 1000).toISOString().replace(/\./g, '\\.')} \\(clock skew: refused \\d+ s before it\\) exp=\\S+Z iss=`));
    expect(message).not.toContain(token);
  });

  it('fails auth for a token the issuer never signed (same claims, another key)', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ scope: FULL_STORAGE_SCOPE, groups: ['/lakeprobe'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'forged' }).setSubject('member').setIssuer(env.lake.issuer.issuer)
      .setAudience(TOKEN_AUDIENCE).setIssuedAt().setExpirationTime('10m').sign(privateKey);
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, tokenPlan(await tokenFile('forged', forged))));
    expect(results.map((r) => [r.operation, r.outcome, r.errorClass])).toEqual([['auth', 'failed', 'auth_invalid']]);
    expect(results[0]?.errorMessage).not.toContain(forged);
  });

  it('passes auth for the member token, validated by the catalogue', async () => {
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, tokenPlan(env.lake.tokens.member)));
    expect(results[0]).toMatchObject({ operation: 'auth', outcome: 'ok' });
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
  });

  it('names the token (iss, aud, scope, exp, nbf) when a storage refuses it, never the token', async () => {
    // Read-only: the storage refuses its write.
    const token = (await readFile(env.lake.tokens.readOnly, 'utf8')).trim();
    const plan = await loadTestPlan(env.lake, env.dir, tokenPlan(env.lake.tokens.readOnly));
    const session = await openLakeSession(plan, 'token');
    const refused: unknown = await session.storage('davs')
      .put(`${env.lake.rses[0]?.url}/rucio/user.root/token-aud-${storage}`, Readable.from([Buffer.from('probe')]), 5)
      .catch((e: unknown) => e);
    expect([401, 403]).toContain((refused as { status?: number }).status);
    const classified = classify(refused, session.secrets);
    expect(classified.errorClass).toBe('auth_denied');
    expect(classified.message).toMatch(new RegExp(`\\(token exp=\\S+Z iss=${env.lake.issuer.issuer} aud=rucio,https://wlcg.cern.ch/jwt/v1/any sub=\\S+ nbf=\\S+Z scope="${READ_ONLY_SCOPE.slice(0, 6)}`));
    expect(classified.message).not.toContain(token);
    session.rucio.close();
  });
});

// The sandbox's XRootD still accepted a token more than 10 s past its exp when this was
// written, so a refusal after expiry is only seen on the builtin storage here; the class
// of an XRootD-style 403 after exp is covered in test/lake/credentials/token-refusal.test.ts.
describe('a token that expires mid-run (builtin storage)', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  beforeAll(async () => {
    env = await startTestLake('builtin');
  });
  afterAll(() => env.stop());

  it('classifies the storage refusal after exp as auth_expired, naming the token', async () => {
    const token = await env.lake.issuer.mint({ sub: 'member', aud: TOKEN_AUDIENCE, scope: FULL_STORAGE_SCOPE, lifetimeSeconds: 2 });
    const file = join(env.dir, 'short.jwt');
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    const plan = await loadTestPlan(env.lake, env.dir, tokenPlan(file));
    const session = await openLakeSession(plan, 'token');
    const url = `${env.lake.rses[0]?.url}/rucio/user.root/token-expiry`;
    const body = (): Readable => Readable.from([Buffer.from('probe')]);
    await session.storage('davs').put(url, body(), 5);

    // The run goes on past the token's exp (read from the token itself).
    const { nbf, ...exp } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp: number; nbf: number; sub: string };
    while (Date.now() < exp.exp * 1000 + 50) await delay(50);
    const refused: unknown = await session.storage('davs').put(url, body(), 5).catch((e: unknown) => e);

    expect([401, 403]).toContain((refused as { status?: number }).status);
    const classified = classify(refused, session.secrets);
    expect(classified.errorClass).toBe('auth_expired');
    expect(classified.message).toContain(`(token exp=${new Date(exp.exp * 1000).toISOString()} (expired when refused) iss=${env.lake.issuer.issuer}`);
    expect(classified.message).toContain(`aud=rucio,https://wlcg.cern.ch/jwt/v1/any sub=${String(exp.sub)} nbf=${new Date(nbf * 1000).toISOString()}`);
    expect(classified.message).not.toContain(token);
    session.rucio.close();
  });
});
