// The sandbox issuer's token endpoint as INDIGO IAM answers (IAM builds on
// spring-security-oauth2: common/exceptions/{InvalidClient,UnauthorizedClient,InvalidGrant,
// InvalidScope}Exception.java give the codes and statuses), with the bodies of RFC 6749
// §5.2 ({"error", "error_description"}), refresh tokens (§6) and RFC 8693 token exchange
// (§2.2.1: issued_token_type in the answer).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki, type SandboxPki } from '../../../src/sandbox/pki/index.js';
import {
  GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE, startTokenIssuer, TOKEN_TYPE_ACCESS, type TokenIssuer,
} from '../../../src/sandbox/tokens/index.js';
import { call } from '../storage/https-client.js';

describe('sandbox issuer grants and refusals, as IAM', () => {
  let root: string;
  let pki: SandboxPki;
  let issuer: TokenIssuer;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lakeprobe-iam-'));
    pki = await ensurePki(join(root, 'pki'));
    issuer = await startTokenIssuer({
      tls: { certPem: pki.host.certPem, keyPem: pki.host.keyPem },
      clients: [
        {
          id: 'all', secret: 'all-secret', sub: 'all', scope: 'storage.read:/ storage.create:/data',
          grantTypes: [GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE], audiences: ['https://se.example.org'],
        },
        { id: 'cc', secret: 'cc-secret', sub: 'cc', scope: 'storage.read:/' },
      ],
    });
  });
  afterAll(async () => {
    await issuer.close();
    rmSync(root, { recursive: true, force: true });
  });

  const post = async (form: Record<string, string>, client: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const reply = await call(`${issuer.issuer}/token`, {
      method: 'POST', ca: pki.caCertPem, body: new URLSearchParams(form).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(client).toString('base64')}` },
    });
    return { status: reply.status, body: JSON.parse(reply.body) as Record<string, unknown> };
  };

  it("issues one-hour tokens by default, IAM's access-token lifetime", async () => {
    const { status, body } = await post({ grant_type: 'client_credentials' }, 'cc:cc-secret');
    expect(status).toBe(200);
    expect(body.expires_in).toBe(3600);
    const claims = decodeJwt(body.access_token as string);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
  });

  it('advertises its grants in the OpenID configuration', async () => {
    const reply = await call(`${issuer.issuer}/.well-known/openid-configuration`, { ca: pki.caCertPem });
    expect((JSON.parse(reply.body) as { grant_types_supported: string[] }).grant_types_supported)
      .toEqual(['client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange']);
  });

  it('answers a refresh token of the client with a token of the user it stands for, and the refresh token', async () => {
    const rt = issuer.issueRefreshToken({ clientId: 'all', sub: 'alice', scope: 'storage.read:/ storage.create:/data' });
    const { status, body } = await post({ grant_type: 'refresh_token', refresh_token: rt, scope: 'storage.read:/data' }, 'all:all-secret');
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'storage.read:/data', refresh_token: rt });
    expect(await issuer.verify(body.access_token as string)).toMatchObject({ sub: 'alice', scope: 'storage.read:/data' });
  });

  it('exchanges an access token for one of an allowed audience, never wider than the subject token', async () => {
    const subject = await issuer.mint({ sub: 'bob', scope: 'storage.read:/' });
    const form = { grant_type: GRANT_TOKEN_EXCHANGE, subject_token: subject, subject_token_type: TOKEN_TYPE_ACCESS, audience: 'https://se.example.org' };
    const ok = await post({ ...form, scope: 'storage.read:/data' }, 'all:all-secret');
    expect(ok.status).toBe(200);
    expect(ok.body.issued_token_type).toBe(TOKEN_TYPE_ACCESS);
    expect(await issuer.verify(ok.body.access_token as string)).toMatchObject({ sub: 'bob', aud: 'https://se.example.org', scope: 'storage.read:/data' });
    // The client may create under /data, the subject token may not: no widening by exchange.
    const wider = await post({ ...form, scope: 'storage.create:/data' }, 'all:all-secret');
    expect(wider).toEqual({ status: 400, body: { error: 'invalid_scope', error_description: 'Invalid scope: storage.create:/data' } });
  });

  it('refuses bad client credentials with invalid_client, 401', async () => {
    expect(await post({ grant_type: 'client_credentials' }, 'cc:nope'))
      .toEqual({ status: 401, body: { error: 'invalid_client', error_description: 'Bad client credentials' } });
  });

  it('refuses a grant the client is not registered for with unauthorized_client, 401', async () => {
    const rt = issuer.issueRefreshToken({ clientId: 'cc', sub: 'alice', scope: 'storage.read:/' });
    expect(await post({ grant_type: 'refresh_token', refresh_token: rt }, 'cc:cc-secret'))
      .toEqual({ status: 401, body: { error: 'unauthorized_client', error_description: 'Unauthorized grant type: refresh_token' } });
  });

  it("refuses an unknown, revoked or another client's refresh token with invalid_grant, 400", async () => {
    // DefaultTokenServices.refreshAccessToken: "Invalid refresh token: " + the value sent.
    const invalid = (rt: string): unknown => ({ status: 400, body: { error: 'invalid_grant', error_description: `Invalid refresh token: ${rt}` } });
    expect(await post({ grant_type: 'refresh_token', refresh_token: 'made-up' }, 'all:all-secret')).toEqual(invalid('made-up'));
    const revoked = issuer.issueRefreshToken({ clientId: 'all', sub: 'alice', scope: 'storage.read:/' });
    issuer.revokeRefreshToken(revoked);
    expect(await post({ grant_type: 'refresh_token', refresh_token: revoked }, 'all:all-secret')).toEqual(invalid(revoked));
    const others = issuer.issueRefreshToken({ clientId: 'cc', sub: 'alice', scope: 'storage.read:/' });
    expect(await post({ grant_type: 'refresh_token', refresh_token: others }, 'all:all-secret')).toEqual(invalid(others));
  });

  it('refuses a scope beyond the client with invalid_scope, 400, and an audience it may not ask for with invalid_target', async () => {
    expect(await post({ grant_type: 'client_credentials', scope: 'storage.modify:/' }, 'all:all-secret'))
      .toEqual({ status: 400, body: { error: 'invalid_scope', error_description: 'Invalid scope: storage.modify:/' } });
    // RFC 8693 §2.2.2: invalid_target for an audience the issuer will not serve this client.
    expect(await post({ grant_type: 'client_credentials', audience: 'https://other.example.org' }, 'all:all-secret'))
      .toEqual({ status: 400, body: { error: 'invalid_target', error_description: 'audience not allowed for this client: https://other.example.org' } });
  });
});
