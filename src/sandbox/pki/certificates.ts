import { randomBytes } from 'node:crypto';
import { generateRsaKeys, importSigningKey, privateKeyPem } from './keys.js';
import { x509 } from './x509.js';

export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export interface LeafSpec extends Validity {
  /** RFC 2253 subject, e.g. 'DC=org, DC=lakeprobe, CN=Alice Member'. */
  subject: string;
  usage: 'server' | 'client';
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** PEM text ending in a newline, so that files can be concatenated (proxy files, CA bundles). */
export const certificatePem = (cert: x509.X509Certificate): string => `${cert.toString('pem').trimEnd()}\n`;

/** A positive random serial in hex (the top bit clear keeps DER from adding a sign byte). */
export function randomSerialHex(bytes = 8): string {
  const serial = randomBytes(bytes);
  serial[0] = ((serial[0] ?? 1) & 0x7f) | 0x01;
  return serial.toString('hex');
}

export async function createCa(subject: string, validity: Validity): Promise<CertAndKey> {
  const keys = await generateRsaKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: subject,
    keys,
    ...validity,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: certificatePem(cert), keyPem: await privateKeyPem(keys.privateKey) };
}

/** A host (serverAuth) or user (clientAuth) certificate signed by the CA. */
export async function issueLeaf(ca: CertAndKey, spec: LeafSpec): Promise<CertAndKey> {
  const keys = await generateRsaKeys();
  const caCert = new x509.X509Certificate(ca.certPem);
  const altNames = [
    ...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const usage = spec.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    // digitalSignature is also what OpenSSL demands of a certificate that signs proxies.
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([usage]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: spec.subject,
    issuer: caCert.subjectName,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    publicKey: keys.publicKey,
    signingKey: await importSigningKey(ca.keyPem),
    extensions,
  });
  return { certPem: certificatePem(cert), keyPem: await privateKeyPem(keys.privateKey) };
}
