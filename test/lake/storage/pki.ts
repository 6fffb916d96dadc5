// Throw-away PKI for TLS tests: a CA, a server certificate for 127.0.0.1/localhost,
// a client certificate, and an unrelated CA. Made with the openssl CLI.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair { certPem: string; keyPem: string }

export interface TestPki {
  ca: KeyPair;
  otherCa: KeyPair;
  server: KeyPair;
  client: KeyPair;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string, cn: string): KeyPair {
  openssl(dir, ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/O=lakeprobe-test/CN=${cn}`]);
  return { certPem: readFileSync(join(dir, `${name}.pem`), 'utf8'), keyPem: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

function makeLeaf(dir: string, name: string, cn: string, extensions: string): KeyPair {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=lakeprobe-test/CN=${cn}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(Date.now()),
    '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
  return { certPem: readFileSync(join(dir, `${name}.pem`), 'utf8'), keyPem: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-pki-'));
  try {
    const ca = makeCa(dir, 'ca', 'Test CA');
    const otherCa = makeCa(dir, 'other', 'Other CA');
    const server = makeLeaf(dir, 'server', 'localhost',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
    const client = makeLeaf(dir, 'client', 'alice', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
    return { ca, otherCa, server, client };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
