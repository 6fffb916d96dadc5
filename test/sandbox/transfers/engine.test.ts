import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NO_SOURCES_ERROR, startTransferEngine, type TransferEngine, type TransferEvent,
} from '../../../src/sandbox/transfers/index.js';
import { adler32, randomData, SCOPE, startLakeFixture, type LakeFixture } from './lake-fixture.js';

const FAST = 'SANDBOX-FAST';
const SAFE = 'SANDBOX-SAFE';
const NONDET = 'SANDBOX-NONDET';
const TIMEOUT_MS = 2000;

describe('sandbox transfer engine (HTTP-TPC pull between sandbox RSEs)', () => {
  let fx: LakeFixture;
  let engine: TransferEngine;
  let hanging: Server;
  let hangingUrl = '';
  const events: TransferEvent[] = [];
  const stuckRses = new Set<string>();
  /** Destinations whose transfers fail their first attempt only (transfer_failure --attempts 1). */
  const failFirstAttempt = new Set<string>();
  const sourceCalls: [string, string, string][] = [];

  const rule = (id: string): Promise<Record<string, unknown>> => fx.json(`/rules/${id}`);
  const requestOf = (name: string, rse: string): Promise<Record<string, unknown>> => fx.json(`/requests/${SCOPE}/${name}/${rse}`);
  // A finished request is archived as Rucio's conveyor-finisher does: it is read from the history.
  const finishedRequestOf = (name: string, rse: string): Promise<Record<string, unknown>> =>
    fx.json(`/requests/history/${SCOPE}/${name}/${rse}`);
  const requestId = (name: string): string =>
    fx.catalogue.admin.listRequests().find((q) => q.name === name)?.id ?? '';
  const eventsFor = (name: string, type: TransferEvent['type']): TransferEvent[] =>
    events.filter((e) => e.type === type && 'requestId' in e && e.requestId === requestId(name));

  beforeAll(async () => {
    fx = await startLakeFixture();
    // A source that accepts the connection and never answers: only the transfer timeout ends the copy.
    hanging = createServer({ cert: fx.pki.host.certPem, key: fx.pki.host.keyPem }, () => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    hangingUrl = `https://localhost:${(hanging.address() as AddressInfo).port}`;
    engine = startTransferEngine({
      admin: fx.catalogue.admin,
      caPems: fx.caPems,
      credentials: fx.credentials,
      sourceUrl: (src, dst, url) => {
        sourceCalls.push([src, dst, url]);
        return /\/slow[^/]*\.dat$/.test(url) ? `${hangingUrl}/slow.dat` : url;
      },
      faults: {
        transferStuck: (rse) => stuckRses.has(rse),
        transferFailure: (rse, attempt) => (failFirstAttempt.has(rse) && attempt === 1 ? 'source_error' : undefined),
      },
      maxAttempts: 2,
      retryDelayMs: 20,
      transferTimeoutMs: TIMEOUT_MS,
      onEvent: (e) => events.push(e),
    });
  });
  afterAll(async () => {
    await engine?.stop();
    hanging?.closeAllConnections();
    await new Promise<void>((resolve) => (hanging ? hanging.close(() => resolve()) : resolve()));
    await fx?.close();
  });

  it('replicates a file: the rule goes REPLICATING → OK and the destination holds the same bytes', async () => {
    const data = randomData(2 * 1024 * 1024 + 3);
    await fx.addFile(FAST, 'copied.dat', data);
    const id = await fx.addRule('copied.dat', SAFE);
    expect(await rule(id)).toMatchObject({ state: 'REPLICATING', locks_replicating_cnt: 1 });

    await engine.runOnce();

    expect(await rule(id)).toMatchObject({ state: 'OK', locks_ok_cnt: 1, error: null });
    expect(adler32(readFileSync(fx.diskFile(SAFE, 'copied.dat')))).toBe(adler32(data));
    expect(fx.catalogue.admin.getReplicaState(SCOPE, 'copied.dat', SAFE)).toBe('AVAILABLE');
    expect(sourceCalls).toContainEqual([FAST, SAFE, expect.stringMatching(/^https:\/\/localhost:\d+\/rucio\/.*copied\.dat$/)]);
  });

  it('shows the finished request in GET /requests: DONE, source, bytes, times, transfer tool', async () => {
    const q = await finishedRequestOf('copied.dat', SAFE);
    expect(q).toMatchObject({
      state: 'DONE', source_rse: FAST, dest_rse: SAFE, bytes: 2 * 1024 * 1024 + 3, transfertool: 'lakeprobe-fts',
      err_msg: null, retry_count: 0,
    });
    expect(q.external_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(String(q.dest_url)).toMatch(/^davs:\/\/localhost:\d+\/rucio\/.*copied\.dat$/);
    const started = Date.parse(String(q.started_at));
    const transferred = Date.parse(String(q.transferred_at));
    expect(Number.isNaN(started) || Number.isNaN(transferred)).toBe(false);
    expect(Date.parse(String(q.submitted_at))).toBeLessThanOrEqual(started);
    expect(started).toBeLessThanOrEqual(transferred);
  });

  it('makes the rule STUCK with NO_SOURCES when no replica is available anywhere', async () => {
    await fx.addFile(FAST, 'orphan.dat', randomData(100), { state: 'C', upload: false });
    const id = await fx.addRule('orphan.dat', SAFE);
    await engine.runOnce();
    expect(await rule(id)).toMatchObject({ state: 'STUCK', locks_stuck_cnt: 1, error: NO_SOURCES_ERROR });
    expect(await finishedRequestOf('orphan.dat', SAFE)).toMatchObject({ state: 'FAILED', err_msg: NO_SOURCES_ERROR });
  });

  it('retries a failing copy up to maxAttempts, then the rule goes STUCK with the last error and no leftover file', async () => {
    // Registered as AVAILABLE but never written: the source answers 404.
    await fx.addFile(FAST, 'vanished.dat', randomData(1000), { upload: false });
    const id = await fx.addRule('vanished.dat', SAFE);
    await engine.runOnce();

    const error = expect.stringMatching(/^TRANSFER Remote side failed with status code 404; error message: "No such file/);
    expect(eventsFor('vanished.dat', 'attempt-failed')).toEqual([
      expect.objectContaining({ attempt: 1, error }), expect.objectContaining({ attempt: 2, error }),
    ]);
    const r = await rule(id);
    expect(r.state).toBe('STUCK');
    expect(r.error).toMatch(/^RequestErrMsg\.TRANSFER_FAILED:TRANSFER Remote side failed with status code 404; error message: /);
    expect(await finishedRequestOf('vanished.dat', SAFE)).toMatchObject({ state: 'FAILED', retry_count: 1 });
    expect(existsSync(fx.diskFile(SAFE, 'vanished.dat'))).toBe(false);
  });

  // Rucio 41 lib/rucio/core/request.py requeue_and_archive: the failed attempt goes to the history,
  // the retry counts it (retry_count, previous_attempt_id); only root/admin read the history.
  it('keeps a failed attempt that was retried in the request history, and the request that arrived counts it', async () => {
    await fx.addFile(FAST, 'retried.dat', randomData(1000));
    const id = await fx.addRule('retried.dat', SAFE);
    failFirstAttempt.add(SAFE);
    try {
      await engine.runOnce();
    } finally {
      failFirstAttempt.delete(SAFE);
    }
    expect(await rule(id)).toMatchObject({ state: 'OK', locks_ok_cnt: 1 });
    const done = await finishedRequestOf('retried.dat', SAFE);
    expect(done).toMatchObject({ state: 'DONE', retry_count: 1, err_msg: null });
    const failed = fx.catalogue.admin.listRequests().filter((q) => q.name === 'retried.dat' && q.state === 'FAILED');
    expect(failed.map((q) => q.id)).toEqual([done.previous_attempt_id]);
    expect(eventsFor('retried.dat', 'attempt-failed')).toEqual([expect.objectContaining({ attempt: 1, error: expect.stringMatching(/^SOURCE \[5\] Result HTTP 500/) })]);
  });

  it('fails a copy whose destination adler32 differs from the catalogue', async () => {
    await fx.addFile(FAST, 'corrupt.dat', randomData(5000), { adler32: '00000001' });
    const id = await fx.addRule('corrupt.dat', SAFE);
    await engine.runOnce();
    const r = await rule(id);
    expect(r.state).toBe('STUCK');
    expect(String(r.error)).toMatch(/^RequestErrMsg\.TRANSFER_FAILED:checksum mismatch: expected adler32 00000001, destination has [0-9a-f]{8}$/);
  });

  it('fails an attempt that runs longer than the transfer timeout', async () => {
    await fx.addFile(FAST, 'slow.dat', randomData(100));
    const id = await fx.addRule('slow.dat', SAFE);
    const started = Date.now();
    await engine.runOnce();
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * TIMEOUT_MS);
    expect(await rule(id)).toMatchObject({ state: 'STUCK', error: `RequestErrMsg.TRANSFER_FAILED:TRANSFER timed out after ${TIMEOUT_MS / 1000} s` });
  });

  it('holds transfers to an RSE under a stuck fault in SUBMITTED until the fault is removed', async () => {
    stuckRses.add(NONDET);
    const data = randomData(4096);
    await fx.addFile(FAST, 'held.dat', data);
    const id = await fx.addRule('held.dat', NONDET);
    await engine.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 1200)); // a few background polls

    expect(await requestOf('held.dat', NONDET)).toMatchObject({ state: 'SUBMITTED', transfertool: 'lakeprobe-fts' });
    expect(await rule(id)).toMatchObject({ state: 'REPLICATING' });
    expect(engine.stats()).toMatchObject({ held: 1, running: 0 });
    expect(existsSync(fx.diskFile(NONDET, 'held.dat'))).toBe(false);

    stuckRses.delete(NONDET);
    await engine.runOnce();
    expect(await rule(id)).toMatchObject({ state: 'OK' });
    expect(adler32(readFileSync(fx.diskFile(NONDET, 'held.dat')))).toBe(adler32(data));
    expect(engine.stats()).toMatchObject({ held: 0, pending: 0, running: 0 });
  });

  it('counts finished and failed transfers in its stats', () => {
    expect(engine.stats()).toMatchObject({ done: 3, failed: 4, bytes: 2 * 1024 * 1024 + 3 + 1000 + 4096 });
  });

  it('stops promptly: a running copy is aborted and its request stays SUBMITTED', async () => {
    await fx.addFile(FAST, 'slow-stop.dat', randomData(100));
    await fx.addRule('slow-stop.dat', SAFE);
    const run = engine.runOnce();
    while (engine.stats().running === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await engine.stop();
    await run;
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
    expect(await requestOf('slow-stop.dat', SAFE)).toMatchObject({ state: 'SUBMITTED' });
    expect(eventsFor('slow-stop.dat', 'attempt-failed')).toEqual([]);
  });
});
