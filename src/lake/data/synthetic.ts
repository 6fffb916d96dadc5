// Deterministic synthetic file content: the same seed and size always give the same
// bytes, so a file can be re-generated anywhere to verify it without storing it.
//
// The bytes are the AES-128-CTR keystream keyed by sha256(seed): OpenSSL produces it
// at several GB/s, and byte i depends only on the seed and i (not on the chunk size).
import { createCipheriv, createHash, type Cipher } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { checksumStream, type Checksums } from './checksum.js';
import { ParallelChecksums, type ParallelDigest } from './parallel-checksums.js';
import { syntheticChecksumsOffThread } from './seeded-checksums.js';

// Measured fastest: larger chunks lose to cache misses and fresh-page faults, and a 1 GiB PUT
// (bench/put-1g.ts --chunk-kib) is no faster with 256 KiB or 1 MiB chunks.
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

export interface ChecksumTapOptions {
  /** Compute md5 as well as adler32 (default true); a scenario that registers no md5 can skip it. */
  md5?: boolean;
  /**
   * The stream is syntheticStream({ seed, size }): its sums are computed from the seed in a
   * worker (seeded-checksums.ts), and the tap only counts bytes (fails if the count differs).
   */
  fromSeed?: { seed: string; size: number };
}

/**
 * A pass-through that checksums what flows through it, e.g. generate → tap → PUT,
 * so an upload learns its checksums without reading the data twice. The hashes run
 * beside the stream (parallel-checksums.ts); the last chunk is held back until they
 * are final, so whoever receives the whole stream can read digest() at once.
 */
export class ChecksumTap extends Transform {
  private readonly sums: ParallelChecksums | null;
  private readonly seeded: { result: Promise<ParallelDigest>; cancel(): void; size: number } | null;
  private bytes = 0;
  private held: Buffer | null = null;
  private result: ParallelDigest | null = null;

  constructor(options: ChecksumTapOptions = {}) {
    super();
    const { fromSeed } = options;
    if (fromSeed) checkSize('fromSeed.size', fromSeed.size, 0);
    this.seeded = fromSeed ? { ...syntheticChecksumsOffThread(fromSeed.seed, fromSeed.size, options), size: fromSeed.size } : null;
    this.sums = fromSeed ? null : new ParallelChecksums(options);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let wait: Promise<void> | null = null;
    this.bytes += chunk.length;
    try {
      if (this.sums) wait = this.sums.update(chunk);
    } catch (error) {
      return callback(error as Error);
    }
    const previous = this.held;
    this.held = chunk;
    if (previous) this.push(previous);
    if (wait) wait.then(() => callback(), callback);
    else callback();
  }

  override _flush(callback: TransformCallback): void {
    const seeded = this.seeded;
    if (seeded && this.bytes !== seeded.size) {
      seeded.cancel();
      return callback(new Error(`ChecksumTap: ${this.bytes} bytes passed, the seeded stream has ${seeded.size}`));
    }
    (seeded ? seeded.result : this.sums!.finish()).then((result) => {
      this.result = result;
      if (this.held) this.push(this.held);
      this.held = null;
      callback();
    }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.result) {
      this.sums?.abort();
      this.seeded?.cancel();
    }
    callback(error);
  }

  /** adler32, md5 (when computed) and size of everything that passed; only once all input has ended. */
  checksums(): ParallelDigest {
    if (!this.result) throw new Error('ChecksumTap.digest() called before its input ended');
    return { ...this.result };
  }

  /** As checksums(), for a tap that computes md5 (the default). */
  digest(): Checksums {
    const { adler32, md5, bytes } = this.checksums();
    if (md5 === undefined) throw new Error('ChecksumTap.digest(): md5 was not computed (md5: false); use checksums()');
    return { adler32, md5, bytes };
  }
}
