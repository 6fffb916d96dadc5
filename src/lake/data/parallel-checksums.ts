// adler32 and md5 computed beside the data path instead of on it.
//
// adler32: zlib's deflate at level 0 ("stored") ends its output with the adler32 of its
// input, and Node's zlib computes it with SIMD in the libuv thread pool, where it runs
// in parallel with the main thread (measured: faster than the JS loop and on a par with
// xrdadler32). md5: one shared worker thread with OpenSSL's md5 receives the data in
// 1 MiB batches. Both are bounded: update() returns a promise to wait for when more than
// IN_FLIGHT_LIMIT bytes are not yet hashed, so a slow hash slows the stream, never memory.
import { Worker } from 'node:worker_threads';
import { constants, createDeflate, type Deflate } from 'node:zlib';

export interface ParallelDigest {
  adler32: string;
  /** Absent when md5 was not asked for. */
  md5?: string;
  bytes: number;
}

const IN_FLIGHT_LIMIT = 16 * 1024 * 1024;
const BATCH = 1024 * 1024;

// CommonJS source, evaluated in the worker: no file to locate at run time (source or dist).
const MD5_WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createCipheriv, createHash } = require('node:crypto');
const { createDeflate } = require('node:zlib');
const jobs = new Map();
const dropped = new Set();
// The synthetic stream's bytes (src/lake/data/synthetic.ts): AES-128-CTR keystream keyed by sha256(seed).
async function synthetic(m) {
  const d = createHash('sha256').update('lakeprobe-synthetic\0').update(m.seed, 'utf8').digest();
  const cipher = createCipheriv('aes-128-ctr', d.subarray(0, 16), d.subarray(16, 32));
  const md5 = m.md5 ? createHash('md5') : null;
  const deflate = createDeflate({ level: 0, chunkSize: 256 * 1024 });
  let tail = Buffer.alloc(0);
  deflate.on('data', (out) => { tail = out.length >= 4 ? out.subarray(out.length - 4) : Buffer.concat([tail, out]).subarray(-4); });
  const ended = new Promise((resolve, reject) => { deflate.once('end', resolve); deflate.once('error', reject); });
  const zeros = Buffer.alloc(1024 * 1024);
  for (let left = m.size; left > 0; ) {
    if (dropped.delete(m.id)) return void deflate.destroy();
    const n = Math.min(zeros.length, left);
    left -= n;
    const chunk = cipher.update(zeros.subarray(0, n));
    if (md5) md5.update(chunk);
    if (!deflate.write(chunk)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await ended;
  parentPort.postMessage({ id: m.id, adler32: tail.readUInt32BE(0).toString(16).padStart(8, '0'), md5: md5 ? md5.digest('hex') : undefined });
}
parentPort.on('message', (m) => {
  if (m.op === 'synthetic') {
    synthetic(m).catch((e) => parentPort.postMessage({ id: m.id, error: String(e && e.message || e) }));
    return;
  }
  if (m.op === 'update') {
    let hash = jobs.get(m.id);
    if (!hash) jobs.set(m.id, (hash = createHash('md5')));
    hash.update(m.data);
    parentPort.postMessage({ id: m.id, done: m.data.length });
  } else if (m.op === 'digest') {
    const hash = jobs.get(m.id) ?? createHash('md5');
    jobs.delete(m.id);
    parentPort.postMessage({ id: m.id, md5: hash.digest('hex') });
  } else if (m.op === 'drop') {
    jobs.delete(m.id);
  } else if (m.op === 'cancel') {
    dropped.add(m.id);
  }
});
`;

interface Md5Job {
  onDone(bytes: number): void;
  onDigest(md5: string, adler32?: string): void;
  onError(error: Error): void;
}

interface WorkerMessage { id: number; done?: number; md5?: string; adler32?: string; error?: string }

/** One md5 worker for the process; referenced only while a job is open. */
class Md5Worker {
  private readonly worker = new Worker(MD5_WORKER_SOURCE, { eval: true });
  private readonly jobs = new Map<number, Md5Job>();
  private nextId = 1;
  dead = false;

  constructor() {
    this.worker.unref();
    this.worker.on('message', (m: WorkerMessage) => {
      const job = this.jobs.get(m.id);
      if (!job) return;
      if (m.error !== undefined) {
        this.close(m.id);
        job.onError(new Error(`checksum worker: ${m.error}`));
      } else if (m.md5 !== undefined || m.adler32 !== undefined) {
        this.close(m.id);
        job.onDigest(m.md5 ?? '', m.adler32);
      } else job.onDone(m.done ?? 0);
    });
    const fail = (error: Error): void => {
      this.dead = true;
      for (const job of this.jobs.values()) job.onError(error);
      this.jobs.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`md5 worker exited with code ${code}`)));
  }

  open(job: Md5Job): number {
    const id = this.nextId++;
    if (this.jobs.size === 0) this.worker.ref();
    this.jobs.set(id, job);
    return id;
  }

  update(id: number, data: Uint8Array): void {
    this.worker.postMessage({ op: 'update', id, data }, [data.buffer as ArrayBuffer]);
  }

  synthetic(id: number, seed: string, size: number, md5: boolean): void {
    this.worker.postMessage({ op: 'synthetic', id, seed, size, md5 });
  }

  digest(id: number): void {
    this.worker.postMessage({ op: 'digest', id });
  }

  /** Stop a synthetic job (it checks between chunks). */
  cancel(id: number): void {
    if (!this.jobs.has(id)) return;
    this.close(id);
    this.worker.postMessage({ op: 'cancel', id });
  }

  drop(id: number): void {
    this.close(id);
    this.worker.postMessage({ op: 'drop', id });
  }

  private close(id: number): void {
    this.jobs.delete(id);
    if (this.jobs.size === 0) this.worker.unref();
  }
}

let sharedWorker: Md5Worker | null = null;
function md5Worker(): Md5Worker {
  if (!sharedWorker || sharedWorker.dead) sharedWorker = new Md5Worker();
  return sharedWorker;
}

/**
 * Checksums of syntheticStream({ seed, size }) computed in the worker from the seed, beside
 * an upload of the same stream: no byte of the upload is copied or hashed on its thread.
 * `cancel()` stops the computation (the upload failed).
 */
export function syntheticChecksumsOffThread(seed: string, size: number, options: { md5?: boolean } = {}): { result: Promise<ParallelDigest>; cancel(): void } {
  const worker = md5Worker();
  const wantMd5 = options.md5 !== false;
  let id = 0;
  const result = new Promise<ParallelDigest>((resolve, reject) => {
    id = worker.open({
      onDone: () => {},
      onDigest: (md5, adler32) => resolve(wantMd5 ? { adler32: adler32 ?? '', md5, bytes: size } : { adler32: adler32 ?? '', bytes: size }),
      onError: reject,
    });
  });
  worker.synthetic(id, seed, size, wantMd5);
  return {
    result,
    cancel: () => {
      result.catch(() => {});
      worker.cancel(id);
    },
  };
}

/** Feeds data to the off-thread hashes; finish() gives the values once everything was hashed. */
export class ParallelChecksums {
  private readonly deflate: Deflate = createDeflate({ level: 0, strategy: constants.Z_DEFAULT_STRATEGY, chunkSize: 256 * 1024 });
  private readonly adlerDone: Promise<string>;
  private readonly md5Done: Promise<string> | undefined;
  private md5Id = 0;
  private batch: Uint8Array | null = null;
  private batchUsed = 0;
  private bytes = 0;
  private pending = 0;
  private waiters: (() => void)[] = [];
  private failure: Error | null = null;

  constructor(options: { md5?: boolean } = {}) {
    let tail: Buffer = Buffer.alloc(0);
    this.adlerDone = new Promise((resolve, reject) => {
      this.deflate.on('data', (out: Buffer) => {
        tail = out.length >= 4 ? out.subarray(out.length - 4) : Buffer.concat([tail, out]).subarray(-4);
      });
      this.deflate.once('end', () => resolve(tail.readUInt32BE(0).toString(16).padStart(8, '0')));
      this.deflate.once('error', (e) => this.fail(e, reject));
    });
    if (options.md5 !== false) {
      this.md5Done = new Promise((resolve, reject) => {
        this.md5Id = md5Worker().open({
          onDone: (n) => this.settle(n),
          onDigest: resolve,
          onError: (e) => this.fail(e, reject),
        });
      });
    }
  }

  /** Hash `chunk` (not modified afterwards by the caller); a promise when the caller should wait. */
  update(chunk: Uint8Array): Promise<void> | null {
    if (this.failure) throw this.failure;
    this.bytes += chunk.length;
    this.pending += chunk.length;
    this.deflate.write(chunk, () => this.settle(chunk.length));
    if (this.md5Done) this.addToBatch(chunk);
    if (this.pending <= IN_FLIGHT_LIMIT) return null;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Final values, once all data was hashed. */
  async finish(): Promise<ParallelDigest> {
    if (this.md5Done) {
      this.flushBatch();
      md5Worker().digest(this.md5Id);
    }
    this.deflate.end();
    const [adler32, md5] = await Promise.all([this.adlerDone, this.md5Done]);
    return md5 === undefined ? { adler32, bytes: this.bytes } : { adler32, md5, bytes: this.bytes };
  }

  /** Stop hashing (the stream failed); nothing is kept. */
  abort(): void {
    this.deflate.destroy();
    if (this.md5Done) md5Worker().drop(this.md5Id);
    this.adlerDone.catch(() => {});
    this.md5Done?.catch(() => {});
    this.release();
  }

  private addToBatch(chunk: Uint8Array): void {
    this.pending += chunk.length;
    for (let from = 0; from < chunk.length; ) {
      this.batch ??= new Uint8Array(BATCH);
      const n = Math.min(BATCH - this.batchUsed, chunk.length - from);
      this.batch.set(chunk.subarray(from, from + n), this.batchUsed);
      this.batchUsed += n;
      from += n;
      if (this.batchUsed === BATCH) this.flushBatch();
    }
  }

  private flushBatch(): void {
    if (!this.batch || this.batchUsed === 0) return;
    const data = this.batchUsed === BATCH ? this.batch : this.batch.slice(0, this.batchUsed);
    md5Worker().update(this.md5Id, data);
    this.batch = null;
    this.batchUsed = 0;
  }

  private settle(bytes: number): void {
    this.pending -= bytes;
    if (this.pending <= IN_FLIGHT_LIMIT) this.release();
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private fail(error: Error, reject: (e: Error) => void): void {
    this.failure ??= error;
    this.release();
    reject(error);
  }
}
