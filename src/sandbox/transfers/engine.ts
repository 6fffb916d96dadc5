// The sandbox's FTS: takes QUEUED requests from the catalogue, copies each file
// with HTTP-TPC (pull), verifies it, retries, and reports back so rules go OK or STUCK.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CatalogueAdmin, TransferReport, TransferRequest } from '../catalogue/admin.js';
import { isHttpsPfn, send, toHttpsUrl } from './http.js';
import type { TransferFailureReason } from '../faults/spec.js';
import { noRouteMessage, transferFailureMessage } from './reasons.js';
import { runAttempt, type AttemptResult } from './transfer.js';

export const TRANSFERTOOL = 'lakeprobe-fts';
export const NO_SOURCES_ERROR = 'RequestErrMsg.NO_SOURCES:RequestState.NO_SOURCES';
/** Rucio's prefix for errors a transfer tool reported. */
const TRANSFER_FAILED = 'RequestErrMsg.TRANSFER_FAILED:';

export interface TransferCredentials {
  /** Bearer token for the destination storage (create/modify). */
  destToken: string;
  /** Bearer token the destination forwards to the source (read). */
  sourceToken: string;
}

export type TransferEvent =
  | { type: 'submitted'; requestId: string; scope: string; name: string; sourceRse: string; destRse: string; externalId: string }
  | { type: 'held'; requestId: string; destRse: string }
  | { type: 'attempt-failed'; requestId: string; attempt: number; error: string }
  | { type: 'done'; requestId: string; bytes: number; seconds: number }
  | { type: 'failed'; requestId: string; attempts: number; error: string }
  | { type: 'cancelled'; requestId: string }
  | { type: 'error'; requestId?: string; error: string };

export interface TransferEngineOptions {
  admin: CatalogueAdmin;
  caPems: string[];
  credentials: () => Promise<TransferCredentials>;
  /** Rewrites the URL the destination pulls from (e.g. through a shaping proxy); gets the https form of the PFN. */
  sourceUrl?: (srcRse: string, dstRse: string, url: string) => string;
  /** `attempt`: the attempt of the transfer about to run (1 for the first). */
  faults?: { transferStuck?(dstRse: string): boolean; transferFailure?(dstRse: string, attempt: number): TransferFailureReason | undefined };
  /** FTS's per-link limit: at most this many copies from `srcRse` to `dstRse` run at once (undefined: no limit but `concurrency`). */
  linkMaxActive?(srcRse: string, dstRse: string): number | undefined;
  pollMs?: number;
  maxAttempts?: number;
  /** Per attempt; an attempt running longer fails with a timeout. */
  transferTimeoutMs?: number;
  retryDelayMs?: number;
  concurrency?: number;
  onEvent?(e: TransferEvent): void;
}

export interface TransferEngineStats {
  /** Submitted, waiting for a free slot. */
  pending: number;
  running: number;
  /** Submitted but held back by a stuck fault. */
  held: number;
  done: number;
  failed: number;
  bytes: number;
}

export interface TransferEngine {
  /** Claims every QUEUED request and waits until all transfers not held by a fault have finished. */
  runOnce(): Promise<void>;
  /** Stops polling and aborts running copies; their requests stay SUBMITTED. */
  stop(): Promise<void>;
  stats(): TransferEngineStats;
}

interface Job {
  request: TransferRequest;
  sourceRse: string;
  sourceUrl: string;
  destPfn: string;
  attempts: number;
  startedAt?: Date;
}

export function startTransferEngine(opts: TransferEngineOptions): TransferEngine {
  const { admin } = opts;
  const maxAttempts = opts.maxAttempts ?? 3;
  const concurrency = opts.concurrency ?? 4;
  const retryDelayMs = opts.retryDelayMs ?? 1000;
  const emit = (e: TransferEvent): void => opts.onEvent?.(e);
  const isStuck = (job: Job): boolean => opts.faults?.transferStuck?.(job.request.destRse) ?? false;
  const failureReason = (dstRse: string, attempt: number): TransferFailureReason | undefined => opts.faults?.transferFailure?.(dstRse, attempt);
  const pending: Job[] = [];
  const held = new Map<string, Job>();
  const running = new Map<string, { done: Promise<void>; abort: AbortController }>();
  const counts = { done: 0, failed: 0, bytes: 0 };
  /** Requests the catalogue cancelled (their rule was deleted): FTS's cancel, the copy stops. */
  const cancelled = new Set<string>();
  let stopped = false;

  /** Catalogue writes can fail when the request vanished meanwhile (its rule was deleted). */
  const record = (requestId: string | undefined, write: () => void): boolean => {
    try {
      write();
      return true;
    } catch (err) {
      emit({ type: 'error', ...(requestId ? { requestId } : {}), error: (err as Error).message });
      return false;
    }
  };

  const fail = (job: Job, error: string, report: TransferReport = {}): void => {
    counts.failed += 1;
    record(job.request.id, () => admin.completeRequest(job.request.id, { ok: false, error: `${TRANSFER_FAILED}${error}` }, report));
    emit({ type: 'failed', requestId: job.request.id, attempts: job.attempts, error });
  };

  const claim = (q: TransferRequest): void => {
    const source = q.sources.map((s) => ({ rse: s.rse, pfn: s.pfns.find(isHttpsPfn) })).find((s) => s.pfn !== undefined);
    const noRoute = failureReason(q.destRse, 1) === 'no_route';
    if (!source?.pfn || noRoute) {
      const error = noRoute ? noRouteMessage(q.destRse) : NO_SOURCES_ERROR;
      counts.failed += 1;
      record(q.id, () => admin.completeRequest(q.id, { ok: false, error }));
      emit({ type: 'failed', requestId: q.id, attempts: 0, error });
      return;
    }
    const url = toHttpsUrl(source.pfn);
    const job: Job = {
      request: q, sourceRse: source.rse, sourceUrl: opts.sourceUrl?.(source.rse, q.destRse, url) ?? url,
      destPfn: q.destPfns.find(isHttpsPfn) ?? '', attempts: 0,
    };
    if (!job.destPfn) {
      fail(job, `DESTINATION ${q.destRse} has no https or davs protocol to write with`);
      return;
    }
    const externalId = randomUUID();
    const submitted = record(q.id, () => admin.markRequestSubmitted(q.id, {
      sourceRse: source.rse, transfertool: TRANSFERTOOL, externalId, externalHost: TRANSFERTOOL, destUrl: job.destPfn,
    }));
    if (!submitted) return;
    emit({ type: 'submitted', requestId: q.id, scope: q.scope, name: q.name, sourceRse: source.rse, destRse: q.destRse, externalId });
    pending.push(job);
  };

  /** One copy, or the failure a transfer_failure fault imposes in FTS's words. */
  const attemptOnce = async (job: Job, signal: AbortSignal): Promise<AttemptResult> => {
    const reason = failureReason(job.request.destRse, job.attempts);
    if (reason && reason !== 'no_route') return { ok: false, bytes: 0, error: transferFailureMessage(reason, job.request.destRse) };
    return opts.credentials().then(
      (tokens) => runAttempt({
        sourceUrl: job.sourceUrl, destUrl: toHttpsUrl(job.destPfn), adler32: job.request.adler32, tokens, ca: opts.caPems, signal,
      }),
      () => ({ ok: false as const, bytes: 0, error: 'TRANSFER could not obtain the transfer tokens' }),
    );
  };

  /** Tries each attempt in turn; returns when the request is finished, held by a fault, or the engine stops. */
  const execute = async (job: Job, signal: AbortSignal): Promise<void> => {
    let lastError = '';
    let bytes = 0;
    while (job.attempts < maxAttempts) {
      if (job.attempts > 0) await sleep(retryDelayMs, undefined, { signal }).catch(() => undefined);
      if (stopped) return;
      if (isStuck(job)) {
        held.set(job.request.id, job);
        emit({ type: 'held', requestId: job.request.id, destRse: job.request.destRse });
        return;
      }
      job.attempts += 1;
      job.startedAt = new Date();
      record(job.request.id, () => admin.markRequestStarted(job.request.id, job.startedAt as Date));
      const timeout = opts.transferTimeoutMs === undefined ? undefined : AbortSignal.timeout(opts.transferTimeoutMs);
      const attemptSignal = timeout ? AbortSignal.any([signal, timeout]) : signal;
      const result = await attemptOnce(job, attemptSignal);
      if (stopped) return;
      if (cancelled.has(job.request.id)) break;
      if (result.ok) {
        const transferredAt = new Date();
        counts.done += 1;
        counts.bytes += result.bytes;
        record(job.request.id, () => admin.completeRequest(job.request.id, { ok: true, sourceRse: job.sourceRse }, {
          startedAt: job.startedAt, transferredAt, bytes: result.bytes, retryCount: job.attempts - 1,
        }));
        emit({ type: 'done', requestId: job.request.id, bytes: result.bytes,
          seconds: (transferredAt.getTime() - (job.startedAt?.getTime() ?? 0)) / 1000 });
        return;
      }
      lastError = timeout?.aborted ? `TRANSFER timed out after ${(opts.transferTimeoutMs ?? 0) / 1000} s` : result.error;
      bytes = result.bytes;
      emit({ type: 'attempt-failed', requestId: job.request.id, attempt: job.attempts, error: lastError });
      // A failed attempt that will be retried goes to the request's history; the retry waits for its start.
      if (job.attempts < maxAttempts) record(job.request.id, () => admin.recordFailedAttempt(job.request.id, `${TRANSFER_FAILED}${lastError}`));
    }
    await removeLeftover(job);
    if (stopped) return;
    if (cancelled.delete(job.request.id)) {
      emit({ type: 'cancelled', requestId: job.request.id });
      return;
    }
    fail(job, lastError, { startedAt: job.startedAt, transferredAt: new Date(), bytes, retryCount: job.attempts - 1 });
  };

  /** The catalogue cancelled these requests: drop them from the queue and abort their copies. */
  const cancel = (ids: string[]): void => {
    for (const id of ids) {
      const queued = pending.findIndex((j) => j.request.id === id);
      if (queued >= 0) pending.splice(queued, 1);
      const wasHeld = held.delete(id);
      const run = running.get(id);
      if (run) {
        cancelled.add(id);
        run.abort.abort();
      } else if (queued >= 0 || wasHeld) emit({ type: 'cancelled', requestId: id });
    }
  };
  const unsubscribe = admin.onTransfersCancelled(cancel);

  /** Like FTS, a failed transfer does not leave its partial (0-byte) file at the destination. */
  const removeLeftover = async (job: Job): Promise<void> => {
    try {
      const { destToken } = await opts.credentials();
      await send(toHttpsUrl(job.destPfn), { method: 'DELETE', headers: { Authorization: `Bearer ${destToken}` }, ca: opts.caPems });
    } catch {
      // Best effort: the failure being reported matters more than the leftover.
    }
  };

  /** Copies running per link, for FTS's per-link limit. */
  const activeOnLink = new Map<string, number>();
  const linkOf = (job: Job): string => `${job.sourceRse}\u0000${job.request.destRse}`;
  const linkHasRoom = (job: Job): boolean => {
    const limit = opts.linkMaxActive?.(job.sourceRse, job.request.destRse);
    return limit === undefined || (activeOnLink.get(linkOf(job)) ?? 0) < limit;
  };

  const pump = (): void => {
    while (!stopped && running.size < concurrency) {
      const next = pending.findIndex(linkHasRoom);
      if (next < 0) return;
      const [job] = pending.splice(next, 1) as [Job];
      const link = linkOf(job);
      activeOnLink.set(link, (activeOnLink.get(link) ?? 0) + 1);
      const abort = new AbortController();
      const done = execute(job, abort.signal)
        .catch((err: unknown) => emit({ type: 'error', requestId: job.request.id, error: (err as Error).message }))
        .finally(() => {
          running.delete(job.request.id);
          activeOnLink.set(link, (activeOnLink.get(link) ?? 1) - 1);
          pump();
        });
      running.set(job.request.id, { done, abort });
    }
  };

  const poll = (): void => {
    if (stopped) return;
    for (const [id, job] of held) {
      if (!isStuck(job)) {
        held.delete(id);
        pending.push(job);
      }
    }
    let queued: TransferRequest[] = [];
    record(undefined, () => {
      queued = admin.listRequests('QUEUED');
    });
    for (const q of queued) claim(q);
    pump();
  };

  const timer = setInterval(poll, opts.pollMs ?? 500);
  timer.unref();

  return {
    runOnce: async () => {
      poll();
      while (running.size > 0) await Promise.allSettled([...running.values()].map((r) => r.done));
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      for (const r of running.values()) r.abort.abort();
      await Promise.allSettled([...running.values()].map((r) => r.done));
    },
    stats: () => ({ pending: pending.length, running: running.size, held: held.size, ...counts }),
  };
}
