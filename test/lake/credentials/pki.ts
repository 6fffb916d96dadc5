// Builds a small grid PKI with the openssl CLI: a CA, a user certificate and an RFC 3820 proxy.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caCert: string;
  userCert: string;
  userKey: string;
  /** voms-proxy-init layout: proxy certificate, proxy key, user certificate. */
  proxyFile: string;
  /** A second-level proxy signed by the first one, with the whole chain. */
  proxyOfProxyFile: string;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

export function makeCertificate(
  dir: string,
  name: string,
  subject: string,
  issuer: { cert: string; key: string } | null,
  extensions = '',
): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  if (!issuer) {
    openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
      '-days', '30', '-utf8', '-multivalue-rdn', '-subj', subject);
    return { cert, key };
  }
  const csr = join(dir, `${name}.csr`);
  openssl(dir, 'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr,
    '-utf8', '-multivalue-rdn', '-subj', subject);
  const args = ['x509', '-req', '-in', csr, '-CA', issuer.cert, '-CAkey', issuer.key,
    '-set_serial', String(Date.now() % 1_000_000_000), '-days', '7', '-out', cert];
  if (extensions) {
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, extensions);
    args.push('-extfile', ext);
  }
  openssl(dir, ...args);
  return { cert, key };
}

const PROXY_EXTENSIONS = 'proxyCertInfo=critical,language:id-ppl-inheritAll\nkeyUsage=critical,digitalSignature,keyEncipherment\n';
export const USER_SUBJECT = '/DC=org/DC=lakeprobe/OU=Users/CN=Alice Smith';

export function makePki(dir: string): TestPki {
  const ca = makeCertificate(dir, 'ca', '/DC=org/DC=lakeprobe/CN=Lakeprobe Test CA', null);
  const user = makeCertificate(dir, 'user', USER_SUBJECT, ca, 'basicConstraints=CA:FALSE\n');
  const proxy = makeCertificate(dir, 'proxy', `${USER_SUBJECT}/CN=1234567`, user, PROXY_EXTENSIONS);
  const proxy2 = makeCertificate(dir, 'proxy2', `${USER_SUBJECT}/CN=1234567/CN=7654321`, proxy, PROXY_EXTENSIONS);
  const read = (p: string): string => readFileSync(p, 'utf8');

  const proxyFile = join(dir, 'x509up');
  writeFileSync(proxyFile, read(proxy.cert) + read(proxy.key) + read(user.cert), { mode: 0o600 });
  const proxyOfProxyFile = join(dir, 'x509up-2');
  writeFileSync(proxyOfProxyFile, read(proxy2.cert) + read(proxy2.key) + read(proxy.cert) + read(user.cert), { mode: 0o600 });
  return { dir, caCert: ca.cert, userCert: user.cert, userKey: user.key, proxyFile, proxyOfProxyFile };
}
