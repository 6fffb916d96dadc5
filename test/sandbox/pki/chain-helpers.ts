import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** PEM of every certificate in a file, in file order (a proxy file: proxy, then user). */
export function certificatesPem(path: string): string[] {
  return readFileSync(path, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** DER of every certificate in a file, in file order: what a TLS client presents. */
export function certificatesDer(path: string): Buffer[] {
  return certificatesPem(path).map((pem) => new X509Certificate(pem).raw);
}
