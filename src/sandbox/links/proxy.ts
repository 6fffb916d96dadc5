import { createServer, type AddressInfo, type Socket } from 'node:net';
import { LinkConnection } from './connection.js';
import { TokenBucket } from './token-bucket.js';
import { rewriteUrlPort } from './url.js';

export interface LinkProxyOptions {
  target: { host: string; port: number };
  /** Round-trip time the link adds; each direction gets half of it. */
  rttMs: number;
  /** Link bandwidth in each direction, shared by all its connections; none means unlimited. */
  bandwidthMbit?: number;
  /** Port to listen on, on 127.0.0.1; 0 (default) lets the OS choose. */
  listenPort?: number;
  name?: string;
  /** Bytes one connection direction may hold before its sender is paused; default below. */
  maxQueuedBytes?: number;
}

export interface LinkStats {
  /** Bytes delivered to the target / to clients. */
  bytesUp: number;
  bytesDown: number;
  /** Connections accepted since start, and those still open. */
  connections: number;
  openConnections: number;
  /** Most bytes one connection direction ever held: stays near maxQueuedBytes however much is pushed. */
  peakQueuedBytes: number;
}

export interface LinkProxy {
  name: string;
  port: number;
  rttMs: number;
  bandwidthMbit: number | undefined;
  maxQueuedBytes: number;
  /** The same URL through the link: https://localhost:<target port>/x → https://localhost:<proxy port>/x. */
  url(original: string): string;
  stats(): LinkStats;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

const BURST_BYTES = 64 * 1024;
const MIB = 1024 * 1024;
/**
 * Bytes one connection direction may hold waiting for bandwidth. Data in flight
 * is bounded by the shared bucket (rate x delay for the whole link), so N busy
 * connections hold about the bandwidth-delay product plus N MiB, not N times it.
 */
const BACKLOG_BYTES = MIB;
/** Without a bandwidth cap the queue acts as the TCP window: a generous Linux-sized one. */
const UNCAPPED_QUEUE_BYTES = 16 * MIB;

/** Bandwidth-delay product plus 1 MiB: enough to keep the link busy, no more. */
export function defaultMaxQueuedBytes(rttMs: number, bandwidthMbit: number | undefined): number {
  if (bandwidthMbit === undefined) return UNCAPPED_QUEUE_BYTES;
  return Math.ceil(((bandwidthMbit * 1e6) / 8) * (rttMs / 1000)) + MIB;
}

/**
 * A userspace long-haul link on 127.0.0.1 in front of `target`: TCP level, so
 * TLS passes through untouched. Adds rttMs/2 each way (the handshake included)
 * and shapes each direction to bandwidthMbit with a token bucket.
 */
export async function startLinkProxy(opts: LinkProxyOptions): Promise<LinkProxy> {
  const { target, rttMs, bandwidthMbit } = opts;
  if (!Number.isFinite(rttMs) || rttMs < 0) throw new RangeError(`rttMs must be a non-negative number, got ${rttMs}`);
  if (bandwidthMbit !== undefined && !(bandwidthMbit > 0)) {
    throw new RangeError(`bandwidthMbit must be positive, got ${bandwidthMbit}`);
  }
  const name = opts.name ?? `${target.host}:${target.port}`;
  const maxQueuedBytes = opts.maxQueuedBytes ?? defaultMaxQueuedBytes(rttMs, bandwidthMbit);
  const bytesPerSecond = bandwidthMbit === undefined ? undefined : (bandwidthMbit * 1e6) / 8;
  const up = bytesPerSecond === undefined ? undefined : new TokenBucket(bytesPerSecond, BURST_BYTES);
  const down = bytesPerSecond === undefined ? undefined : new TokenBucket(bytesPerSecond, BURST_BYTES);
  const stats: LinkStats = { bytesUp: 0, bytesDown: 0, connections: 0, openConnections: 0, peakQueuedBytes: 0 };
  const open = new Set<LinkConnection>();

  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client: Socket) => {
    stats.connections++;
    const connection = new LinkConnection(client, {
      target, rttMs, up, down, maxQueuedBytes, maxBacklogBytes: BACKLOG_BYTES,
      onDelivered: (direction, bytes) => {
        if (direction === 'up') stats.bytesUp += bytes;
        else stats.bytesDown += bytes;
      },
      onQueued: (queued) => {
        if (queued > stats.peakQueuedBytes) stats.peakQueuedBytes = queued;
      },
    });
    open.add(connection);
    void connection.closed.then(() => open.delete(connection));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listenPort ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });

  let closing: Promise<void> | undefined;
  return {
    name, port, rttMs, bandwidthMbit, maxQueuedBytes,
    url: (original) => rewriteUrlPort(original, target, port),
    stats: () => ({ ...stats, openConnections: open.size }),
    close: () => {
      closing ??= (async () => {
        const listening = new Promise<void>((resolve) => server.close(() => resolve()));
        const connections = [...open];
        for (const connection of connections) connection.destroy();
        up?.close();
        down?.close();
        await Promise.all([listening, ...connections.map((c) => c.closed)]);
      })();
      return closing;
    },
  };
}
