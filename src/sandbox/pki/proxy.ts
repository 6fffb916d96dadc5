import { appendCommonName } from './distinguished-name.js';
import { certificatePem, randomSerialHex, type Validity } from './certificates.js';
import { generateRsaKeys, importSigningKey, privateKeyPem } from './keys.js';
import { x509 } from './x509.js';

export const PROXY_CERT_INFO_OID = '1.3.6.1.5.5.7.1.14';

// ProxyCertInfo ::= SEQUENCE { proxyPolicy SEQUENCE { policyLanguage id-ppl-inheritAll } }
// with id-ppl-inheritAll = 1.3.6.1.5.5.7.21.1 and no path length constraint.
const INHERIT_ALL_PROXY_CERT_INFO = Uint8Array.from([
  0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x15, 0x01,
]);

/**
 * An RFC 3820 proxy for a user: subject = user DN + CN=<serial in decimal>, signed by
 * the user key. Returns the grid proxy file: proxy cert, proxy key, user cert (PEM).
 */
export async function makeProxy(userCertPem: string, userKeyPem: string, validity: Validity): Promise<string> {
  const userCert = new x509.X509Certificate(userCertPem);
  const keys = await generateRsaKeys();
  const serial = randomSerialHex(4);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: appendCommonName(userCert.subjectName, BigInt(`0x${serial}`).toString(10)),
    issuer: userCert.subjectName,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    publicKey: keys.publicKey,
    signingKey: await importSigningKey(userKeyPem),
    extensions: [
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.Extension(PROXY_CERT_INFO_OID, true, INHERIT_ALL_PROXY_CERT_INFO),
    ],
  });
  return [certificatePem(cert), await privateKeyPem(keys.privateKey), certificatePem(userCert)].join('');
}
