// Loads X.509 credentials for TLS client authentication: an RFC 3820 proxy file (proxy
// certificate, its key, then the user's chain) or a user certificate + key pair.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { CredentialError } from '../errors.js';
import { subjectForms } from './dn.js';
import { CERTIFICATE, PRIVATE_KEY_LABELS, pemBlocks, type PemBlock } from './pem.js';
import { checkChain } from './x509-checks.js';
import { readCredentialFile, type ReadOptions } from './read.js';
import type { X509Credential } from './types.js';
import { describeVoms, vomsAttributes, type VomsAttributes } from './voms.js';

export interface X509LoadOptions extends ReadOptions {
  /** The instant validity is checked against (default: now). */
  now?: Date;
  /** Load an expired or not-yet-valid credential instead of throwing (e.g. to describe it). */
  allowExpired?: boolean;
}

// node:crypto does not expose extensions, so proxies are recognised by the DER encoding of
// the proxyCertInfo extension OID: RFC 3820 (1.3.6.1.5.5.7.1.14) and the pre-RFC Globus
// draft (1.3.6.1.4.1.3536.1.222) that old proxies still carry.
const PROXY_OIDS = [
  Buffer.from([0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x0e]),
  Buffer.from([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x9b, 0x50, 0x01, 0x81, 0x5e]),
];

export function isProxyCertificate(cert: X509Certificate): boolean {
  return PROXY_OIDS.some((oid) => cert.raw.includes(oid));
}

export async function loadX509Proxy(path: string, opts: X509LoadOptions = {}): Promise<X509Credential> {
  const blocks = pemBlocks(await readCredentialFile(path, true, opts));
  return buildCredential(blocks, blocks, path, opts);
}

export async function loadX509CertKey(certPath: string, keyPath: string, opts: X509LoadOptions = {}): Promise<X509Credential> {
  const certBlocks = pemBlocks(await readCredentialFile(certPath, false, opts));
  const keyBlocks = pemBlocks(await readCredentialFile(keyPath, true, opts));
  return buildCredential(certBlocks, keyBlocks, certPath, opts, keyPath);
}

function buildCredential(
  certBlocks: PemBlock[],
  keyBlocks: PemBlock[],
  source: string,
  opts: X509LoadOptions,
  keySource = source,
): X509Credential {
  const pems = certBlocks.filter((b) => b.label === CERTIFICATE);
  if (pems.length === 0) throw new CredentialError('invalid', source, 'no PEM certificate found');
  const certs = pems.map((b, i) => {
    try {
      return new X509Certificate(b.der);
    } catch {
      throw new CredentialError('invalid', source, `certificate #${i + 1} cannot be parsed`);
    }
  });
  const key = privateKey(keyBlocks, keySource);
  const leaf = certs[0]!;
  if (!leaf.checkPrivateKey(key.object)) {
    throw new CredentialError('invalid', keySource, 'private key does not match the first certificate');
  }

  // The end-entity is the first certificate that is not a proxy; the credential is
  // valid only while every certificate from the leaf down to it is.
  const endIndex = certs.findIndex((c) => !isProxyCertificate(c));
  if (endIndex < 0) throw new CredentialError('invalid', source, 'no end-entity certificate: the chain holds only proxies');
  const inUse = certs.slice(0, endIndex + 1);
  // Digests, key sizes and links of the chain presented (a CA the file may carry included).
  checkChain(certs, source);
  const notBefore = new Date(Math.max(...inUse.map((c) => Date.parse(c.validFrom))));
  const chainNotAfter = new Date(Math.min(...inUse.map((c) => Date.parse(c.validTo))));
  const isProxy = endIndex > 0;
  const kind = isProxy ? 'proxy' : 'certificate';
  const now = opts.now ?? new Date();
  if (!opts.allowExpired && now.getTime() >= chainNotAfter.getTime()) {
    throw new CredentialError('expired', source, `${kind} expired at ${chainNotAfter.toISOString()}`);
  }
  if (!opts.allowExpired && now.getTime() < notBefore.getTime()) {
    throw new CredentialError('not_yet_valid', source, `${kind} not valid before ${notBefore.toISOString()}`);
  }
  const voms = proxyVoms(certs.slice(0, endIndex));
  if (!opts.allowExpired) checkVoms(voms, now, chainNotAfter, source);
  // The credential as servers that read the groups see it ends with its first AC.
  const notAfter = new Date(Math.min(chainNotAfter.getTime(), ...voms.map((v) => v.notAfter.getTime())));

  const subject = subjectForms(certs[endIndex]!.subject);
  return {
    certPem: pems.map((b) => b.pem).join(''),
    keyPem: key.pem,
    subject: subject.rfc2253,
    subjectSlash: subject.slash,
    notBefore,
    notAfter,
    isProxy,
    voms,
    source,
  };
}

/**
 * The VOMS attribute certificates of the proxies in use. One that cannot be read is left out: servers
 * that ignore VOMS still accept the proxy, and those that read it will say so.
 */
function proxyVoms(proxies: readonly X509Certificate[]): VomsAttributes[] {
  return proxies.flatMap((cert) => {
    try {
      return vomsAttributes(cert.raw);
    } catch {
      return [];
    }
  });
}

/** An expired or not yet valid AC refuses the credential, naming the AC: its VO, groups and validity. */
function checkVoms(voms: readonly VomsAttributes[], now: Date, proxyNotAfter: Date, source: string): void {
  for (const v of voms) {
    if (now.getTime() >= v.notAfter.getTime()) {
      throw new CredentialError('expired', source, `VOMS attribute certificate of VO ${v.vo} expired at ${v.notAfter.toISOString()} `
        + `though the proxy is valid until ${proxyNotAfter.toISOString()}: make a new VOMS proxy (voms-proxy-init -voms ${v.vo}); it granted ${describeVoms(v)}`);
    }
    if (now.getTime() < v.notBefore.getTime()) {
      throw new CredentialError('not_yet_valid', source, `VOMS attribute certificate of VO ${v.vo} is not valid before ${v.notBefore.toISOString()}: `
        + `check the clocks of this host and the VOMS server; it grants ${describeVoms(v)}`);
    }
  }
}

function privateKey(blocks: PemBlock[], source: string): { pem: string; object: KeyObject } {
  const block = blocks.find((b) => PRIVATE_KEY_LABELS.includes(b.label));
  if (!block) throw new CredentialError('invalid', source, 'no PEM private key found');
  if (block.encrypted) {
    throw new CredentialError('invalid', source, 'private key is encrypted: make a proxy (voms-proxy-init) or use an unencrypted key');
  }
  try {
    return { pem: block.pem, object: createPrivateKey(block.pem) };
  } catch {
    throw new CredentialError('invalid', source, 'private key cannot be parsed');
  }
}
