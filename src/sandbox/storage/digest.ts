// The storage's own checksums, independent of the client's (src/lake/data): adler32 from
// hash-wasm, md5 from OpenSSL, so a client bug cannot hide behind an equal server bug.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createAdler32 } from 'hash-wasm';

export type DigestAlgorithm = 'adler32' | 'md5';

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
  const read = (): AsyncIterable<Buffer> => createReadStream(path, { highWaterMark: 1024 * 1024 });
  if (alg === 'md5') {
    const md5 = createHash('md5');
    for await (const chunk of read()) md5.update(chunk);
    return `md5=${md5.digest('base64')}`;
  }
  const adler = await createAdler32();
  for await (const chunk of read()) adler.update(chunk);
  return `adler32=${adler.digest('hex')}`;
}
