// Weak or broken proxies are refused at load, naming the file and why, before any TLS
// handshake could fail with a bare "ca md too weak" / "ee key too small".
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../../src/engine/classify.js';
import { loadX509Proxy } from '../../../src/lake/credentials/index.js';
import { signatureAlgorithmOid } from '../../../src/lake/credentials/x509-checks.js';
import { CredentialError } from '../../../src/lake/errors.js';
import { OpensslPki, type Certificate } from '../../helpers/openssl-pki.js';

let dir: string;
let pki: OpensslPki;
let user: Certificate;
let other: Certificate;

const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
};

/** A proxy of `issuer` signed with the given digest and key; written as voms-proxy-init does. */
function proxyFile(name: string, issuer: Certificate, opts: { digest?: string; key?: string[]; chainOf?: Certificate } = {}): string {
  const serial = '4242';
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, 'keyUsage=critical,digitalSignature,keyEncipherment\nproxyCertInfo=critical,language:id-ppl-inheritAll\n');
  openssl('req', '-new', ...(opts.key ?? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']), '-nodes',
    '-keyout', key, '-subj', `${issuer.subject}/CN=${serial}`, '-out', csr);
  openssl('x509', '-req', '-in', csr, '-CA', issuer.certFile, '-CAkey', issuer.keyFile, '-set_serial', serial,
    '-days', '2', `-${opts.digest ?? 'sha256'}`, '-extfile', ext, '-out', cert);
  const file = join(dir, name);
  writeFileSync(file, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8') + (opts.chainOf ?? issuer).certPem, { mode: 0o600 });
  return file;
}

async function refusal(path: string): Promise<CredentialError> {
  const e: unknown = await loadX509Proxy(path).then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(CredentialError);
  return e as CredentialError;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lakeprobe-x509-checks-'));
  pki = new OpensslPki(dir);
  const ca = pki.ca('ca', '/DC=org/DC=lakeprobe/CN=Lakeprobe Test CA');
  user = pki.client('user', ca, '/DC=org/DC=lakeprobe/CN=Alice');
  other = pki.client('other', ca, '/DC=org/DC=lakeprobe/CN=Bob');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('proxy checks at load', () => {
  it('loads a SHA-256 proxy with an EC or a 2048-bit RSA key', async () => {
    await expect(loadX509Proxy(proxyFile('good-ec', user))).resolves.toMatchObject({ isProxy: true });
    await expect(loadX509Proxy(proxyFile('good-rsa', user, { key: ['-newkey', 'rsa:2048'] }))).resolves.toMatchObject({ isProxy: true });
  });

  it('refuses a proxy signed with SHA-1, naming the file, the certificate and the remedy', async () => {
    const file = proxyFile('sha1', user, { digest: 'sha1' });
    expect(signatureAlgorithmOid(new X509Certificate(readFileSync(join(dir, 'sha1.pem'))).raw)).toBe('1.2.840.10045.4.1');
    const e = await refusal(file);
    expect(e.source).toBe(file);
    expect(e.message).toBe(`${file}: certificate #1 (CN=4242) is signed with SHA-1 (ecdsa-with-SHA1), which TLS refuses `
      + '("ca md too weak"): have it re-issued signed with SHA-256 or stronger');
    expect(classify(e).errorClass).toBe('auth_invalid');
  });

  it('refuses a proxy with a 1024-bit RSA key', async () => {
    const file = proxyFile('rsa1024', user, { key: ['-newkey', 'rsa:1024'] });
    const e = await refusal(file);
    expect(e.message).toContain(`${file}: certificate #1 (CN=4242) has a 1024-bit RSA key, which TLS refuses ("key too small"): at least 2048 bits`);
  });

  it('refuses a proxy whose chain is broken (followed by another user\'s certificate)', async () => {
    const file = proxyFile('broken', user, { chainOf: other });
    const e = await refusal(file);
    expect(e.message).toBe(`${file}: certificate #1 (CN=4242) is not signed by certificate #2 (CN=Bob) that follows it: the chain is broken`);
  });
});
