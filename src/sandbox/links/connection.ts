import { connect, type Socket } from 'node:net';
import { DelayPipe } from './delay-pipe.js';
import type { TokenBucket } from './token-bucket.js';

export interface LinkConnectionOptions {
  target: { host: string; port: number };
  rttMs: number;
  /** Client → target and target → client bandwidth; none means unlimited. */
  up?: TokenBucket;
  down?: TokenBucket;
  maxQueuedBytes: number;
  maxBacklogBytes: number;
  onDelivered(direction: 'up' | 'down', bytes: number): void;
  onQueued(queuedBytes: number): void;
}

/**
 * One accepted client connection and its connection to the target. The kernel
 * completes the client's TCP handshake at once, so the link's handshake is
 * emulated: the target is dialled half an RTT later (the SYN's trip) and the
 * client's first bytes leave only one RTT after accept (after the SYN-ACK's return).
 */
export class LinkConnection {
  private target: Socket | undefined;
  private readonly pipes: DelayPipe[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly acceptedAt = performance.now();
  private settled = false;
  private markClosed!: () => void;
  /** Settles once both sockets are closed. */
  readonly closed = new Promise<void>((resolve) => {
    this.markClosed = resolve;
  });

  constructor(
    private readonly client: Socket,
    private readonly opts: LinkConnectionOptions,
  ) {
    client.pause();
    client.setNoDelay(true);
    // Socket errors show up as 'close' and travel to the other side as a reset.
    client.on('error', () => {});
    client.once('close', () => {
      if (this.pipes.length === 0) this.destroy();
      this.settle();
    });
    this.after(opts.rttMs / 2, () => this.dial());
  }

  /** Resets both sockets at once, dropping whatever is in flight: the link went down. */
  destroy(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const pipe of this.pipes) pipe.stop();
    for (const socket of [this.client, this.target]) {
      if (!socket || socket.destroyed) continue;
      // A reset, not a FIN, so that neither side mistakes a cut transfer for a complete one.
      if (socket.connecting) socket.destroy();
      else socket.resetAndDestroy();
    }
  }

  private dial(): void {
    const { target: { host, port }, rttMs } = this.opts;
    const target = connect({ host, port, allowHalfOpen: true });
    this.target = target;
    target.setNoDelay(true);
    target.on('error', () => {});
    target.once('connect', () => {
      const up = this.pipe(this.client, target, 'up');
      const down = this.pipe(target, this.client, 'down');
      down.open();
      this.after(this.acceptedAt + rttMs - performance.now(), () => up.open());
    });
    target.once('close', () => {
      // Refused or unreachable: the client sees the reset the target would have sent.
      if (this.pipes.length === 0 && !this.client.destroyed) this.client.resetAndDestroy();
      this.settle();
    });
  }

  private pipe(src: Socket, dst: Socket, direction: 'up' | 'down'): DelayPipe {
    const pipe = new DelayPipe(src, dst, {
      delayMs: this.opts.rttMs / 2,
      bucket: this.opts[direction],
      maxQueuedBytes: this.opts.maxQueuedBytes,
      maxBacklogBytes: this.opts.maxBacklogBytes,
      onDelivered: (bytes) => this.opts.onDelivered(direction, bytes),
      onQueued: this.opts.onQueued,
    });
    this.pipes.push(pipe);
    return pipe;
  }

  private after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, Math.max(0, ms));
    this.timers.add(timer);
  }

  private settle(): void {
    if (this.settled || !this.client.destroyed || (this.target && !this.target.destroyed)) return;
    this.settled = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const pipe of this.pipes) pipe.stop();
    this.markClosed();
  }
}
