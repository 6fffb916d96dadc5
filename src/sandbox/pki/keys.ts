import { createPrivateKey, webcrypto } from 'node:crypto';

type SigningAlgorithm = RsaHashedImportParams | EcKeyImportParams;

const RSA: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};

// XRootD's GSI layer signs with RSA, so every sandbox key is RSA 2048.
export async function generateRsaKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** PEM of a private key, in the PKCS#1 / SEC1 form grid tools write. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey));
  const keyObject = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const type = keyObject.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs1';
  return keyObject.export({ format: 'pem', type }) as string;
}

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

function algorithmFor(keyPem: string): SigningAlgorithm {
  const key = createPrivateKey(keyPem);
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (key.asymmetricKeyType === 'ec' && curve) return { name: 'ECDSA', namedCurve: curve };
  throw new Error(`unsupported signing key type ${key.asymmetricKeyType ?? 'unknown'}`);
}

/** A WebCrypto signing key from a PEM private key (PKCS#1, SEC1 or PKCS#8). */
export async function importSigningKey(keyPem: string): Promise<CryptoKey> {
  const pkcs8 = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
  return (await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithmFor(keyPem), false, [
    'sign',
  ])) as CryptoKey;
}
