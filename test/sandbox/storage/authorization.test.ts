import { readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki } from '../../../src/sandbox/pki/index.js';
import type { StorageEndpoint } from '../../../src/sandbox/storage/index.js';
import { EMBARGO_GROUP, startStorageFixture, type StorageFixture } from './endpoint-fixture.js';
import { call, type CallOptions } from './https-client.js';

describe('storage endpoint: authorization', () => {
  let f: StorageFixture;
  let unmapped: StorageEndpoint;
  const member = () => f.credentials(f.pki.users.member.proxyPath);
  const nonmember = () => f.credentials(f.pki.users.nonmember.proxyPath);
  const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
  const mint = (scope: string, groups?: string[]) =>
    f.issuer.mint({ sub: 'probe-robot', scope, ...(groups ? { groups } : {}) });
  const send = (method: string, path: string, extra: Partial<CallOptions> = {}, endpoint?: StorageEndpoint) =>
    call(`${(endpoint ?? f.endpoint).url}${path}`, { method, ca: f.pki.caCertPem, ...extra });

  beforeAll(async () => {
    f = await startStorageFixture('lakeprobe-authz-');
    unmapped = await f.start({ name: 'SANDBOX_NO_GRIDMAP', gridmap: {} });
    expect((await send('PUT', '/embargo/secret.dat', { ...member(), body: 'classified' })).status).toBe(201);
    expect((await send('PUT', '/public/open.dat', { ...member(), body: 'open data' })).status).toBe(201);
  });
  afterAll(async () => {
    await f.close();
    rmSync(f.tmp, { recursive: true, force: true });
  });

  describe('x509', () => {
    it('answers 401 when neither a certificate nor a token is presented', async () => {
      const reply = await send('GET', '/public/open.dat');
      expect(reply.status).toBe(401);
    });

    it('answers 401 "Client certificate expired" for an expired proxy', async () => {
      const reply = await send('GET', '/public/open.dat', f.credentials(f.pki.users.member.expiredProxyPath));
      expect(reply.status).toBe(401);
      expect(reply.body).toMatch(/^Client certificate expired: proxy certificate .* expired at /);
    });

    it('answers 403 for a certificate from an untrusted CA', async () => {
      const foreign = await ensurePki(join(f.tmp, 'foreign-pki'));
      const reply = await send('GET', '/public/open.dat', f.credentials(foreign.users.member.proxyPath));
      expect(reply.status).toBe(403);
      expect(reply.body).toContain('not issued by a trusted CA');
    });

    it('answers 403 "Gridmap lookup failure" for a DN missing from the gridmap', async () => {
      const reply = await send('GET', '/public/open.dat', member(), unmapped);
      expect(reply.status).toBe(403);
      expect(reply.body.trim()).toBe('Gridmap lookup failure: DN /DC=org/DC=lakeprobe/CN=Alice Member not mapped');
    });

    it('sees the full proxy chain on every connection of a client that caches TLS sessions', async () => {
      const agent = new Agent({ ...member(), ca: f.pki.caCertPem, keepAlive: false });
      for (let i = 0; i < 3; i++) {
        const reply = await call(`${f.endpoint.url}/public/open.dat`, { ca: f.pki.caCertPem, agent });
        expect(reply.status).toBe(200);
      }
      agent.destroy();
    });

    it('accepts a plain user certificate as well as a proxy', async () => {
      const user = f.pki.users.nonmember;
      const reply = await send('GET', '/public/open.dat', {
        cert: readFileSync(user.certPath, 'utf8'),
        key: readFileSync(user.keyPath, 'utf8'),
      });
      expect(reply.status).toBe(200);
    });

    it('keeps a non-member out of the embargoed tree and lets the member in', async () => {
      const outsider = await send('GET', '/embargo/secret.dat', nonmember());
      expect(outsider.status).toBe(403);
      expect(outsider.body.trim()).toBe('Access to embargoed path denied');
      expect((await send('PUT', '/embargo/planted.dat', { ...nonmember(), body: 'x' })).status).toBe(403);
      expect((await send('GET', '/public/open.dat', nonmember())).status).toBe(200);
      const insider = await send('GET', '/embargo/secret.dat', member());
      expect(insider.status).toBe(200);
      expect(insider.body).toBe('classified');
    });
  });

  describe('tokens', () => {
    it('lets a read-only token read but refuses its PUT with 403', async () => {
      const token = await mint('storage.read:/');
      expect((await send('GET', '/public/open.dat', bearer(token))).status).toBe(200);
      const put = await send('PUT', '/public/new.dat', { ...bearer(token), body: 'nope' });
      expect(put.status).toBe(403);
      expect(put.body.trim()).toBe('Insufficient token scope for PUT /public/new.dat');
    });

    it('lets storage.create write new files but not overwrite them', async () => {
      const token = await mint('storage.create:/public');
      expect((await send('PUT', '/public/created.dat', { ...bearer(token), body: 'v1' })).status).toBe(201);
      expect((await send('PUT', '/public/created.dat', { ...bearer(token), body: 'v2' })).status).toBe(403);
      expect((await send('MKCOL', '/public/newdir', bearer(token))).status).toBe(201);
      expect((await send('DELETE', '/public/created.dat', bearer(token))).status).toBe(403);
    });

    it('lets storage.modify overwrite and delete', async () => {
      const token = await mint('storage.modify:/public');
      expect((await send('PUT', '/public/created.dat', { ...bearer(token), body: 'v3' })).status).toBe(201);
      expect((await send('DELETE', '/public/created.dat', bearer(token))).status).toBe(204);
    });

    it('limits a scope to its path', async () => {
      const token = await mint('storage.read:/public');
      expect((await send('GET', '/public/open.dat', bearer(token))).status).toBe(200);
      const root = await send('PROPFIND', '/', { headers: { Authorization: `Bearer ${token}`, Depth: '1' } });
      expect(root.status).toBe(403);
    });

    it('answers 401 "token expired" and 401 "invalid token"', async () => {
      const expired = await f.issuer.mint({ sub: 'probe-robot', scope: 'storage.read:/', lifetimeSeconds: -60 });
      const stale = await send('GET', '/public/open.dat', bearer(expired));
      expect(stale.status).toBe(401);
      expect(stale.body.trim()).toBe('token expired');
      const garbage = await send('GET', '/public/open.dat', bearer('not.a.jwt'));
      expect(garbage.status).toBe(401);
      expect(garbage.body.trim()).toBe('invalid token');
    });

    it('refuses with 403 a valid token issued for another audience, as a storage with an audience configured does', async () => {
      const foreign = await f.issuer.mint({ sub: 'probe-robot', scope: 'storage.read:/', aud: 'other-service' });
      const reply = await send('GET', '/public/open.dat', bearer(foreign));
      expect(reply.status).toBe(403);
      expect(reply.body.trim()).toBe(
        'Token audience "other-service" not accepted (this storage accepts: https://wlcg.cern.ch/jwt/v1/any, rucio)',
      );
      expect(reply.body).not.toContain(foreign);
      // One audience in common is enough; the WLCG "any" audience (the issuer's default) always is.
      const shared = await f.issuer.mint({ sub: 'probe-robot', scope: 'storage.read:/', aud: ['other-service', 'rucio'] });
      expect((await send('GET', '/public/open.dat', bearer(shared))).status).toBe(200);
      expect((await send('GET', '/public/open.dat', bearer(await mint('storage.read:/')))).status).toBe(200);
    });

    it('checks the audience against the one the endpoint is configured with', async () => {
      const own = await f.start({ name: 'SANDBOX_OWN_AUDIENCE', audiences: ['https://storage.example.org'] });
      const get = async (aud: string): Promise<number> =>
        (await send('GET', '/public/open.dat', bearer(await f.issuer.mint({ sub: 'probe-robot', scope: 'storage.read:/', aud })), own)).status;
      expect(await get('https://storage.example.org')).toBe(200);
      expect(await get('https://wlcg.cern.ch/jwt/v1/any')).toBe(200);
      expect(await get('rucio')).toBe(403);
    });

    it('answers a refused large upload without waiting for its body', async () => {
      const token = await mint('storage.read:/');
      async function* body(): AsyncGenerator<Buffer> {
        for (let i = 0; i < 64; i++) yield Buffer.alloc(1024 * 1024);
      }
      const reply = await send('PUT', '/public/huge.dat', {
        body: Readable.from(body()),
        headers: { Authorization: `Bearer ${token}`, 'Content-Length': 64 * 1024 * 1024 },
      });
      expect(reply.status).toBe(403);
      expect(f.access).toContainEqual(expect.objectContaining({ method: 'PUT', path: '/public/huge.dat', bytes: 0 }));
    });

    it('decides by the token even when a mapped certificate is presented too', async () => {
      const token = await mint('storage.read:/');
      const put = await send('PUT', '/public/both.dat', { ...member(), ...bearer(token), body: 'x' });
      expect(put.status).toBe(403);
      expect(put.body).toContain('Insufficient token scope');
    });

    it('opens the embargoed tree only to tokens carrying the embargo group', async () => {
      const outsider = await send('GET', '/embargo/secret.dat', bearer(await mint('storage.read:/')));
      expect(outsider.status).toBe(403);
      expect(outsider.body.trim()).toBe('Access to embargoed path denied');
      const insider = await send('GET', '/embargo/secret.dat', bearer(await mint('storage.read:/', [EMBARGO_GROUP])));
      expect(insider.status).toBe(200);
    });
  });

  it('logs every request with the DN or token subject, never the token', async () => {
    const token = await mint('storage.read:/');
    await send('GET', '/public/open.dat', bearer(token));
    const logged = JSON.stringify(f.access);
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(token.split('.')[2] as string);
    expect(f.access).toContainEqual({
      method: 'GET',
      path: '/public/open.dat',
      status: 200,
      bytes: 'open data'.length,
      identity: 'probe-robot',
    });
    expect(f.access).toContainEqual(
      expect.objectContaining({ method: 'GET', path: '/embargo/secret.dat', status: 403, identity: f.pki.users.nonmember.dn }),
    );
    expect(f.access).toContainEqual(expect.objectContaining({ status: 401, path: '/public/open.dat' }));
  });
});
