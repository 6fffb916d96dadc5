// Checks an X.509 chain at load so a weak or broken credential is refused with the file
// and the reason, instead of a bare TLS alert later ("ca md too weak", "ee key too small"):
// signature digests, key sizes, and that each certificate is issued by the next.
import type { X509Certificate } from 'node:crypto';
import { CredentialError } from '../errors.js';
import { derContent, derNode, oidText } from './der.js';

/** Signature algorithms OpenSSL refuses at its default security level (MD5 and SHA-1 digests). */
const WEAK_SIGNATURES: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'MD5 (md5WithRSAEncryption)',
  '1.2.840.113549.1.1.5': 'SHA-1 (sha1WithRSAEncryption)',
  '1.2.840.10045.4.1': 'SHA-1 (ecdsa-with-SHA1)',
  '1.2.840.10040.4.3': 'SHA-1 (dsaWithSHA1)',
  '1.3.14.3.2.29': 'SHA-1 (sha1WithRSASignature)',
};
/** OpenSSL's default security level (2) needs RSA/DSA keys of at least 2048 bits. */
export const MIN_RSA_BITS = 2048;

/** The certificate's signatureAlgorithm OID (Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signature }). */
export function signatureAlgorithmOid(der: Buffer): string {
  const cert = derNode(der, 0);
  const tbs = derNode(der, cert.start);
  const alg = derNode(der, tbs.end);
  const oid = derNode(der, alg.start);
  if (cert.tag !== 0x30 || tbs.tag !== 0x30 || alg.tag !== 0x30 || oid.tag !== 0x06) throw new Error('not an X.509 certificate');
  return oidText(derContent(der, oid));
}

function cn(cert: X509Certificate): string {
  const last = cert.subject.split('\n').filter(Boolean).at(-1) ?? cert.subject;
  return last.length > 80 ? `${last.slice(0, 79)}…` : last;
}

/**
 * Refuses (CredentialError 'invalid', naming the file and the certificate) a chain with a
 * weak signature digest, a small RSA/DSA key, or a link not issued by the next certificate.
 * `certs` are in file order: the leaf (proxy or user certificate) first.
 */
export function checkChain(certs: readonly X509Certificate[], source: string): void {
  certs.forEach((cert, i) => {
    const which = `certificate #${i + 1} (${cn(cert)})`;
    let oid: string;
    try {
      oid = signatureAlgorithmOid(cert.raw);
    } catch {
      throw new CredentialError('invalid', source, `${which} cannot be read (its DER encoding is malformed)`);
    }
    const weak = WEAK_SIGNATURES[oid];
    if (weak) {
      throw new CredentialError('invalid', source,
        `${which} is signed with ${weak}, which TLS refuses ("ca md too weak"): have it re-issued signed with SHA-256 or stronger`);
    }
    const key = cert.publicKey;
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if ((key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'dsa') && bits !== undefined && bits < MIN_RSA_BITS) {
      throw new CredentialError('invalid', source,
        `${which} has a ${bits}-bit ${key.asymmetricKeyType.toUpperCase()} key, which TLS refuses ("key too small"): `
        + `at least ${MIN_RSA_BITS} bits are needed (e.g. voms-proxy-init -bits ${MIN_RSA_BITS})`);
    }
  });
  for (let i = 0; i + 1 < certs.length; i++) {
    const [child, parent] = [certs[i]!, certs[i + 1]!];
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      throw new CredentialError('invalid', source,
        `certificate #${i + 1} (${cn(child)}) is not signed by certificate #${i + 2} (${cn(parent)}) that follows it: the chain is broken`);
    }
  }
}
