// adler32 and md5 computed beside the data path instead of on it.
//
// adler32 runs in-line (adler32Update) on the thread that sees the bytes: it is fast
// enough that any hand-off would cost more than the sum. md5 (OpenSSL) runs in one
// shared worker thread fed through a bounded ring of shared memory (md5-ring.ts).
import { adler32ToHex, adler32Update } from './checksum.js';
import { md5Ring, type Md5Ring, type RingJob } from './md5-ring.js';

export { md5RingGauge, restartMd5Worker, type Md5RingGauge } from './md5-ring.js';

export interface ParallelDigest {
  adler32: string;
  /** Absent when md5 was not asked for. */
  md5?: string;
  bytes: number;
}

/** Feeds data to the hashes; finish() gives the values once everything was hashed. */
export class ParallelChecksums {
  private readonly wantMd5: boolean;
  private adler = 1;
  private bytes = 0;
  private ring: Md5Ring | null = null;
  private job: RingJob | null = null;
  private md5: Promise<string> | null = null;
  /** The last update still copying into the ring; later updates queue behind it. */
  private tail: Promise<void> | null = null;
  private state: 'open' | 'finished' | 'aborted' = 'open';
  private failure: Error | null = null;

  constructor(options: { md5?: boolean } = {}) {
    this.wantMd5 = options.md5 !== false;
  }

  /** Hash `chunk` (not modified afterwards by the caller); a promise when the caller should wait. */
  update(chunk: Uint8Array): Promise<void> | null {
    if (this.failure) throw this.failure;
    if (this.state !== 'open') throw new Error(`ParallelChecksums.update() after ${this.state === 'finished' ? 'finish()' : 'abort()'}`);
    this.adler = adler32Update(this.adler, chunk);
    this.bytes += chunk.length;
    if (!this.wantMd5 || chunk.length === 0) return null;
    const { ring, job } = this.md5Job();
    if (this.tail) return this.queue(this.tail.then(() => (job.closed ? undefined : ring.write(job, chunk) ?? undefined)));
    const wait = ring.write(job, chunk);
    return wait ? this.queue(wait) : null;
  }

  /** Final values, once all data was hashed. */
  async finish(): Promise<ParallelDigest> {
    if (this.state !== 'open') throw new Error(`ParallelChecksums.finish() after ${this.state === 'finished' ? 'finish()' : 'abort()'}`);
    this.state = 'finished';
    const adler32 = adler32ToHex(this.adler);
    if (!this.wantMd5) return { adler32, bytes: this.bytes };
    const { ring, job } = this.md5Job();
    if (this.tail) await this.tail;
    await ring.digest(job);
    return { adler32, md5: await this.md5!, bytes: this.bytes };
  }

  /** Stop hashing (the stream failed); nothing is kept, waiting updates end. */
  abort(): void {
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    if (this.ring && this.job) this.ring.drop(this.job);
    this.md5?.catch(() => {});
    this.tail?.catch(() => {});
  }

  private md5Job(): { ring: Md5Ring; job: RingJob } {
    if (!this.ring || !this.job) {
      this.ring = md5Ring();
      const { job, md5 } = this.ring.open();
      this.job = job;
      this.md5 = md5;
      md5.catch((error: Error) => (this.failure ??= error));
    }
    return { ring: this.ring, job: this.job };
  }

  private queue(wait: Promise<void>): Promise<void> {
    const tail: Promise<void> = wait.then(
      () => {
        if (this.tail === tail) this.tail = null;
      },
      (error: Error) => {
        this.failure ??= error;
        throw error;
      },
    );
    this.tail = tail;
    return tail;
  }
}
