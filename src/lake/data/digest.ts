// RFC 3230 instance digests (`Digest: adler32=0a1b2c3d, md5=HUXZLQLMuI/KZ5KDcJPcOA==`)
// as storage servers send them, turned into the lowercase hex the catalogue uses.

export type DigestAlgorithm = 'adler32' | 'md5';

function normalise(algorithm: DigestAlgorithm, value: string): string | null {
  if (algorithm === 'adler32') {
    return /^[0-9a-f]{1,8}$/i.test(value) ? value.toLowerCase().padStart(8, '0') : null;
  }
  // RFC 3230 says base64; some servers send hex. 32 hex digits cannot be 16 bytes of base64.
  if (/^[0-9a-f]{32}$/i.test(value)) return value.toLowerCase();
  if (!/^[A-Za-z0-9+/]{22}(==)?$/.test(value)) return null;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 16 ? bytes.toString('hex') : null;
}

/**
 * The `algorithm` value in a Digest header, as lowercase hex; null when the header is
 * absent, names only other algorithms (servers answer with what they have), or is malformed.
 */
export function parseDigest(header: string | string[] | undefined, algorithm: DigestAlgorithm): string | null {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return null;
  for (const item of text.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    if (item.slice(0, eq).trim().toLowerCase() !== algorithm) continue;
    return normalise(algorithm, item.slice(eq + 1).trim());
  }
  return null;
}
