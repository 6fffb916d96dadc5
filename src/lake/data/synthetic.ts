// Deterministic synthetic file content: the same seed and size always give the same
// bytes, so a file can be re-generated anywhere to verify it without storing it.
//
// The bytes are the AES-128-CTR keystream keyed by sha256(seed): OpenSSL produces it
// at several GB/s, and byte i depends only on the seed and i (not on the chunk size).
import { createCipheriv, createHash, type Cipher } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { ChecksumAccumulator, checksumStream, type Checksums } from './checksum.js';

// Measured fastest: larger chunks lose to cache misses and fresh-page faults.
export const DEFAULT_SYNTHETIC_CHUNK = 64 * 1024;

export interface SyntheticOptions {
  seed: string;
  /** Exact number of bytes the stream yields. */
  size: number;
  /** Bytes per pushed Buffer (the last one may be shorter). */
  chunkSize?: number;
}

function keystreamCipher(seed: string): Cipher {
  const digest = createHash('sha256').update('lakeprobe-synthetic\0').update(seed, 'utf8').digest();
  return createCipheriv('aes-128-ctr', digest.subarray(0, 16), digest.subarray(16, 32));
}

function checkSize(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** A Readable of exactly `size` pseudo-random bytes derived from `seed`; one chunk buffered at most. */
export function syntheticStream({ seed, size, chunkSize = DEFAULT_SYNTHETIC_CHUNK }: SyntheticOptions): Readable {
  checkSize('size', size, 0);
  checkSize('chunkSize', chunkSize, 1);
  const cipher = keystreamCipher(seed);
  const zeros = Buffer.alloc(chunkSize);
  let remaining = size;
  return new Readable({
    highWaterMark: chunkSize,
    read() {
      if (remaining === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(chunkSize, remaining);
      remaining -= n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

/** Checksums of syntheticStream({ seed, size }), computed without storing the data. */
export function syntheticChecksums(seed: string, size: number): Promise<Checksums> {
  return checksumStream(syntheticStream({ seed, size }));
}

/**
 * A pass-through that checksums what flows through it, e.g. generate → tap → PUT,
 * so an upload learns its checksums without reading the data twice.
 */
export class ChecksumTap extends Transform {
  private readonly acc = new ChecksumAccumulator();
  private finished = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.acc.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.finished = true;
    callback();
  }

  /** Checksums of everything that passed; only once all input has been written. */
  digest(): Checksums {
    if (!this.finished) throw new Error('ChecksumTap.digest() called before its input ended');
    return this.acc.digest();
  }
}
