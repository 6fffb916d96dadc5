import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki, PROXY_CERT_INFO_OID, type SandboxPki } from '../../../src/sandbox/pki/index.js';
import { x509 } from '../../../src/sandbox/pki/x509.js';
import { certificatesPem } from './chain-helpers.js';

const mode = (path: string): number => statSync(path).mode & 0o777;
const OPENSSL = '/usr/bin/openssl';

describe('ensurePki', () => {
  let root: string;
  let pki: SandboxPki;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lakeprobe-pki-'));
    pki = await ensurePki(join(root, 'pki'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes the CA, host, user and proxy files with private modes for keys', () => {
    expect(mode(pki.dir)).toBe(0o700);
    for (const path of [pki.caKeyPath, pki.host.keyPath]) expect(mode(path)).toBe(0o600);
    for (const user of Object.values(pki.users)) {
      for (const path of [user.certPath, user.keyPath, user.proxyPath, user.expiredProxyPath]) {
        expect(existsSync(path)).toBe(true);
      }
      expect(mode(user.keyPath)).toBe(0o600);
      expect(mode(user.proxyPath)).toBe(0o600);
      expect(mode(user.expiredProxyPath)).toBe(0o600);
    }
  });

  it('names the CA and users under DC=org/DC=lakeprobe in slash form', () => {
    expect(new X509Certificate(pki.caCertPem).subject).toBe('DC=org\nDC=lakeprobe\nCN=lakeprobe sandbox CA');
    expect(pki.users.member.dn).toBe('/DC=org/DC=lakeprobe/CN=Alice Member');
    expect(pki.users.nonmember.dn).toBe('/DC=org/DC=lakeprobe/CN=Bob Outsider');
  });

  it('issues a host certificate for localhost and 127.0.0.1 that OpenSSL accepts as a server', () => {
    const host = new X509Certificate(pki.host.certPem);
    expect(host.subjectAltName).toContain('DNS:localhost');
    expect(host.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(host.checkHost('localhost')).toBe('localhost');
    expect(host.checkIssued(new X509Certificate(pki.caCertPem))).toBe(true);
    if (existsSync(OPENSSL)) {
      const out = execFileSync(OPENSSL, ['verify', '-purpose', 'sslserver', '-CAfile', pki.caCertPath, pki.host.certPath]);
      expect(out.toString()).toContain(': OK');
    }
  });

  it('fills the trust directory with the CA under its OpenSSL subject hash', () => {
    expect(readFileSync(join(pki.certDir, 'ca.pem'), 'utf8')).toBe(pki.caCertPem);
    if (existsSync(OPENSSL)) {
      const hash = execFileSync(OPENSSL, ['x509', '-hash', '-noout', '-in', pki.caCertPath]).toString().trim();
      expect(readFileSync(join(pki.certDir, `${hash}.0`), 'utf8')).toBe(pki.caCertPem);
    }
  });

  it('makes an RFC 3820 proxy: user DN plus CN=<serial>, critical inheritAll proxyCertInfo, 12 h', () => {
    const [proxyPem, userPem] = certificatesPem(pki.users.member.proxyPath);
    const proxy = new x509.X509Certificate(proxyPem as string);
    const user = new X509Certificate(userPem as string);
    expect(user.raw.equals(new X509Certificate(readFileSync(pki.users.member.certPath)).raw)).toBe(true);
    const serialDecimal = BigInt(`0x${proxy.serialNumber}`).toString(10);
    expect(proxy.subject).toBe(`DC=org, DC=lakeprobe, CN=Alice Member, CN=${serialDecimal}`);
    const info = proxy.getExtension(PROXY_CERT_INFO_OID);
    expect(info?.critical).toBe(true);
    // policyLanguage id-ppl-inheritAll (1.3.6.1.5.5.7.21.1)
    expect(Buffer.from(info?.value ?? new ArrayBuffer(0)).toString('hex')).toContain('06082b06010505071501');
    const hours = (proxy.notAfter.getTime() - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(11.9);
    expect(hours).toBeLessThanOrEqual(12);
    expect(readFileSync(pki.users.member.proxyPath, 'utf8')).toMatch(
      /^-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN RSA PRIVATE KEY-----[\s\S]+-----BEGIN CERTIFICATE-----/,
    );
  });

  it('makes proxies that OpenSSL verifies as proxy certificates', () => {
    if (!existsSync(OPENSSL)) return expect(existsSync(pki.users.member.proxyPath)).toBe(true);
    const out = execFileSync(OPENSSL, [
      'verify', '-allow_proxy_certs', '-CAfile', pki.caCertPath,
      '-untrusted', pki.users.member.certPath, pki.users.member.proxyPath,
    ]);
    expect(out.toString()).toContain(': OK');
  });

  it('makes an expired proxy for each user: notBefore -2 h, notAfter -1 h', () => {
    for (const user of Object.values(pki.users)) {
      const [proxyPem] = certificatesPem(user.expiredProxyPath);
      const proxy = new x509.X509Certificate(proxyPem as string);
      expect(proxy.notAfter.getTime()).toBeLessThan(Date.now() - 3_500_000);
      expect(proxy.notBefore.getTime()).toBeLessThan(proxy.notAfter.getTime());
    }
  });

  it('reuses valid files on a second call', async () => {
    const proxyBefore = readFileSync(pki.users.member.proxyPath, 'utf8');
    const again = await ensurePki(pki.dir);
    expect(again.caCertPem).toBe(pki.caCertPem);
    expect(again.host.certPem).toBe(pki.host.certPem);
    expect(readFileSync(again.users.member.proxyPath, 'utf8')).toBe(proxyBefore);
  });

  it('renews a proxy about to expire while keeping the CA and the user certificate', async () => {
    const userBefore = readFileSync(pki.users.member.certPath, 'utf8');
    const proxyBefore = readFileSync(pki.users.member.proxyPath, 'utf8');
    const later = new Date(Date.now() + 11.5 * 3_600_000);
    const renewed = await ensurePki(pki.dir, { now: later });
    expect(renewed.caCertPem).toBe(pki.caCertPem);
    expect(readFileSync(renewed.users.member.certPath, 'utf8')).toBe(userBefore);
    const proxyAfter = readFileSync(renewed.users.member.proxyPath, 'utf8');
    expect(proxyAfter).not.toBe(proxyBefore);
    const [proxyPem] = certificatesPem(renewed.users.member.proxyPath);
    expect(new x509.X509Certificate(proxyPem as string).notAfter.getTime()).toBeGreaterThan(later.getTime());
  });
});
