// A deleted rule stops its transfers, as in Rucio 41: lib/rucio/core/rule.py delete_rule cancels the
// request of each copy still in flight (lib/rucio/core/request.py cancel_request_did archives it;
// lib/rucio/core/transfer.py cancel_transfers asks FTS to cancel the job), so nothing goes on writing
// a destination no rule wants.
import { existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTransferEngine, type TransferEngine, type TransferEvent } from '../../../src/sandbox/transfers/index.js';
import { randomData, SCOPE, startLakeFixture, type LakeFixture } from './lake-fixture.js';

const FAST = 'SANDBOX-FAST';
const SAFE = 'SANDBOX-SAFE';
const CHUNK = 64 * 1024;
/** The trickling source sends a chunk this often: a copy that would take minutes. */
const CHUNK_EVERY_MS = 50;
const TOTAL = 64 * 1024 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const sizeOf = (file: string): number => (existsSync(file) ? statSync(file).size : -1);

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('sandbox transfer engine: a deleted rule cancels its transfer', () => {
  let fx: LakeFixture;
  let engine: TransferEngine;
  let trickle: Server;
  let trickleUrl = '';
  const events: TransferEvent[] = [];

  beforeAll(async () => {
    fx = await startLakeFixture();
    // A source that answers 200 and then sends 64 KiB every 50 ms for as long as the reader stays.
    trickle = createServer({ cert: fx.pki.host.certPem, key: fx.pki.host.keyPem }, (_req, res) => {
      res.writeHead(200, { 'Content-Length': String(TOTAL) });
      let sent = 0;
      const timer = setInterval(() => {
        if (sent >= TOTAL || res.destroyed) return clearInterval(timer);
        res.write(Buffer.alloc(CHUNK, 7));
        sent += CHUNK;
      }, CHUNK_EVERY_MS);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => trickle.listen(0, '127.0.0.1', resolve));
    trickleUrl = `https://localhost:${(trickle.address() as AddressInfo).port}/trickle.dat`;
    engine = startTransferEngine({
      admin: fx.catalogue.admin, caPems: fx.caPems, credentials: fx.credentials,
      sourceUrl: () => trickleUrl, maxAttempts: 3, retryDelayMs: 20, pollMs: 100, transferTimeoutMs: 600_000,
      onEvent: (e) => events.push(e),
    });
  });
  afterAll(async () => {
    await engine?.stop();
    trickle?.closeAllConnections();
    await new Promise<void>((resolve) => (trickle ? trickle.close(() => resolve()) : resolve()));
    await fx?.close();
  });

  it('stops writing the destination, removes the partial file and leaves no request in the queue', async () => {
    await fx.addFile(FAST, 'big.dat', randomData(1024));
    const ruleId = await fx.addRule('big.dat', SAFE);
    const dest = fx.diskFile(SAFE, 'big.dat');
    await until('the copy to write its destination', () => sizeOf(dest) > 4 * CHUNK);
    const request = fx.catalogue.admin.listRequests('SUBMITTED').find((q) => q.ruleId === ruleId);
    expect(request).toBeDefined();

    // DELETE /rules/<id> only sets the rule to expire within the hour; the judge-cleaner deletes it then.
    expect((await fx.rest('DELETE', `/rules/${ruleId}`, {})).status).toBe(200);
    expect(fx.catalogue.admin.expire(new Date(Date.now() + 3601 * 1000)).rules).toContain(ruleId);

    await until('the copy to stop', () => engine.stats().running === 0, 10_000);
    expect(events.filter((e) => e.type === 'cancelled').map((e) => 'requestId' in e && e.requestId)).toEqual([request?.id]);
    const size = sizeOf(dest);
    await sleep(1000);
    // The destination no longer grows (the partial file is gone, as FTS cleans up a cancelled job).
    expect(sizeOf(dest)).toBe(size);
    expect(size).toBe(-1);
    expect((await fx.rest('GET', `/requests/${SCOPE}/big.dat/${SAFE}`)).status).toBe(404);
    expect(fx.catalogue.admin.listRequests('SUBMITTED')).toEqual([]);
    expect(events.filter((e) => e.type === 'done' || e.type === 'failed')).toEqual([]);
  });
});
