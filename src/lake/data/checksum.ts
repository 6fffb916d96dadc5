// Streaming adler32 (as zlib computes it) and md5, the two checksums Rucio records.
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { adler32Engine } from './adler32.js';
import { ParallelChecksums } from './parallel-checksums.js';

export { adler32UpdateJs } from './adler32-js.js';

export interface Checksums {
  /** 8 lowercase hex digits. */
  adler32: string;
  /** 32 lowercase hex digits. */
  md5: string;
  bytes: number;
}

/** Continue an adler32 value (start with 1) over `buf` (WebAssembly SIMD, else JavaScript). */
export function adler32Update(adler: number, buf: Uint8Array): number {
  return adler32Engine().update(adler, buf);
}

export function adler32ToHex(value: number): string {
  return value.toString(16).padStart(8, '0');
}

/** adler32 of one buffer, as 8 lowercase hex digits. */
export function adler32Hex(buf: Uint8Array): string {
  return adler32ToHex(adler32Update(1, buf));
}

/** Computes adler32, md5 and the byte count of data given in pieces. */
export class ChecksumAccumulator {
  private adler = 1;
  private readonly md5: Hash = createHash('md5');
  private bytes = 0;
  private result: Checksums | null = null;

  update(buf: Uint8Array): void {
    if (this.result) throw new Error('ChecksumAccumulator.update() after digest()');
    this.adler = adler32Update(this.adler, buf);
    this.md5.update(buf);
    this.bytes += buf.length;
  }

  /** Final values; may be called more than once, but update() is refused afterwards. */
  digest(): Checksums {
    this.result ??= { adler32: adler32ToHex(this.adler), md5: this.md5.digest('hex'), bytes: this.bytes };
    return { ...this.result };
  }
}

/** Consume `readable` to its end and return its checksums (hashed off the main thread). */
export async function checksumStream(readable: Readable): Promise<Checksums> {
  const sums = new ParallelChecksums();
  try {
    for await (const chunk of readable as AsyncIterable<Buffer | string>) {
      const wait = sums.update(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (wait) await wait;
    }
  } catch (error) {
    sums.abort();
    throw error;
  }
  const { adler32, md5, bytes } = await sums.finish();
  return { adler32, md5: md5 ?? '', bytes };
}
