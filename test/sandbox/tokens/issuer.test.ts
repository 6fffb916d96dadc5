import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki, type SandboxPki } from '../../../src/sandbox/pki/index.js';
import { startTokenIssuer, verifyWithJwks, WLCG_ANY_AUDIENCE, type TokenIssuer } from '../../../src/sandbox/tokens/index.js';
import { call } from '../storage/https-client.js';

describe('token issuer', () => {
  let root: string;
  let pki: SandboxPki;
  let issuer: TokenIssuer;
  let other: TokenIssuer;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lakeprobe-issuer-'));
    pki = await ensurePki(join(root, 'pki'));
    const tls = { certPem: pki.host.certPem, keyPem: pki.host.keyPem };
    issuer = await startTokenIssuer({
      tls,
      clients: [{ id: 'probe', secret: 's3cret', sub: 'probe-client', scope: 'storage.read:/ storage.create:/data' }],
    });
    other = await startTokenIssuer({ tls });
  });
  afterAll(async () => {
    await issuer.close();
    await other.close();
    rmSync(root, { recursive: true, force: true });
  });

  const getJson = async (url: string): Promise<Record<string, unknown>> => {
    const reply = await call(url, { ca: pki.caCertPem });
    expect(reply.status).toBe(200);
    return JSON.parse(reply.body) as Record<string, unknown>;
  };

  it('serves OpenID discovery over HTTPS with the issuer, JWKS and token endpoint', async () => {
    expect(issuer.issuer).toMatch(/^https:\/\/localhost:\d+$/);
    const config = await getJson(`${issuer.issuer}/.well-known/openid-configuration`);
    expect(config).toMatchObject({
      issuer: issuer.issuer,
      jwks_uri: `${issuer.issuer}/jwks`,
      token_endpoint: `${issuer.issuer}/token`,
    });
  });

  it('publishes only the public signing key, with a kid', async () => {
    const jwks = (await getJson(`${issuer.issuer}/jwks`)) as unknown as JSONWebKeySet;
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]?.kid).toEqual(expect.any(String));
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('mints WLCG profile tokens that verify with its own key and with the published JWKS', async () => {
    const token = await issuer.mint({ sub: 'alice', scope: 'storage.read:/ storage.create:/data', groups: ['/lakeprobe'] });
    const claims = await issuer.verify(token);
    expect(claims).toMatchObject({
      iss: issuer.issuer,
      sub: 'alice',
      aud: WLCG_ANY_AUDIENCE,
      scope: 'storage.read:/ storage.create:/data',
      'wlcg.ver': '1.0',
      'wlcg.groups': ['/lakeprobe'],
    });
    expect(claims?.exp).toBeGreaterThan(claims?.iat ?? Infinity);
    expect(claims?.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: issuer.jwks.keys[0]?.kid });
    const jwks = (await getJson(`${issuer.issuer}/jwks`)) as unknown as JSONWebKeySet;
    expect(await verifyWithJwks(token, issuer.issuer, jwks)).toMatchObject({ sub: 'alice' });
  });

  it('checks the audience when asked', async () => {
    const token = await issuer.mint({ sub: 'alice', scope: 'storage.read:/', aud: 'https://localhost:1' });
    expect(await verifyWithJwks(token, issuer.issuer, issuer.jwks, { audience: 'https://localhost:1' })).not.toBeNull();
    expect(await verifyWithJwks(token, issuer.issuer, issuer.jwks, { audience: 'https://elsewhere' })).toBeNull();
  });

  it('refuses expired and not-yet-valid tokens', async () => {
    const expired = await issuer.mint({ sub: 'alice', scope: 'storage.read:/', lifetimeSeconds: -60 });
    expect(await issuer.verify(expired)).toBeNull();
    const early = await issuer.mint({ sub: 'alice', scope: 'storage.read:/', nbf: Math.floor(Date.now() / 1000) + 600 });
    expect(await issuer.verify(early)).toBeNull();
  });

  it("refuses another issuer's token and a tampered token", async () => {
    expect(await issuer.verify(await other.mint({ sub: 'alice', scope: 'storage.read:/' }))).toBeNull();
    const token = await issuer.mint({ sub: 'alice', scope: 'storage.read:/' });
    const [header, payload, signature] = token.split('.');
    const widened = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), scope: 'storage.modify:/' }),
    ).toString('base64url');
    expect(await issuer.verify(`${header}.${widened}.${signature}`)).toBeNull();
  });

  describe('token endpoint (client credentials)', () => {
    const post = (form: string, auth?: string) =>
      call(`${issuer.issuer}/token`, {
        method: 'POST',
        ca: pki.caCertPem,
        body: form,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          ...(auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}),
        },
      });

    it('grants a narrowed scope to an authenticated client', async () => {
      const reply = await post('grant_type=client_credentials&scope=storage.create:/data/run1', 'probe:s3cret');
      expect(reply.status).toBe(200);
      const body = JSON.parse(reply.body) as { access_token: string; token_type: string; scope: string };
      expect(body).toMatchObject({ token_type: 'Bearer', scope: 'storage.create:/data/run1' });
      expect(await issuer.verify(body.access_token)).toMatchObject({ sub: 'probe-client', scope: 'storage.create:/data/run1' });
    });

    it('refuses a wrong secret with invalid_client', async () => {
      const reply = await post('grant_type=client_credentials', 'probe:wrong');
      expect(reply.status).toBe(401);
      expect(JSON.parse(reply.body)).toMatchObject({ error: 'invalid_client' });
    });

    it('refuses a scope wider than the client may have', async () => {
      const reply = await post('grant_type=client_credentials&scope=storage.modify:/', 'probe:s3cret');
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.body)).toMatchObject({ error: 'invalid_scope' });
    });
  });
});
