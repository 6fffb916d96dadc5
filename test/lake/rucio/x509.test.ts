import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { X509Credential } from '../../../src/lake/credentials/types.js';
import { classify } from '../../../src/engine/classify.js';
import { CredentialError } from '../../../src/lake/errors.js';
import { RucioClient } from '../../../src/lake/rucio/index.js';
import { withTemporaryPki, type Certificate } from '../../helpers/openssl-pki.js';

const NOW = new Date('2026-11-25T00:04:23Z');

let pki: { ca: Certificate; server: Certificate; client: Certificate; stranger: Certificate };
let server: https.Server;
let base: string;
const logins: { dn: string; account: string | undefined }[] = [];

function credential(overrides: Partial<X509Credential> = {}): X509Credential {
  return {
    certPem: pki.client.certPem, keyPem: pki.client.keyPem,
    subject: 'CN=alice,O=lakeprobe', subjectSlash: '/O=lakeprobe/CN=alice',
    notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z'),
    isProxy: false, source: '/tmp/x509up_u1000',
    ...overrides,
  };
}

function client(cred: X509Credential): RucioClient {
  return new RucioClient({ rucioHost: base, authHost: base, account: 'alice', auth: { method: 'x509', credential: cred }, ca: [pki.ca.certPem], now: () => NOW });
}

beforeAll(async () => {
  pki = withTemporaryPki((certs) => {
    const ca = certs.ca('ca', '/CN=lakeprobe test CA');
    return {
      ca, server: certs.server('server', ca), client: certs.client('client', ca, '/O=lakeprobe/CN=alice'),
      stranger: certs.client('stranger', ca, '/O=lakeprobe/CN=stranger'),
    };
  });
  // Like Rucio's Apache (SSLVerifyClient optional_no_ca): ask for a certificate, let the view decide.
  server = https.createServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: [pki.ca.certPem], requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const socket = req.socket as TLSSocket;
    if (req.url === '/auth/x509') {
      const peer = socket.getPeerCertificate();
      const dn = socket.authorized && peer.subject ? `/O=${String(peer.subject.O)}/CN=${String(peer.subject.CN)}` : '';
      logins.push({ dn, account: req.headers['x-rucio-account'] as string | undefined });
      if (dn !== '/O=lakeprobe/CN=alice') {
        res.writeHead(401, { ExceptionClass: 'CannotAuthenticate' });
        res.end(JSON.stringify({ ExceptionClass: 'CannotAuthenticate', ExceptionMessage: 'Cannot authenticate to account alice with given credentials' }));
        return;
      }
      res.writeHead(200, { 'X-Rucio-Auth-Token': 'alice-/O=lakeprobe/CN=alice-lakeprobe-0a1b', 'X-Rucio-Auth-Token-Expires': 'Wed, 25 Nov 2026 01:04:23 UTC' });
      res.end();
      return;
    }
    const ok = req.headers['x-rucio-auth-token'] === 'alice-/O=lakeprobe/CN=alice-lakeprobe-0a1b';
    res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
    res.end(ok ? '["user.alice"]' : '{"ExceptionClass": "CannotAuthenticate", "ExceptionMessage": "Cannot authenticate with given credentials"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('x509 login', () => {
  it('presents the client certificate to /auth/x509 and uses the token it gets', async () => {
    const c = client(credential());
    await expect(c.authenticate()).resolves.toEqual({ expiresAt: new Date('2026-11-25T01:04:23Z') });
    await expect(c.listScopes()).resolves.toEqual(['user.alice']);
    expect(logins.at(-1)).toEqual({ dn: '/O=lakeprobe/CN=alice', account: 'alice' });
    c.close();
  });

  it('names the DN it presented when Rucio maps it to no identity of the account (auth_invalid)', async () => {
    const stranger = credential({ certPem: pki.stranger.certPem, keyPem: pki.stranger.keyPem, subject: 'CN=stranger,O=lakeprobe', subjectSlash: '/O=lakeprobe/CN=stranger' });
    const c = client(stranger);
    const error = await c.authenticate().then(() => expect.fail('expected a refusal'), (e: unknown) => e);
    c.close();
    expect(classify(error).errorClass).toBe('auth_invalid');
    expect(classify(error).message).toMatch(/presented DN \/O=lakeprobe\/CN=stranger from \/tmp\/x509up_u1000; register it as an x509 identity of account alice/);
  });

  it('refuses an expired certificate before connecting', async () => {
    const before = logins.length;
    const error: unknown = await client(credential({ notAfter: new Date('2026-11-01T00:00:00Z') })).listScopes().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialError);
    expect(error).toMatchObject({ problem: 'expired', source: '/tmp/x509up_u1000' });
    expect((error as Error).message).not.toContain('PRIVATE KEY');
    expect(logins.length).toBe(before);
  });
});
