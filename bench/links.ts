// Measures what a long-haul link emulated by the sandbox's link proxy looks like
// to an HTTPS client: throughput against the configured bandwidth, the RTT of
// small exchanges on an open connection, and time-to-first-byte of a new one.
// Usage: node dist/bench/links.js [transfer size in MB, default 100]
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLinkProxy } from '../src/sandbox/links/index.js';
import { ensurePki } from '../src/sandbox/pki/index.js';

const RTT_MS = 300;
const BANDWIDTH_MBIT = 100;
const TRANSFER_BYTES = Number(process.argv[2] ?? 100) * 1e6;
const EXCHANGES = 10;
const NEW_CONNECTIONS = 5;

const block = Buffer.alloc(1024 * 1024, 0x5a);

/** GET /bytes?n=N answers N bytes, written with backpressure. */
function startByteServer(cert: string, key: string): Promise<Server> {
  const server = createServer({ cert, key }, (req, res) => {
    let left = Number(new URL(req.url ?? '/', 'https://x').searchParams.get('n') ?? 0);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(left) });
    const pump = (): void => {
      while (left > 0) {
        const chunk = block.subarray(0, Math.min(left, block.length));
        left -= chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface Timing { bytes: number; firstByteMs: number; endMs: number }

function get(url: string, ca: string, agent: Agent | false): Promise<Timing> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    request(url, { ca, agent }, (res) => {
      const firstByteMs = performance.now() - t0;
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ bytes, firstByteMs, endMs: performance.now() - t0 }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const ms = (x: number): string => `${x.toFixed(1)} ms`;

const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-bench-links-'));
const pki = await ensurePki(join(dir, 'pki'));
const server = await startByteServer(pki.host.certPem, pki.host.keyPem);
const targetPort = (server.address() as AddressInfo).port;
const link = await startLinkProxy({ target: { host: '127.0.0.1', port: targetPort }, rttMs: RTT_MS, bandwidthMbit: BANDWIDTH_MBIT, name: 'bench' });
const urlOf = (n: number): string => link.url(`https://localhost:${targetPort}/bytes?n=${n}`);
const ca = pki.caCertPem;

try {
  console.log(`link: ${BANDWIDTH_MBIT} Mbit/s, RTT ${RTT_MS} ms, queue bound ${(link.maxQueuedBytes / 1e6).toFixed(2)} MB per connection direction`);

  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const big = await get(urlOf(TRANSFER_BYTES), ca, agent);
  if (big.bytes !== TRANSFER_BYTES) throw new Error(`transfer returned ${big.bytes} of ${TRANSFER_BYTES} bytes`);
  const streamMbit = (big.bytes * 8) / ((big.endMs - big.firstByteMs) / 1000) / 1e6;
  const wholeMbit = (big.bytes * 8) / (big.endMs / 1000) / 1e6;
  console.log(`\n(a) throughput, ${(big.bytes / 1e6).toFixed(0)} MB over a new connection`);
  console.log(`    streaming (first to last byte): ${streamMbit.toFixed(2)} Mbit/s = ${(streamMbit / BANDWIDTH_MBIT).toFixed(3)} x setting`);
  console.log(`    whole request (set-up included): ${wholeMbit.toFixed(2)} Mbit/s = ${(wholeMbit / BANDWIDTH_MBIT).toFixed(3)} x setting, ${(big.endMs / 1000).toFixed(2)} s`);
  console.log(`    peak bytes queued in one direction: ${(link.stats().peakQueuedBytes / 1e6).toFixed(2)} MB`);

  const rtts: number[] = [];
  for (let i = 0; i < EXCHANGES; i++) rtts.push((await get(urlOf(64), ca, agent)).endMs);
  console.log(`\n(b) small request/response on the established connection, ${EXCHANGES} exchanges`);
  console.log(`    median ${ms(median(rtts))} (setting ${RTT_MS} ms), min ${ms(Math.min(...rtts))}, max ${ms(Math.max(...rtts))}`);
  agent.destroy();

  const ttfbs: number[] = [];
  for (let i = 0; i < NEW_CONNECTIONS; i++) ttfbs.push((await get(urlOf(64), ca, false)).firstByteMs);
  console.log(`\n(c) time to first byte of a new HTTPS connection (TCP + TLS 1.3 + request = 3 RTT), ${NEW_CONNECTIONS} connections`);
  console.log(`    median ${ms(median(ttfbs))} (${(median(ttfbs) / RTT_MS).toFixed(2)} RTT), min ${ms(Math.min(...ttfbs))}, max ${ms(Math.max(...ttfbs))}`);

  const stats = link.stats();
  console.log(`\nlink totals: ${stats.connections} connections, ${(stats.bytesDown / 1e6).toFixed(1)} MB down, ${(stats.bytesUp / 1e3).toFixed(1)} kB up`);
  console.log(`process peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  await link.close();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
}
