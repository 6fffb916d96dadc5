// Throwaway certificates for tests, made with the openssl CLI: CAs, server and client
// certificates and RFC 3820 proxies. Every certificate is written to the PKI's folder as
// <name>.pem with its key in <name>.key, and is returned as PEM too.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificate {
  /** Slash form, as `openssl -subj` takes it: /O=lakeprobe/CN=alice. */
  subject: string;
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
  /** What a client presents: this certificate, then its issuers up to (without) the CA. */
  chainPem: string;
  isCa: boolean;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const DAYS = '7';
const CA_EXTENSIONS = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
const SERVER_EXTENSIONS = ['basicConstraints=CA:FALSE', 'subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth'];
const CLIENT_EXTENSIONS = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth'];
const PROXY_EXTENSIONS = ['proxyCertInfo=critical,language:id-ppl-inheritAll', 'keyUsage=critical,digitalSignature,keyEncipherment'];

export class OpensslPki {
  /** A given folder (kept), or a fresh temporary one that remove() deletes. */
  constructor(readonly dir: string = mkdtempSync(join(tmpdir(), 'lakeprobe-pki-'))) {}

  /** A self-signed certificate authority. */
  ca(name: string, subject: string): Certificate {
    return this.issue(name, subject, null, CA_EXTENSIONS);
  }

  /** A server certificate for localhost and 127.0.0.1; self-signed when issuer is null. */
  server(name: string, issuer: Certificate | null, subject = '/CN=localhost'): Certificate {
    return this.issue(name, subject, issuer, SERVER_EXTENSIONS);
  }

  /** A client (end-entity user) certificate, which may also sign proxies. */
  client(name: string, issuer: Certificate, subject: string): Certificate {
    return this.issue(name, subject, issuer, CLIENT_EXTENSIONS);
  }

  /** An RFC 3820 proxy of a user certificate or of another proxy: its subject with one more CN, the serial. */
  proxy(name: string, issuer: Certificate): Certificate {
    const serial = randomInt(1, 2 ** 47);
    return this.issue(name, `${issuer.subject}/CN=${serial}`, issuer, PROXY_EXTENSIONS, serial);
  }

  /** Any certificate: openssl extension lines as `key=value`; self-signed when issuer is null. */
  issue(name: string, subject: string, issuer: Certificate | null, extensions: string[] = [], serial = randomInt(1, 2 ** 47)): Certificate {
    const certFile = join(this.dir, `${name}.pem`);
    const keyFile = join(this.dir, `${name}.key`);
    // -multivalue-rdn and -utf8 let subjects carry '+' RDNs and non-ASCII names.
    const request = ['req', ...EC_KEY, '-keyout', keyFile, '-utf8', '-multivalue-rdn', '-subj', subject];
    if (issuer) {
      const csrFile = join(this.dir, `${name}.csr`);
      const extFile = join(this.dir, `${name}.ext`);
      writeFileSync(extFile, extensions.map((line) => `${line}\n`).join(''));
      this.openssl(...request, '-new', '-out', csrFile);
      this.openssl('x509', '-req', '-in', csrFile, '-CA', issuer.certFile, '-CAkey', issuer.keyFile,
        '-set_serial', String(serial), '-days', DAYS, '-extfile', extFile, '-out', certFile);
    } else {
      this.openssl(...request, '-x509', '-set_serial', String(serial), '-days', DAYS, '-out', certFile,
        ...extensions.flatMap((line) => ['-addext', line]));
    }
    const certPem = readFileSync(certFile, 'utf8');
    const isCa = extensions.some((line) => line.startsWith('basicConstraints=') && line.includes('CA:TRUE'));
    const chainPem = certPem + (issuer && !issuer.isCa ? issuer.chainPem : '');
    return { subject, certPem, keyPem: readFileSync(keyFile, 'utf8'), certFile, keyFile, chainPem, isCa };
  }

  /** Writes a proxy the way voms-proxy-init does (proxy certificate, its key, the rest of the chain), mode 600. */
  writeProxyFile(name: string, proxy: Certificate): string {
    const file = join(this.dir, name);
    writeFileSync(file, proxy.certPem + proxy.keyPem + proxy.chainPem.slice(proxy.certPem.length), { mode: 0o600 });
    return file;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }
}

/** Builds certificates in a temporary PKI and deletes its folder after: for tests that need only the PEM. */
export function withTemporaryPki<T>(build: (pki: OpensslPki) => T): T {
  const pki = new OpensslPki();
  try {
    return build(pki);
  } finally {
    pki.remove();
  }
}
