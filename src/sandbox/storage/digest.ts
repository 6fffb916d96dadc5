import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export type DigestAlgorithm = 'adler32' | 'md5';

const MOD_ADLER = 65521;
// zlib's NMAX: reducing at least every 5552 bytes keeps both sums below 2^32.
const NMAX = 5552;

/** Streaming Adler-32 (RFC 1950). */
export class Adler32 {
  private a = 1;
  private b = 0;

  update(data: Uint8Array): this {
    let { a, b } = this;
    for (let start = 0; start < data.length; start += NMAX) {
      const end = Math.min(start + NMAX, data.length);
      for (let i = start; i < end; i++) {
        a += data[i] as number;
        b += a;
      }
      a %= MOD_ADLER;
      b %= MOD_ADLER;
    }
    this.a = a;
    this.b = b;
    return this;
  }

  /** 8 lowercase hex digits, as XRootD and Rucio print it. */
  hex(): string {
    return (((this.b << 16) | this.a) >>> 0).toString(16).padStart(8, '0');
  }
}

/**
 * The algorithm to answer a `Want-Digest` header with (RFC 3230): the supported one
 * with the highest q-value. Like XRootD, anything unsupported is answered with adler32.
 */
export function chooseDigest(wantDigest: string): DigestAlgorithm {
  let best: { alg: DigestAlgorithm; q: number } | undefined;
  for (const entry of wantDigest.split(',')) {
    const [name = '', ...params] = entry.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if ((name === 'adler32' || name === 'md5') && q > 0 && (!best || q > best.q)) best = { alg: name, q };
  }
  return best?.alg ?? 'adler32';
}

/** `Digest` header value for a file, read as a stream: 'adler32=<hex>' or 'md5=<base64>'. */
export async function fileDigest(path: string, alg: DigestAlgorithm): Promise<string> {
  const adler = new Adler32();
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path)) {
    if (alg === 'adler32') adler.update(chunk as Buffer);
    else md5.update(chunk as Buffer);
  }
  return alg === 'adler32' ? `adler32=${adler.hex()}` : `md5=${md5.digest('base64')}`;
}
