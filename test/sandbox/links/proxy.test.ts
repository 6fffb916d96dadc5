import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultMaxQueuedBytes, startLinkProxy, type LinkProxy, type LinkProxyOptions } from '../../../src/sandbox/links/index.js';
import {
  closed, connectTo, echo, eventually, readBytes, readToEnd, sha256, startTcpServer, type TcpServer,
} from './tcp-helpers.js';

const MB = 1_000_000;

describe('link proxy', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  });

  async function server(onSocket: (s: Socket) => void): Promise<TcpServer> {
    const s = await startTcpServer(onSocket);
    cleanups.push(() => s.close());
    return s;
  }
  async function link(target: TcpServer, opts: Omit<LinkProxyOptions, 'target'>): Promise<LinkProxy> {
    const p = await startLinkProxy({ target: { host: '127.0.0.1', port: target.port }, ...opts });
    cleanups.push(() => p.close());
    return p;
  }
  async function client(port: number): Promise<Socket> {
    const s = await connectTo(port);
    cleanups.push(async () => void s.destroy());
    return s;
  }

  it('delivers several MB intact and in order in both directions at once', async () => {
    const toServer = randomBytes(4 * MB);
    const toClient = randomBytes(4 * MB);
    let serverGot: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    const target = await server((s) => {
      serverGot = readToEnd(s);
      s.end(toClient);
    });
    const proxy = await link(target, { rttMs: 20, bandwidthMbit: 400 });
    const c = await client(proxy.port);
    const clientGot = readToEnd(c);
    c.end(toServer);
    expect(sha256(await clientGot)).toBe(sha256(toClient));
    expect(sha256(await serverGot)).toBe(sha256(toServer));
    expect(proxy.stats()).toMatchObject({ bytesUp: 4 * MB, bytesDown: 4 * MB, connections: 1 });
  });

  it('adds the RTT to every request-response exchange and two RTTs before a new connection first answers', async () => {
    const target = await server(echo);
    const proxy = await link(target, { rttMs: 200 });
    const started = performance.now();
    const c = await client(proxy.port);
    c.write('hello');
    await readBytes(c, 5);
    const firstAnswerMs = performance.now() - started;
    const t0 = performance.now();
    c.write('again');
    expect((await readBytes(c, 5)).toString()).toBe('again');
    const exchangeMs = performance.now() - t0;
    expect(exchangeMs).toBeGreaterThanOrEqual(190);
    expect(exchangeMs).toBeLessThan(400);
    // TCP handshake (one RTT, emulated) plus the exchange itself.
    expect(firstAnswerMs).toBeGreaterThanOrEqual(390);
  });

  it('limits a 20 Mbit/s link to about 2.5 MB/s and keeps its queue bounded', async () => {
    const payload = randomBytes(5 * MB);
    const target = await server((s) => s.end(payload));
    const proxy = await link(target, { rttMs: 20, bandwidthMbit: 20 });
    const t0 = performance.now();
    const got = await readToEnd(await client(proxy.port));
    const seconds = (performance.now() - t0) / 1000;
    expect(sha256(got)).toBe(sha256(payload));
    expect(seconds).toBeGreaterThanOrEqual(1.8);
    expect(seconds).toBeLessThan(4);
    expect(proxy.maxQueuedBytes).toBe(defaultMaxQueuedBytes(20, 20));
    expect(proxy.stats().peakQueuedBytes).toBeLessThanOrEqual(proxy.maxQueuedBytes + 256 * 1024);
  });

  it('shares one link bandwidth between concurrent connections', async () => {
    const payload = randomBytes(2.5 * MB);
    const target = await server((s) => s.end(payload));
    const proxy = await link(target, { rttMs: 10, bandwidthMbit: 20 });
    const t0 = performance.now();
    const results = await Promise.all([1, 2].map(async () => readToEnd(await client(proxy.port))));
    const seconds = (performance.now() - t0) / 1000;
    for (const got of results) expect(got.length).toBe(payload.length);
    expect(seconds).toBeGreaterThanOrEqual(1.8);
  });

  it('pauses a sender that pushes faster than the link, holding no more than its queue bound', async () => {
    let refusedWrites = 0;
    const chunk = randomBytes(64 * 1024);
    // More than loopback socket buffers absorb, so the sender must feel the backpressure.
    const total = 24 * MB;
    const target = await server((s) => {
      let sent = 0;
      const push = (): void => {
        while (sent < total) {
          sent += chunk.length;
          if (!s.write(chunk)) {
            refusedWrites++;
            s.once('drain', push);
            return;
          }
        }
        s.end();
      };
      push();
    });
    const bound = 256 * 1024;
    const proxy = await link(target, { rttMs: 10, bandwidthMbit: 160, maxQueuedBytes: bound });
    const got = await readToEnd(await client(proxy.port));
    expect(got.length).toBeGreaterThanOrEqual(total);
    expect(refusedWrites).toBeGreaterThan(0);
    expect(proxy.stats().peakQueuedBytes).toBeGreaterThan(bound / 2);
    expect(proxy.stats().peakQueuedBytes).toBeLessThanOrEqual(bound + 128 * 1024);
  });

  it('holds only about one MiB of backlog per busy connection, not a whole window each', async () => {
    const payload = randomBytes(4 * MB);
    const target = await server((s) => s.end(payload));
    // 10 MB/s, 100 ms RTT: a window of 1 MB + 1 MiB per connection direction.
    const proxy = await link(target, { rttMs: 100, bandwidthMbit: 80 });
    const got = await Promise.all([1, 2, 3].map(async () => readToEnd(await client(proxy.port))));
    for (const g of got) expect(g.length).toBe(payload.length);
    // Backlog (1 MiB + a chunk) plus this connection's third of the 0.5 MB in flight.
    expect(proxy.stats().peakQueuedBytes).toBeLessThan(1.5 * MB);
    expect(proxy.maxQueuedBytes).toBeGreaterThan(2 * MB);
  });

  it('propagates a half-close: the server still answers after the client stops sending', async () => {
    let serverSawEnd = false;
    const target = await server((s) => {
      const request = readToEnd(s);
      void request.then((body) => {
        serverSawEnd = true;
        s.end(`pong:${body.toString()}`);
      });
    });
    const proxy = await link(target, { rttMs: 40 });
    const c = await client(proxy.port);
    const reply = readToEnd(c);
    c.end('ping');
    expect((await reply).toString()).toBe('pong:ping');
    expect(serverSawEnd).toBe(true);
    expect(await closed(c)).toEqual({ hadError: false });
    await eventually(() => proxy.stats().openConnections === 0);
  });

  it('turns an abrupt close on one side into a reset on the other', async () => {
    const target = await server((s) => s.once('data', () => s.resetAndDestroy()));
    const proxy = await link(target, { rttMs: 20 });
    const c = await client(proxy.port);
    c.on('error', () => {});
    c.write('x');
    expect(await closed(c)).toEqual({ hadError: true });
    await eventually(() => proxy.stats().openConnections === 0);
  });

  it('resets the client when the target refuses the connection', async () => {
    const gone = await startTcpServer(() => {});
    await gone.close();
    const proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: gone.port }, rttMs: 10 });
    cleanups.push(() => proxy.close());
    const c = await client(proxy.port);
    c.on('error', () => {});
    expect((await closed(c)).hadError).toBe(true);
  });

  it('carries many concurrent connections without mixing their bytes', async () => {
    const target = await server(echo);
    const proxy = await link(target, { rttMs: 30, bandwidthMbit: 200 });
    const replies = await Promise.all(Array.from({ length: 64 }, async () => {
      const payload = randomBytes(32 * 1024);
      const c = await client(proxy.port);
      const reply = readToEnd(c);
      c.end(payload);
      return { sent: sha256(payload), got: sha256(await reply) };
    }));
    for (const { sent, got } of replies) expect(got).toBe(sent);
    expect(proxy.stats().connections).toBe(64);
    await eventually(() => proxy.stats().openConnections === 0);
  });

  it('close() resets open connections mid-transfer and stops listening', async () => {
    const target = await server((s) => s.write(randomBytes(4 * MB)));
    const proxy = await link(target, { rttMs: 100, bandwidthMbit: 8 });
    const c = await client(proxy.port);
    c.on('error', () => {});
    await readBytes(c, 1);
    await proxy.close();
    expect(await closed(c)).toEqual({ hadError: true });
    expect(proxy.stats().openConnections).toBe(0);
    await eventually(() => target.accepted.every((s) => s.destroyed));
    const refused = await new Promise<string>((resolve) => {
      connect({ host: '127.0.0.1', port: proxy.port }).once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('rejects a negative RTT and a non-positive bandwidth', async () => {
    const target = { host: '127.0.0.1', port: 1 };
    await expect(startLinkProxy({ target, rttMs: -1 })).rejects.toThrow(/rttMs/);
    await expect(startLinkProxy({ target, rttMs: 10, bandwidthMbit: 0 })).rejects.toThrow(/bandwidthMbit/);
  });
});
