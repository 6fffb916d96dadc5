// The md5 worker and the bounded ring of shared memory that feeds it (see parallel-checksums.ts).
// Each chunk is copied once into the ring and announced by a record (job, offset, length);
// the worker sleeps in Atomics.wait when the ring is empty, and a producer that finds it full
// awaits space with Atomics.waitAsync, so the event loop never blocks and a slow hash slows
// the stream, never memory. All jobs of the process share the ring in FIFO order, so the
// bytes in flight never exceed its size whatever the number of uploads at once.
import { Worker } from 'node:worker_threads';

const DEFAULT_RING_BYTES = 16 * 1024 * 1024;
const WAKE_BYTES = 4 * 1024 * 1024;
/** Records in the ring (a power of two); more small chunks in flight than this wait for the worker. */
const RECORDS = 4096;
const RECORD_INTS = 4;
// Control words (Int32): records published / consumed, bytes freed (wrapping counters), and who sleeps.
const WRITTEN = 0;
const READ = 1;
const FREED = 2;
const WORKER_SLEEPS = 3;
const PRODUCER_WAITS = 4;
const CONTROL_INTS = 8;
// Node 20 has Atomics.waitAsync; the project's TypeScript lib (ES2022) does not declare it.
type WaitAsync = (array: Int32Array, index: number, value: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync: WaitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
// Record kinds.
const DATA = 0;
const DIGEST = 1;
const DROP = 2;

// CommonJS source, evaluated in the worker: no file to locate at run time (source or dist).
const MD5_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const control = new Int32Array(workerData.control);
const records = new Int32Array(workerData.records);
const data = new Uint8Array(workerData.data);
const mask = records.length / ${RECORD_INTS} - 1;
const hashes = new Map();
let read = 0;
for (;;) {
  const written = Atomics.load(control, ${WRITTEN});
  if (read === written) {
    Atomics.store(control, ${WORKER_SLEEPS}, 1);
    Atomics.wait(control, ${WRITTEN}, written);
    Atomics.store(control, ${WORKER_SLEEPS}, 0);
    continue;
  }
  while (read !== written) {
    const at = (read & mask) * ${RECORD_INTS};
    const id = records[at], kind = records[at + 1], offset = records[at + 2], length = records[at + 3];
    if (kind === ${DATA}) {
      let hash = hashes.get(id);
      if (!hash) hashes.set(id, (hash = createHash('md5')));
      hash.update(data.subarray(offset, offset + length));
    } else if (kind === ${DIGEST}) {
      const hash = hashes.get(id) || createHash('md5');
      hashes.delete(id);
      parentPort.postMessage({ id, md5: hash.digest('hex') });
    } else {
      hashes.delete(id);
    }
    read = (read + 1) | 0;
    Atomics.add(control, ${FREED}, length);
    Atomics.store(control, ${READ}, read);
    if (Atomics.compareExchange(control, ${PRODUCER_WAITS}, 1, 0) === 1) Atomics.notify(control, ${READ});
  }
}
`;

export interface RingJob {
  id: number;
  closed: boolean;
  resolve(md5: string): void;
  reject(error: Error): void;
}

/** What the ring holds, for tests and diagnostics. */
export interface Md5RingGauge {
  ringBytes: number;
  /** Bytes copied into the ring and not yet hashed. */
  bytesInFlight: number;
  /** The most bytes in flight seen since the ring started. */
  maxBytesInFlight: number;
  /** Times a producer found the ring full and waited for the worker. */
  spaceWaits: number;
  openJobs: number;
  /** The worker's threadId, or null before the first md5 job. */
  workerId: number | null;
}

/** The md5 worker and its ring; one per process, referenced only while a job is open. */
export class Md5Ring {
  private readonly control: Int32Array;
  private readonly records: Int32Array;
  private readonly data: Uint8Array;
  private readonly worker: Worker;
  private readonly jobs = new Map<number, RingJob>();
  private nextId = 1;
  private published = 0;
  private writePos = 0;
  private bytesWritten = 0;
  private spaceWait: Promise<void> | null = null;
  maxInFlight = 0;
  spaceWaits = 0;
  dead: Error | null = null;

  /** Bytes in flight worth waking the worker for. */
  private readonly wakeBytes: number;

  constructor(readonly ringBytes: number) {
    this.wakeBytes = Math.min(WAKE_BYTES, Math.max(1, ringBytes >> 2));
    const control = new SharedArrayBuffer(CONTROL_INTS * 4);
    const records = new SharedArrayBuffer(RECORDS * RECORD_INTS * 4);
    const data = new SharedArrayBuffer(ringBytes);
    this.control = new Int32Array(control);
    this.records = new Int32Array(records);
    this.data = new Uint8Array(data);
    this.worker = new Worker(MD5_WORKER_SOURCE, { eval: true, workerData: { control, records, data } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; md5: string }) => {
      const job = this.jobs.get(m.id);
      if (!job) return;
      this.close(job);
      job.resolve(m.md5);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`md5 worker exited with code ${code}`)));
  }

  get workerId(): number {
    return this.worker.threadId;
  }

  get openJobs(): number {
    return this.jobs.size;
  }

  bytesInFlight(): number {
    return (this.bytesWritten - Atomics.load(this.control, FREED)) | 0;
  }

  open(): { job: RingJob; md5: Promise<string> } {
    if (this.dead) throw this.dead;
    let job!: RingJob;
    const md5 = new Promise<string>((resolve, reject) => {
      job = { id: this.nextId++, closed: false, resolve, reject };
    });
    if (this.jobs.size === 0) this.worker.ref();
    this.jobs.set(job.id, job);
    return { job, md5 };
  }

  /** Copy `chunk` into the ring; a promise when it did not all fit at once. */
  write(job: RingJob, chunk: Uint8Array): Promise<void> | null {
    if (this.dead) throw this.dead;
    const copied = this.tryWrite(job.id, chunk, 0);
    return copied === chunk.length ? null : this.writeLater(job, chunk, copied);
  }

  /** Ask for the digest (after all of the job's data); it arrives through open()'s promise. */
  async digest(job: RingJob): Promise<void> {
    while (!this.tryRecord(job.id, DIGEST, 0, 0)) {
      if (this.dead) throw this.dead;
      await this.space();
    }
  }

  /** Forget the job: the worker drops its hash once it reaches this point of the ring. */
  drop(job: RingJob): void {
    if (job.closed) return;
    this.close(job);
    const send = async (): Promise<void> => {
      while (!this.dead && !this.tryRecord(job.id, DROP, 0, 0)) await this.space();
    };
    void send().catch(() => {});
  }

  /** Stop the worker (tests: a crash); open jobs fail. */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private async writeLater(job: RingJob, chunk: Uint8Array, from: number): Promise<void> {
    while (from < chunk.length) {
      await this.space();
      if (this.dead) throw this.dead;
      if (job.closed) return;
      from += this.tryWrite(job.id, chunk, from);
    }
  }

  /** Copies what fits now, one record per contiguous piece; returns the bytes copied. */
  private tryWrite(id: number, chunk: Uint8Array, from: number): number {
    const start = from;
    while (from < chunk.length && this.recordFree()) {
      const free = this.ringBytes - this.bytesInFlight();
      const n = Math.min(chunk.length - from, free, this.ringBytes - this.writePos);
      if (n === 0) break;
      this.data.set(chunk.subarray(from, from + n), this.writePos);
      this.tryRecord(id, DATA, this.writePos, n);
      this.writePos = (this.writePos + n) % this.ringBytes;
      from += n;
    }
    return from - start;
  }

  private recordFree(): boolean {
    return ((this.published - Atomics.load(this.control, READ)) | 0) < RECORDS;
  }

  private tryRecord(id: number, kind: number, offset: number, length: number): boolean {
    if (!this.recordFree()) return false;
    const at = (this.published & (RECORDS - 1)) * RECORD_INTS;
    this.records[at] = id;
    this.records[at + 1] = kind;
    this.records[at + 2] = offset;
    this.records[at + 3] = length;
    this.bytesWritten = (this.bytesWritten + length) | 0;
    this.published = (this.published + 1) | 0;
    Atomics.store(this.control, WRITTEN, this.published);
    const inFlight = this.bytesInFlight();
    // Waking the worker costs a futex call and a context switch: wake it for a batch of data,
    // and at once for a digest or a drop (data left below the batch waits for the next ones).
    if (kind !== DATA || inFlight >= this.wakeBytes) this.wake();
    if (inFlight > this.maxInFlight) this.maxInFlight = inFlight;
    return true;
  }

  /** One notify per sleep of the worker: whoever clears its flag wakes it. */
  private wake(): void {
    if (Atomics.compareExchange(this.control, WORKER_SLEEPS, 1, 0) === 1) Atomics.notify(this.control, WRITTEN);
  }

  /** Resolves once the worker consumed a record (or died); one wait shared by all producers. */
  private space(): Promise<void> {
    this.spaceWait ??= this.waitForRead().finally(() => (this.spaceWait = null));
    return this.spaceWait;
  }

  private async waitForRead(): Promise<void> {
    const seen = Atomics.load(this.control, READ);
    if (this.dead || (this.published - seen) === 0) return;
    Atomics.store(this.control, PRODUCER_WAITS, 1);
    // A batch below wakeBytes may be all there is (a ring of many small records).
    this.wake();
    const wait = waitAsync(this.control, READ, seen);
    if (!wait.async) return;
    this.spaceWaits++;
    await wait.value;
  }

  private close(job: RingJob): void {
    job.closed = true;
    this.jobs.delete(job.id);
    if (this.jobs.size === 0) this.worker.unref();
  }

  private fail(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    for (const job of [...this.jobs.values()]) {
      this.close(job);
      job.reject(error);
    }
    // Wake producers waiting for space: they see `dead` and fail.
    Atomics.notify(this.control, READ);
  }
}

let ringBytes = DEFAULT_RING_BYTES;
let sharedRing: Md5Ring | null = null;

export function md5Ring(): Md5Ring {
  if (!sharedRing || sharedRing.dead) sharedRing = new Md5Ring(ringBytes);
  return sharedRing;
}

/** The shared ring's state (tests assert the memory bound on it). */
export function md5RingGauge(): Md5RingGauge {
  const ring = sharedRing;
  return {
    ringBytes: ring?.ringBytes ?? ringBytes,
    bytesInFlight: ring?.bytesInFlight() ?? 0,
    maxBytesInFlight: ring?.maxInFlight ?? 0,
    spaceWaits: ring?.spaceWaits ?? 0,
    openJobs: ring?.openJobs ?? 0,
    workerId: ring?.workerId ?? null,
  };
}

/**
 * Tests: the ring size for the next worker, and stop the current one (as a crash would:
 * its open jobs fail). Resolves once the old worker is gone.
 */
export async function restartMd5Worker(options: { ringBytes?: number } = {}): Promise<void> {
  const size = options.ringBytes ?? DEFAULT_RING_BYTES;
  if (!Number.isSafeInteger(size) || size < 1 || size > 1024 * 1024 * 1024) throw new RangeError(`ringBytes must be from 1 to 1 GiB, got ${size}`);
  ringBytes = size;
  const old = sharedRing;
  sharedRing = null;
  await old?.terminate();
}
