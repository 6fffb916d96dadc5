// Per-phase timeouts of the davs driver against a local HTTPS server that stalls on cue.
// Small limits; the bounds allow for a loaded machine but not for a limit taken twice.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLakeSession } from '../../../src/engine/lake-session.js';
import type { ResolvedPlan } from '../../../src/plan/index.js';
import { syntheticStream } from '../../../src/lake/data/synthetic.js';
import { DavsDriver } from '../../../src/lake/storage/davs.js';
import { resolveTimeouts, type StorageTimeouts } from '../../../src/lake/storage/timeouts.js';
import { withTemporaryPki, type Certificate } from '../../helpers/openssl-pki.js';

let ca: Certificate;
let server: Server;
let base: string;
const drivers: DavsDriver[] = [];
const timers = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  let host!: Certificate;
  withTemporaryPki((certs) => {
    ca = certs.ca('ca', '/O=lakeprobe-test/CN=Timeout CA');
    host = certs.server('server', ca, '/O=lakeprobe-test/CN=localhost');
  });
  server = createServer({ key: host.keyPem, cert: host.certPem }, (req, res) => {
    const path = req.url ?? '/';
    if (path.startsWith('/stall-put/')) {
      // Read a little of the body, then stop reading: the client's writes back up.
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > 256 * 1024) req.pause();
      });
    } else if (path.startsWith('/stall-get/')) {
      res.writeHead(200, { 'Content-Length': 10 * 1024 * 1024 });
      res.write(Buffer.alloc(64 * 1024));
    } else if (path.startsWith('/trickle/')) {
      res.writeHead(200, { 'Content-Length': 1024 * 1024 });
      const timer = setInterval(() => res.write('x'), 50);
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
    } else if (path.startsWith('/silent/')) {
      // never answers
    } else {
      req.resume();
      req.on('end', () => res.writeHead(201).end());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `davs://localhost:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const d of drivers) d.close();
  for (const t of timers) clearInterval(t);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function driver(timeouts: Partial<StorageTimeouts>): DavsDriver {
  const d = new DavsDriver({ ca: [ca.certPem] }, { timeouts, continueTimeoutMs: 50 });
  drivers.push(d);
  return d;
}

/** The error `run` fails with, and how long after the start. */
async function timed(run: () => Promise<unknown>): Promise<{ error: Error & { code?: string }; ms: number }> {
  const start = Date.now();
  const error = await run().then(() => expect.fail('expected a timeout'), (e: Error & { code?: string }) => e);
  return { error, ms: Date.now() - start };
}

const LIMIT = 1000;

describe('DavsDriver timeouts', () => {
  it('fails a PUT whose server stops reading the body after the stall limit, not twice it', async () => {
    const size = 512 * 1024 * 1024;
    const { error, ms } = await timed(() => driver({ stallMs: LIMIT }).put(`${base}/stall-put/f`, syntheticStream({ seed: 's', size }), size));
    expect(error.code).toBe('ESOCKETTIMEDOUT');
    expect(error.message).toMatch(/no data received or sent for 1000 ms/);
    expect(ms).toBeGreaterThanOrEqual(LIMIT * 0.9);
    expect(ms).toBeLessThan(LIMIT * 1.6);
  });

  it('fails a download whose body stops arriving after the stall limit', async () => {
    const d = driver({ stallMs: LIMIT });
    const { error, ms } = await timed(async () => {
      for await (const chunk of await d.get(`${base}/stall-get/f`)) void chunk;
    });
    expect(error.code).toBe('ESOCKETTIMEDOUT');
    expect(ms).toBeGreaterThanOrEqual(LIMIT * 0.9);
    expect(ms).toBeLessThan(LIMIT * 1.6);
  });

  it('waits for the response headers only for the first-byte limit', async () => {
    const { error, ms } = await timed(() => driver({ firstByteMs: LIMIT, stallMs: 60_000 }).stat(`${base}/silent/f`));
    expect(error.code).toBe('ESOCKETTIMEDOUT');
    expect(error.message).toMatch(/no response within 1000 ms/);
    expect(ms).toBeGreaterThanOrEqual(LIMIT * 0.9);
    expect(ms).toBeLessThan(LIMIT * 1.6);
  });

  it('ends a transfer that trickles (never stalls) at the total limit', async () => {
    const d = driver({ stallMs: 60_000, totalMs: LIMIT });
    const { error, ms } = await timed(async () => {
      for await (const chunk of await d.get(`${base}/trickle/f`)) void chunk;
    });
    expect(error.message).toMatch(/not finished within 1000 ms/);
    expect(ms).toBeGreaterThanOrEqual(LIMIT * 0.9);
    expect(ms).toBeLessThan(LIMIT * 1.6);
  });

  it('lets a normal upload through with small limits', async () => {
    const size = 4 * 1024 * 1024;
    await driver({ connectMs: LIMIT, firstByteMs: LIMIT, stallMs: LIMIT, totalMs: 30_000 })
      .put(`${base}/ok/f`, syntheticStream({ seed: 'ok', size }), size);
  });
});

describe('lake.timeouts through the lake session', () => {
  it('reach the storage drivers a session builds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-timeouts-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), ca.certPem);
      const plan = {
        lake: { rucioHost: 'https://rucio.invalid', account: 'probe', vo: 'def', insecure: false, caPath: join(dir, 'ca.pem'), storageTimeouts: { firstByteMs: LIMIT } },
        credentials: { userpass: { username: 'probe', password: 'pw' } },
      } as unknown as ResolvedPlan;
      const session = await openLakeSession(plan, 'userpass');
      const { error, ms } = await timed(() => session.storage('davs').stat(`${base}/silent/f`));
      expect(error.message).toMatch(/no response within 1000 ms/);
      expect(ms).toBeLessThan(LIMIT * 1.6);
      (session.storage('davs') as DavsDriver).close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('resolveTimeouts', () => {
  it('takes the single timeoutMs for connect, first byte and stall, and per-phase values over it', () => {
    expect(resolveTimeouts({ timeoutMs: 5000, timeouts: { stallMs: 700 } })).toEqual({ connectMs: 5000, firstByteMs: 5000, stallMs: 700, totalMs: 0 });
    expect(resolveTimeouts({})).toEqual({ connectMs: 60_000, firstByteMs: 60_000, stallMs: 60_000, totalMs: 0 });
  });

  it('refuses a negative or non-numeric limit', () => {
    expect(() => resolveTimeouts({ timeouts: { connectMs: -1 } })).toThrow(/connectMs must be a number >= 0/);
    expect(() => resolveTimeouts({ timeouts: { totalMs: Number.NaN } })).toThrow(/totalMs/);
  });
});
