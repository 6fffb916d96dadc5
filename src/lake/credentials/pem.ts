/** One `-----BEGIN <label>-----` block of a PEM file. */
export interface PemBlock {
  label: string;
  /** The block as PEM text; blocks without headers are re-emitted in canonical 64-column form. */
  pem: string;
  /** Decoded body; empty for blocks with RFC 1421 headers (legacy encrypted keys). */
  der: Buffer;
  /** A PKCS#8 'ENCRYPTED PRIVATE KEY' or a legacy key with 'Proc-Type: 4,ENCRYPTED'. */
  encrypted: boolean;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export const CERTIFICATE = 'CERTIFICATE';
/** Private key labels: PKCS#8, PKCS#1 RSA, SEC1 EC, and encrypted PKCS#8 (refused later). */
export const PRIVATE_KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'];

export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const label = match[1]!;
    const body = match[2]!;
    if (/^[A-Za-z-]+:/m.test(body)) {
      blocks.push({ label, pem: `${match[0]}\n`, der: Buffer.alloc(0), encrypted: /Proc-Type:\s*4,ENCRYPTED/.test(body) });
      continue;
    }
    const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
    blocks.push({ label, pem: toPem(label, der), der, encrypted: label === 'ENCRYPTED PRIVATE KEY' });
  }
  return blocks;
}

export function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
