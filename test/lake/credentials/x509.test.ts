import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialError } from '../../../src/lake/errors.js';
import { describeCredential, loadX509CertKey, loadX509Proxy } from '../../../src/lake/credentials/index.js';
import { OpensslPki, type Certificate } from '../../helpers/openssl-pki.js';

let dir: string;
let certs: OpensslPki;
let ca: Certificate;
let pki: { userCert: string; userKey: string; proxyFile: string; proxyOfProxyFile: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lakeprobe-x509-'));
  certs = new OpensslPki(dir);
  ca = certs.ca('ca', '/DC=org/DC=lakeprobe/CN=Lakeprobe Test CA');
  const user = certs.client('user', ca, '/DC=org/DC=lakeprobe/OU=Users/CN=Alice Smith');
  const proxy = certs.proxy('proxy', user);
  pki = {
    userCert: user.certFile,
    userKey: user.keyFile,
    proxyFile: certs.writeProxyFile('x509up', proxy),
    proxyOfProxyFile: certs.writeProxyFile('x509up-2', certs.proxy('proxy2', proxy)),
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function credentialError(promise: Promise<unknown>): Promise<CredentialError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(CredentialError);
  return err as CredentialError;
}

describe('loadX509Proxy', () => {
  it('loads an RFC 3820 proxy and names the user, not the proxy, in both subject forms', async () => {
    const cred = await loadX509Proxy(pki.proxyFile);
    expect(cred.isProxy).toBe(true);
    expect(cred.subject).toBe('CN=Alice Smith,OU=Users,DC=lakeprobe,DC=org');
    expect(cred.subjectSlash).toBe('/DC=org/DC=lakeprobe/OU=Users/CN=Alice Smith');
    expect(cred.source).toBe(pki.proxyFile);
  });

  it('presents the proxy first and the user certificate after it, with the proxy key', async () => {
    const cred = await loadX509Proxy(pki.proxyFile);
    const chain = cred.certPem.match(/-----BEGIN CERTIFICATE-----/g) ?? [];
    expect(chain).toHaveLength(2);
    const normalize = (pem: string): string => pem.replace(/\s+/g, '');
    expect(normalize(cred.certPem)).toBe(normalize(readFileSync(join(dir, 'proxy.pem'), 'utf8') + readFileSync(pki.userCert, 'utf8')));
    expect(normalize(cred.keyPem)).toBe(normalize(readFileSync(join(dir, 'proxy.key'), 'utf8')));
  });

  it('finds the end-entity below a proxy of a proxy', async () => {
    const cred = await loadX509Proxy(pki.proxyOfProxyFile);
    expect(cred.isProxy).toBe(true);
    expect(cred.subjectSlash).toBe('/DC=org/DC=lakeprobe/OU=Users/CN=Alice Smith');
  });

  it('uses the earliest expiry of the chain it presents', async () => {
    const cred = await loadX509Proxy(pki.proxyFile);
    expect(cred.notAfter.getTime()).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000 + 60_000);
    expect(cred.notBefore.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('refuses an expired proxy with the expiry instant and no key material', async () => {
    const cred = await loadX509Proxy(pki.proxyFile);
    const later = new Date(cred.notAfter.getTime() + 1000);
    const err = await credentialError(loadX509Proxy(pki.proxyFile, { now: later }));
    expect(err.problem).toBe('expired');
    expect(err.source).toBe(pki.proxyFile);
    expect(err.message).toBe(`${pki.proxyFile}: proxy expired at ${cred.notAfter.toISOString()}`);
    expect(err.message).not.toContain('PRIVATE KEY');
  });

  it('loads an expired proxy when asked to, for display', async () => {
    const cred = await loadX509Proxy(pki.proxyFile, { now: new Date(Date.now() + 365 * 86_400_000), allowExpired: true });
    expect(cred.isProxy).toBe(true);
  });

  it('refuses a proxy that is not valid yet', async () => {
    const err = await credentialError(loadX509Proxy(pki.proxyFile, { now: new Date('2000-01-01T00:00:00Z') }));
    expect(err.problem).toBe('not_yet_valid');
    expect(err.message).toMatch(/proxy not valid before \d{4}-\d\d-\d\dT/);
  });

  it('reports a missing file as missing', async () => {
    const path = join(dir, 'x509up_u424242');
    const err = await credentialError(loadX509Proxy(path));
    expect(err.problem).toBe('missing');
    expect(err.message).toBe(`${path}: file not found`);
  });

  it('reports a file without a key as invalid', async () => {
    const path = join(dir, 'cert-only');
    writeFileSync(path, readFileSync(pki.userCert));
    const err = await credentialError(loadX509Proxy(path));
    expect([err.problem, err.message]).toEqual(['invalid', `${path}: no PEM private key found`]);
  });

  it('refuses a proxy file that lacks the user certificate', async () => {
    const path = join(dir, 'proxy-only');
    writeFileSync(path, readFileSync(join(dir, 'proxy.pem'), 'utf8') + readFileSync(join(dir, 'proxy.key'), 'utf8'), { mode: 0o600 });
    const err = await credentialError(loadX509Proxy(path));
    expect([err.problem, err.message]).toEqual(['invalid', `${path}: no end-entity certificate: the chain holds only proxies`]);
  });

  it('reports a key that does not belong to the certificate', async () => {
    const path = join(dir, 'mismatch');
    writeFileSync(path, readFileSync(join(dir, 'proxy.pem'), 'utf8') + readFileSync(pki.userKey, 'utf8'), { mode: 0o600 });
    const err = await credentialError(loadX509Proxy(path));
    expect([err.problem, err.message]).toEqual(['invalid', `${path}: private key does not match the first certificate`]);
  });

  it('warns, without failing, when the proxy file is readable by others', async () => {
    const path = join(dir, 'x509up-shared');
    writeFileSync(path, readFileSync(pki.proxyFile));
    chmodSync(path, 0o644);
    const warnings: string[] = [];
    const cred = await loadX509Proxy(path, { onWarning: (w) => warnings.push(w) });
    expect(cred.isProxy).toBe(true);
    expect(warnings).toEqual([`${path}: readable by group or others (mode 644); chmod 600 it`]);
  });
});

describe('loadX509CertKey', () => {
  it('loads a user certificate and key as a non-proxy credential', async () => {
    const cred = await loadX509CertKey(pki.userCert, pki.userKey);
    expect(cred.isProxy).toBe(false);
    expect(cred.subject).toBe('CN=Alice Smith,OU=Users,DC=lakeprobe,DC=org');
    expect(cred.source).toBe(pki.userCert);
  });

  it('says "certificate expired" for an expired user certificate', async () => {
    const cred = await loadX509CertKey(pki.userCert, pki.userKey);
    const err = await credentialError(loadX509CertKey(pki.userCert, pki.userKey, { now: new Date(cred.notAfter.getTime() + 1) }));
    expect(err.message).toBe(`${pki.userCert}: certificate expired at ${cred.notAfter.toISOString()}`);
  });

  it('refuses an encrypted key with a hint instead of a passphrase prompt', async () => {
    const path = join(dir, 'user-encrypted.key');
    writeFileSync(path, '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n', { mode: 0o600 });
    const err = await credentialError(loadX509CertKey(pki.userCert, path));
    expect(err.problem).toBe('invalid');
    expect(err.message).toContain('private key is encrypted');
  });

  it('reports a missing key file by its own path', async () => {
    const path = join(dir, 'nokey.pem');
    const err = await credentialError(loadX509CertKey(pki.userCert, path));
    expect([err.problem, err.source]).toEqual(['missing', path]);
  });

  it('keeps RFC 2253 escapes in the comma form and removes them in the slash form', async () => {
    const odd = certs.issue('odd', '/DC=org/O=Smith, Inc./CN=Ünï+UID=u1', ca);
    const cred = await loadX509CertKey(odd.certFile, odd.keyFile);
    expect(cred.subject).toBe('CN=Ünï+UID=u1,O=Smith\\, Inc.,DC=org');
    expect(cred.subjectSlash).toBe('/DC=org/O=Smith, Inc./CN=Ünï+UID=u1');
  });
});

describe('describeCredential for x509', () => {
  it('shows kind, subject, expiry and source but no key', async () => {
    const cred = await loadX509Proxy(pki.proxyFile);
    const text = describeCredential(cred);
    expect(text).toBe(`x509 proxy CN=Alice Smith,OU=Users,DC=lakeprobe,DC=org, valid until ${cred.notAfter.toISOString()} (${pki.proxyFile})`);
    expect(text).not.toContain('KEY');
  });
});
