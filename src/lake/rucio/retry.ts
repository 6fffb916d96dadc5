// Which catalogue calls may be sent again after a transient failure, how long to wait,
// and where the retries are noted so the operation's result can say so.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RetryPolicy {
  /** Total attempts, the first included (1 = no retry). */
  attempts: number;
  /** Wait before the first retry; doubles each time, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250, maxDelayMs: 2_000 };
/** Bounds a plan or caller may not exceed. */
export const MAX_RETRY_ATTEMPTS = 6;

/** Answers a proxy or an overloaded server gives for a moment; the request did not happen. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);
/** The connection dropped before an answer: for a retry-safe call, sending it again is harmless. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);

/**
 * GET and HEAD (logins and token validation included) are safe to repeat. Of the writes,
 * only those Rucio 41 answers alike when repeated: POST /replicas/list is a read, and
 * re-adding the same replica to POST /replicas answers 201 again (conformance transcript,
 * "Duplicate replica"). Rules, DIDs, attachments and deletions are never sent twice.
 */
export function retrySafe(method: string, pathname: string): boolean {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return true;
  return m === 'POST' && /\/replicas\/?(?:list\/?)?$/.test(pathname);
}

/** Wait before retry `n` (1-based); a Retry-After in seconds is honoured within the policy's bound. */
export function retryDelayMs(policy: RetryPolicy, n: number, retryAfter?: string): number {
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
  const seconds = retryAfter !== undefined && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : NaN;
  return Number.isFinite(seconds) ? Math.min(policy.maxDelayMs, seconds * 1000) : backoff;
}

const notes = new AsyncLocalStorage<(note: string) => void>();

/** Runs `body` and hands every retry note raised inside it (however deep) to `sink`. */
export function collectRetryNotes<T>(sink: (note: string) => void, body: () => Promise<T>): Promise<T> {
  return notes.run(sink, body);
}

/** Called by the transport when it retried: the operation running now records it. */
export function noteRetry(note: string): void {
  notes.getStore()?.(note);
}
