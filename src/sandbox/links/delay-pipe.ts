import type { Socket } from 'node:net';
import type { TokenBucket } from './token-bucket.js';

type Item = { kind: 'data'; data: Buffer } | { kind: 'end' } | { kind: 'reset' };

export interface DelayPipeOptions {
  /** One-way propagation delay. */
  delayMs: number;
  /** The link direction's bandwidth; none means unlimited. */
  bucket?: TokenBucket;
  /** Bytes held (waiting for bandwidth or in flight) above which src is paused: covers a stalled dst and uncapped links. */
  maxQueuedBytes: number;
  /** Bytes waiting for bandwidth above which src is paused: the sender's share of the bottleneck buffer. */
  maxBacklogBytes: number;
  onDelivered(bytes: number): void;
  onQueued(queuedBytes: number): void;
}

/**
 * One direction of a link connection: what `src` sends is serialised at the
 * link's rate, then reaches `dst` `delayMs` later, in order. A half-close travels
 * as an end marker and an abrupt close as a reset marker, both behind the data.
 */
export class DelayPipe {
  /** Read from src, waiting for bandwidth. */
  private readonly waiting: Item[] = [];
  /** On the wire: each item with the time it reaches dst. */
  private readonly inFlight: { item: Item; due: number }[] = [];
  private queuedBytes = 0;
  private backlogBytes = 0;
  private granting = false;
  private awaitingDrain = false;
  private timer: NodeJS.Timeout | undefined;
  private opened = false;
  private srcPaused = false;
  private srcDone = false;
  private stopped = false;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly opts: DelayPipeOptions,
  ) {
    src.pause();
    src.on('data', (data: Buffer) => this.enqueue({ kind: 'data', data }));
    src.on('end', () => this.finish({ kind: 'end' }));
    src.on('close', () => this.finish({ kind: 'reset' }));
    dst.on('drain', () => {
      this.awaitingDrain = false;
      this.deliver();
    });
    dst.on('close', () => this.stop());
  }

  /** Starts reading src (the link is up for this direction). */
  open(): void {
    this.opened = true;
    if (!this.srcPaused) this.src.resume();
  }

  /** Drops everything held and the timer; dst is gone or the link is closing. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.length = 0;
    this.inFlight.length = 0;
    this.queuedBytes = 0;
    this.backlogBytes = 0;
  }

  private finish(item: Item): void {
    if (this.srcDone) return;
    this.srcDone = true;
    this.enqueue(item);
  }

  private enqueue(item: Item): void {
    if (this.stopped) return;
    // Data that has reached dst's side goes out before more is read: after a busy spell
    // the poll phase (src readable) runs before the overdue delivery timer.
    this.deliver();
    this.waiting.push(item);
    if (item.kind === 'data') {
      this.queuedBytes += item.data.length;
      this.backlogBytes += item.data.length;
      this.opts.onQueued(this.queuedBytes);
    }
    this.transmit();
    this.flow();
  }

  /** Pauses src while either bound is exceeded and resumes it as soon as neither is. */
  private flow(): void {
    if (this.stopped) return;
    const full = this.backlogBytes > this.opts.maxBacklogBytes || this.queuedBytes > this.opts.maxQueuedBytes;
    if (full === this.srcPaused) return;
    this.srcPaused = full;
    if (full) this.src.pause();
    else if (this.opened) this.src.resume();
  }

  /** Moves items onto the wire as the bandwidth allows. */
  private transmit(): void {
    while (!this.granting && !this.stopped && this.waiting.length > 0) {
      const head = this.waiting[0] as Item;
      if (head.kind !== 'data' || !this.opts.bucket) {
        this.launch(this.waiting.shift() as Item);
        continue;
      }
      this.granting = true;
      const bucket = this.opts.bucket;
      bucket.take(head.data.length, () => {
        this.granting = false;
        if (this.stopped) return;
        this.launch(this.waiting.shift() as Item, bucket.grantedAt);
        this.transmit();
        this.flow();
      });
    }
  }

  /** Puts `item` on the wire as sent at `sentAt` (a bandwidth grant may be dated earlier than now). */
  private launch(item: Item, sentAt = performance.now()): void {
    if (item.kind === 'data') this.backlogBytes -= item.data.length;
    this.inFlight.push({ item, due: sentAt + this.opts.delayMs });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.awaitingDrain || this.stopped) return;
    const head = this.inFlight[0];
    if (!head) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.deliver();
    }, Math.max(0, head.due - performance.now()));
  }

  /** Hands every item that has arrived to dst, in order, respecting dst's backpressure. */
  private deliver(): void {
    if (this.stopped) return;
    // setTimeout may fire a fraction of a millisecond before performance.now() reaches `due`.
    const now = performance.now() + 1;
    while (!this.awaitingDrain && this.inFlight.length > 0 && (this.inFlight[0] as { due: number }).due <= now) {
      const { item } = this.inFlight.shift() as { item: Item };
      if (item.kind === 'data') this.write(item.data);
      else if (item.kind === 'end') {
        if (this.dst.writable) this.dst.end();
      } else if (!this.dst.destroyed) this.dst.resetAndDestroy();
      if (this.stopped) return;
    }
    this.schedule();
  }

  private write(data: Buffer): void {
    this.queuedBytes -= data.length;
    if (this.dst.writable) {
      this.awaitingDrain = !this.dst.write(data);
      this.opts.onDelivered(data.length);
    }
    this.flow();
  }
}
