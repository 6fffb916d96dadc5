import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XrootdEndpoint } from '../../../src/sandbox/xrootd/index.js';
import { bearer, MEMBER_SCOPE, NONMEMBER_SCOPE, READ_ONLY_SCOPE, startXrootdFixture, type XrootdFixture } from './xrootd-fixture.js';

const denied = (verb: string, path: string): string => `Unable to ${verb} ${path}; permission denied`;

describe('xrootd endpoint: authorization', () => {
  let f: XrootdFixture;
  let e: XrootdEndpoint;
  const member = () => f.proxy(f.pki.users.member.proxyPath);
  const nonmember = () => f.proxy(f.pki.users.nonmember.proxyPath);

  beforeAll(async () => {
    f = await startXrootdFixture('lakeprobe-xrd-authz-');
    e = await f.start('XRD-AUTHZ');
    expect((await f.send(e, 'PUT', '/embargo/secret.dat', { ...member(), body: 'classified' })).status).toBe(200);
    expect((await f.send(e, 'PUT', '/rucio/open.dat', { ...member(), body: 'open data' })).status).toBe(200);
  });
  afterAll(async () => {
    await f?.close();
  });

  describe('x509', () => {
    it('answers 403 "permission denied" when neither a certificate nor a token is presented', async () => {
      const reply = await f.send(e, 'GET', '/rucio/open.dat');
      expect(reply.status).toBe(403);
      expect(reply.body.trim()).toBe(denied('open', '/rucio/open.dat'));
    });

    it('ends the TLS handshake with a "certificate expired" alert for an expired proxy', async () => {
      const attempt = f.send(e, 'GET', '/rucio/open.dat', f.proxy(f.pki.users.member.expiredProxyPath));
      await expect(attempt).rejects.toMatchObject({ code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED' });
      await expect(attempt).rejects.toThrow(/alert certificate expired/);
    });

    it('lets a member read and write the embargoed tree', async () => {
      expect((await f.send(e, 'GET', '/embargo/secret.dat', member())).body).toBe('classified');
      expect((await f.send(e, 'PUT', '/embargo/more.dat', { ...member(), body: 'more' })).status).toBe(200);
    });

    it('refuses a non-member in the embargoed tree with 403 but serves it elsewhere', async () => {
      const get = await f.send(e, 'GET', '/embargo/secret.dat', nonmember());
      expect(get.status).toBe(403);
      expect(get.body.trim()).toBe(denied('open', '/embargo/secret.dat'));
      const put = await f.send(e, 'PUT', '/embargo/intruder.dat', { ...nonmember(), body: 'x' });
      expect(put.status).toBe(403);
      expect(put.body.trim()).toBe(denied('create', '/embargo/intruder.dat'));
      const list = await f.send(e, 'PROPFIND', '/embargo/', { ...nonmember(), headers: { Depth: '1' } });
      expect(list.status).toBe(403);
      expect((await f.send(e, 'GET', '/rucio/open.dat', nonmember())).body).toBe('open data');
    });
  });

  describe('tokens', () => {
    it('lets a full-scope member token write and read anywhere, the embargo included', async () => {
      const token = await f.mint('member', MEMBER_SCOPE);
      expect((await f.send(e, 'PUT', '/rucio/by-token.dat', { ...bearer(token), body: 'tok' })).status).toBe(200);
      expect((await f.send(e, 'GET', '/rucio/by-token.dat', bearer(token))).body).toBe('tok');
      expect((await f.send(e, 'GET', '/embargo/secret.dat', bearer(token))).body).toBe('classified');
    });

    it('refuses a read-only token on PUT, DELETE and MKCOL with 403', async () => {
      const token = await f.mint('member', READ_ONLY_SCOPE);
      expect((await f.send(e, 'GET', '/rucio/open.dat', bearer(token))).status).toBe(200);
      const put = await f.send(e, 'PUT', '/rucio/ro.dat', { ...bearer(token), body: 'x' });
      expect(put.status).toBe(403);
      expect(put.body.trim()).toBe(denied('create', '/rucio/ro.dat'));
      expect((await f.send(e, 'DELETE', '/rucio/open.dat', bearer(token))).status).toBe(403);
      expect((await f.send(e, 'MKCOL', '/rucio/ro-dir', bearer(token))).status).toBe(403);
    });

    it('does not fall back to the member proxy when the token lacks the scope', async () => {
      const token = await f.mint('member', READ_ONLY_SCOPE);
      const put = await f.send(e, 'PUT', '/rucio/ro-with-proxy.dat', { ...bearer(token), ...member(), body: 'x' });
      expect(put.status).toBe(403);
    });

    it('keeps a token scoped to /rucio out of the embargoed tree', async () => {
      const token = await f.mint('nonmember', NONMEMBER_SCOPE);
      expect((await f.send(e, 'PUT', '/rucio/outsider.dat', { ...bearer(token), body: 'o' })).status).toBe(200);
      const get = await f.send(e, 'GET', '/embargo/secret.dat', bearer(token));
      expect(get.status).toBe(403);
      expect(get.body.trim()).toBe(denied('open', '/embargo/secret.dat'));
    });

    it('answers 403 "permission denied" for a valid token issued for another audience', async () => {
      const foreign = await f.issuer.mint({ sub: 'member', scope: MEMBER_SCOPE, aud: 'other-service' });
      const reply = await f.send(e, 'GET', '/rucio/open.dat', bearer(foreign));
      expect(reply.status).toBe(403);
      expect(reply.body.trim()).toBe(denied('open', '/rucio/open.dat'));
    });

    it('answers 403 "permission denied" for an expired token and for a token it cannot verify', async () => {
      const expired = await f.mint('member', MEMBER_SCOPE, { lifetimeSeconds: -3600, nbf: Math.floor(Date.now() / 1000) - 7200 });
      const reply = await f.send(e, 'GET', '/rucio/open.dat', bearer(expired));
      expect(reply.status).toBe(403);
      expect(reply.body.trim()).toBe(denied('open', '/rucio/open.dat'));
      expect((await f.send(e, 'GET', '/rucio/open.dat', bearer('not.a.token'))).status).toBe(403);
    });
  });

  describe('rewritten access files', () => {
    it('lets the non-member into the embargoed tree once the embargo is opened, and out again when closed', async () => {
      await e.rewriteAuthdb({ embargoOpen: true });
      expect((await f.send(e, 'GET', '/embargo/secret.dat', nonmember())).body).toBe('classified');
      await e.rewriteAuthdb({ embargoOpen: false });
      expect((await f.send(e, 'GET', '/embargo/secret.dat', nonmember())).status).toBe(403);
    });

    it('drops the connection without an HTTP answer for a DN missing from the gridmap', async () => {
      await e.rewriteGridmap({ [f.pki.users.nonmember.dn]: 'nonmember' });
      try {
        const attempt = f.send(e, 'GET', '/rucio/open.dat', member());
        await expect(attempt).rejects.toMatchObject({ code: 'ECONNRESET' });
        await expect(attempt).rejects.toThrow(/^(socket hang up|read ECONNRESET)$/);
        expect(readFileSync(e.logFile, 'utf8')).toContain(`Required gridmap mapping failed for DN: ${f.pki.users.member.dn}`);
        expect((await f.send(e, 'GET', '/rucio/open.dat', nonmember())).status).toBe(200);
      } finally {
        await e.rewriteGridmap({ [f.pki.users.member.dn]: 'member', [f.pki.users.nonmember.dn]: 'nonmember' });
      }
      expect((await f.send(e, 'GET', '/rucio/open.dat', member())).status).toBe(200);
    });
  });
});
