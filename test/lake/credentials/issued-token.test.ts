// Tokens lakeprobe obtains itself, against the sandbox issuer (IAM's behaviour: discovery,
// client_credentials, refresh_token, RFC 8693 token exchange, RFC 6749 §5.2 refusals),
// renewed ahead of expiry and failing with a clear class when the issuer is down.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { forgetIssuedTokens, issuedToken, issuedTokenStates, type IssuedTokenSpec } from '../../../src/lake/credentials/index.js';
import { TokenIssuerError } from '../../../src/lake/errors.js';
import { classify } from '../../../src/engine/classify.js';
import { credentialLifetimes } from '../../../src/schedule/credential-lifetimes.js';
import { renderStatusPage } from '../../../src/jobs/status-page.js';
import { ensurePki, type SandboxPki } from '../../../src/sandbox/pki/index.js';
import {
  GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE, startTokenIssuer, type TokenIssuer,
} from '../../../src/sandbox/tokens/index.js';

const STORAGE_AUD = 'https://storage.example.org';

describe('tokens obtained from an issuer', () => {
  let root: string;
  let pki: SandboxPki;
  let issuer: TokenIssuer;
  let ca: string[];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lakeprobe-issued-'));
    pki = await ensurePki(join(root, 'pki'));
    ca = [pki.caCertPem];
    issuer = await startTokenIssuer({
      tls: { certPem: pki.host.certPem, keyPem: pki.host.keyPem },
      tokenLifetimeSeconds: 6,
      clients: [
        {
          id: 'robot', secret: 'robot-secret', sub: 'robot', scope: 'storage.read:/ storage.create:/data',
          grantTypes: [GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE], audiences: [STORAGE_AUD, 'rucio'],
        },
        { id: 'plain', secret: 'plain-secret', sub: 'plain', scope: 'storage.read:/' },
      ],
    });
  });
  afterEach(() => forgetIssuedTokens());
  afterAll(async () => {
    await issuer.close();
    rmSync(root, { recursive: true, force: true });
  });

  const spec = (over: Partial<IssuedTokenSpec> = {}): IssuedTokenSpec => ({
    issuer: issuer.issuer, clientId: 'robot', clientSecret: 'robot-secret', grant: 'client_credentials', renewMarginSeconds: 2, ...over,
  });
  const refusal = async (s: IssuedTokenSpec): Promise<TokenIssuerError> => {
    const err = await issuedToken(s, { ca }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TokenIssuerError);
    return err as TokenIssuerError;
  };

  it('obtains a client_credentials token for the audience and scope asked, found by OpenID discovery', async () => {
    const { token } = await issuedToken(spec({ audience: STORAGE_AUD, scope: 'storage.read:/data' }), { ca });
    const claims = await issuer.verify(token.token);
    expect(claims).toMatchObject({ sub: 'robot', aud: STORAGE_AUD, scope: 'storage.read:/data', iss: issuer.issuer });
    expect(token.requested).toEqual({ audience: STORAGE_AUD, scope: 'storage.read:/data' });
    expect(token.expiresAt?.getTime()).toBe((decodeJwt(token.token).exp ?? 0) * 1000);
  });

  it('obtains a token with a refresh token from a file, as oidc-agent keeps it', async () => {
    const file = join(root, 'refresh');
    writeFileSync(file, `${issuer.issueRefreshToken({ clientId: 'robot', sub: 'alice', scope: 'storage.read:/ storage.create:/data' })}\n`, { mode: 0o600 });
    const { token } = await issuedToken(spec({ grant: 'refresh_token', refreshTokenFile: file, scope: 'storage.create:/data/x' }), { ca });
    expect(await issuer.verify(token.token)).toMatchObject({ sub: 'alice', scope: 'storage.create:/data/x' });
  });

  it('exchanges a token for one of another audience and a narrower scope (RFC 8693)', async () => {
    const file = join(root, 'subject');
    writeFileSync(file, await issuer.mint({ sub: 'bob', scope: 'storage.read:/ storage.modify:/', aud: 'rucio' }), { mode: 0o600 });
    const { token } = await issuedToken(spec({ grant: 'token_exchange', subjectTokenFile: file, audience: STORAGE_AUD, scope: 'storage.read:/data' }), { ca });
    expect(await issuer.verify(token.token)).toMatchObject({ sub: 'bob', aud: STORAGE_AUD, scope: 'storage.read:/data' });
  });

  // RFC 6749 §5.2; IAM answers through spring-security-oauth2 (InvalidClientException /
  // UnauthorizedClientException are 401, InvalidGrantException / InvalidScopeException 400).
  it('refuses a wrong client secret: invalid_client, 401, auth_invalid', async () => {
    const err = await refusal(spec({ clientSecret: 'wrong' }));
    expect([err.status, err.oauthError, classify(err).errorClass]).toEqual([401, 'invalid_client', 'auth_invalid']);
    expect(err.message).toContain(`token request to ${issuer.issuer} (client_credentials aud=- scope="-") refused: HTTP 401 invalid_client`);
    expect(err.message).not.toContain('wrong');
  });

  it('refuses a scope beyond the client: invalid_scope, 400, auth_denied, naming what was asked', async () => {
    const err = await refusal(spec({ scope: 'storage.modify:/' }));
    expect([err.status, err.oauthError, classify(err).errorClass]).toEqual([400, 'invalid_scope', 'auth_denied']);
    expect(err.message).toContain('scope="storage.modify:/"');
    expect(err.message).toContain('Invalid scope: storage.modify:/');
  });

  it('refuses a revoked refresh token: invalid_grant, 400', async () => {
    const file = join(root, 'revoked');
    const rt = issuer.issueRefreshToken({ clientId: 'robot', sub: 'alice', scope: 'storage.read:/' });
    issuer.revokeRefreshToken(rt);
    writeFileSync(file, rt, { mode: 0o600 });
    const err = await refusal(spec({ grant: 'refresh_token', refreshTokenFile: file }));
    expect([err.status, err.oauthError, classify(err).errorClass]).toEqual([400, 'invalid_grant', 'auth_invalid']);
    // The issuer echoes the refused refresh token, as IAM does; the message never carries it.
    expect(err.message).toContain('HTTP 400 invalid_grant: Invalid refresh token: ***');
    expect(err.message).not.toContain(rt);
  });

  it('refuses a grant the client is not registered for: unauthorized_client, 401', async () => {
    const file = join(root, 'plain-subject');
    writeFileSync(file, await issuer.mint({ sub: 'bob', scope: 'storage.read:/' }), { mode: 0o600 });
    const err = await refusal(spec({ clientId: 'plain', clientSecret: 'plain-secret', grant: 'token_exchange', subjectTokenFile: file }));
    expect([err.status, err.oauthError, classify(err).errorClass]).toEqual([401, 'unauthorized_client', 'auth_invalid']);
  });

  it('renews 6-second tokens ahead of expiry: every use over 14 s holds a valid token', async () => {
    const s = spec({ audience: 'rucio', scope: 'storage.read:/' });
    const { token } = await issuedToken(s, { ca });
    const values = new Set<string>();
    const deadline = Date.now() + 14_000;
    let uses = 0;
    while (Date.now() < deadline && uses < 200) {
      await token.renew?.();
      // Still more than a second to live at each use, and the issuer accepts it.
      expect((token.expiresAt?.getTime() ?? 0) - Date.now()).toBeGreaterThan(1000);
      expect(await issuer.verify(token.token)).not.toBeNull();
      values.add(token.token);
      uses++;
      await new Promise((r) => setTimeout(r, 250));
    }
    // 14 s of 6 s tokens renewed 2 s ahead: a new token at least every 4 s.
    expect(values.size).toBeGreaterThanOrEqual(3);
    const state = issuedTokenStates().find((t) => t.audience === 'rucio');
    expect(state).toMatchObject({ issuer: issuer.issuer, clientId: 'robot', grant: 'client_credentials', scope: 'storage.read:/', lastError: null });
    expect(state?.renewals).toBe(values.size);
  }, 60_000);

  it('a renewal the issuer cannot answer fails as service_unavailable, naming the issuer, and is recorded', async () => {
    const { token } = await issuedToken(spec({ scope: 'storage.read:/' }), { ca });
    issuer.setAvailable(false);
    try {
      await new Promise((r) => setTimeout(r, Math.max(0, (token.expiresAt?.getTime() ?? 0) - 2000 - Date.now()) + 100));
      const err = await token.renew?.().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(TokenIssuerError);
      expect(classify(err).errorClass).toBe('service_unavailable');
      expect((err as Error).message).toContain(`token request to ${issuer.issuer}`);
      expect(issuedTokenStates()[0]?.lastError).toContain('HTTP 503');
    } finally {
      issuer.setAvailable(true);
    }
  }, 30_000);

  it('an issuer that is gone fails as connection_refused, naming the issuer', async () => {
    const gone = await startTokenIssuer({ tls: { certPem: pki.host.certPem, keyPem: pki.host.keyPem } });
    const url = gone.issuer;
    await gone.close();
    const err = await issuedToken(spec({ issuer: url }), { ca }).then(() => undefined, (e: unknown) => e);
    expect(classify(err).errorClass).toBe('connection_refused');
    expect((err as Error).message).toContain(`token request to ${url}`);
  });

  it('the status page shows each live token: source, audience, scope, expiry and last renewal; only a failed renewal counts for the alert', async () => {
    const s = spec({ audience: STORAGE_AUD, scope: 'storage.read:/data' });
    const { token } = await issuedToken(s, { ca });
    const rows = await credentialLifetimes({ token: { issued: s } });
    expect(rows).toEqual([{
      authMethod: 'token', expiresAt: token.expiresAt, source: `client_credentials at ${issuer.issuer} as client robot`,
      audience: STORAGE_AUD, scope: 'storage.read:/data', lastRenewal: expect.any(Date) as Date, renewed: true,
    }]);
    const html = renderStatusPage({
      plan: 'p', planFile: 'p.yaml', startedAt: new Date(0), now: new Date(), reload: { ok: true, at: null, message: '' },
      next: [], runs: [], failures: [], credentials: rows, stopping: false, refreshSeconds: 10,
    });
    const row = /<table id="credentials">.*?<tbody><tr>(.*?)<\/tr>/s.exec(html)?.[1] ?? '';
    const cells = [...row.matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]);
    expect(cells.slice(0, 5)).toEqual([
      'token', `client_credentials at ${issuer.issuer} as client robot`, STORAGE_AUD, 'storage.read:/data', token.expiresAt?.toISOString(),
    ]);
    expect(cells[6]).toBe(rows[0]?.lastRenewal?.toISOString());
    expect(html).not.toContain(token.token);

    issuer.setAvailable(false);
    try {
      await new Promise((r) => setTimeout(r, Math.max(0, (token.expiresAt?.getTime() ?? 0) - 2000 - Date.now()) + 100));
      await token.renew?.().catch(() => undefined);
      const [failed] = await credentialLifetimes({ token: { issued: s } });
      expect(failed).toMatchObject({ renewed: false, problem: expect.stringContaining('renewal failed: token request to') as string });
    } finally {
      issuer.setAvailable(true);
    }
  }, 30_000);
});
