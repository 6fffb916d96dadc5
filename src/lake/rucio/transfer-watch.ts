// Transfers in flight, as an account sees them while it waits for a rule. Rucio 41's generic
// policy lets every account read a file's live request (GET /requests/<scope>/<name>/<rse>,
// perm_get_request_by_did: True) but only root and admin accounts list a link's requests or read
// the history of finished and failed attempts (perm_list_requests, perm_get_request_history_by_did).
// So the watch reads each waiting lock's live request on every poll, and takes the finished request
// from the history when the account may read it.
import { RucioApiError } from '../errors.js';
import { parseRucioDate } from './auth.js';
import type { RucioClient } from './client.js';
import type { LockInfo, RequestInfo, RuleInfo } from './types.js';

/** One file's transfer towards one RSE: queued from `queuedAt`, active from `startedAt`, over at `endedAt`. */
export interface TransferTimeline {
  /** The request's created_at: the rule asked for the copy. */
  queuedAt: string;
  /** The first started_at seen: the copy began (absent: never seen started). */
  startedAt?: string;
  /** transferred_at from the request history, else when the file's lock was first seen OK. */
  endedAt: string;
  /** Attempts that failed and were retried (the request's retry_count, the highest seen). */
  failedAttempts: number;
  /** `history`: the finished request was read from Rucio's history; `live`: pieced together from polls of the live request. */
  seenIn: 'history' | 'live';
}

interface Seen {
  queuedAt: number; startedAt: number | null; retries: number;
  /** When the lock was seen OK: the poll's time, until an OK rule's updated_at bounds it (`okBounded`). */
  okAt: number | null; okBounded: boolean;
}

/** Live requests read per poll, at most: a large rule is sampled, never read in full each poll. */
export const MAX_REQUESTS_PER_POLL = 200;

const keyOf = (l: { scope: string; name: string; rse: string }): string => `${l.scope}:${l.name}@${l.rse}`;
const time = (v: string | null | undefined): number | null => (v ? (parseRucioDate(v)?.getTime() ?? null) : null);
const iso = (ms: number): string => new Date(ms).toISOString();

export class TransferWatch {
  private readonly seen = new Map<string, Seen>();
  /** The catalogue refused the live request to this account: only lock states are left. */
  private refused = false;

  constructor(private readonly rucio: RucioClient, private readonly maxPerPoll = MAX_REQUESTS_PER_POLL) {}

  /**
   * One poll of a rule and its locks: reads the live request of each lock still waiting, and marks when a
   * lock is first seen OK. An OK rule was last updated when its last lock went OK, so its updated_at (to
   * the second, like the requests' times) bounds when its OK locks ended: a lock seen OK while the rule
   * (read just before) was not yet keeps the poll's time until a later poll reads the rule OK.
   */
  async poll(locks: readonly LockInfo[], rule?: Pick<RuleInfo, 'state' | 'updated_at'>, now = Date.now()): Promise<void> {
    const ruleOkAt = rule?.state === 'OK' ? time(rule.updated_at) : null;
    const waiting: LockInfo[] = [];
    for (const l of locks) {
      const s = this.seen.get(keyOf(l));
      if (l.state !== 'OK') waiting.push(l);
      else if (s && !s.okBounded) {
        const seenAt = s.okAt ?? now;
        s.okAt = Math.max(ruleOkAt === null ? seenAt : Math.min(seenAt, ruleOkAt), s.startedAt ?? s.queuedAt);
        s.okBounded = ruleOkAt !== null;
      }
    }
    if (this.refused) return;
    for (const l of waiting.slice(0, this.maxPerPoll)) {
      const request = await this.live(l);
      if (request === 'refused') return;
      if (request) this.observe(keyOf(l), request);
    }
  }

  /**
   * The file's timeline, completed by the request read at the end (`final`: from the history when the
   * account may read it); `endedAt` when neither says when it ended. Null when no request was ever seen.
   */
  timeline(lock: { scope: string; name: string; rse: string }, final: RequestInfo | null, endedAt: number): TransferTimeline | null {
    const key = keyOf(lock);
    const finished = final && (final.state === 'DONE' || final.state === 'FAILED') ? final : null;
    if (final) this.observe(key, final);
    const s = this.seen.get(key);
    if (!s) return null;
    const end = time(finished?.transferred_at) ?? s.okAt ?? endedAt;
    return {
      queuedAt: iso(s.queuedAt), ...(s.startedAt === null ? {} : { startedAt: iso(Math.min(s.startedAt, end)) }),
      endedAt: iso(Math.max(end, s.queuedAt)), failedAttempts: s.retries, seenIn: finished ? 'history' : 'live',
    };
  }

  private observe(key: string, r: RequestInfo): void {
    const queuedAt = time(r.created_at);
    if (queuedAt === null) return;
    const startedAt = time(r.started_at);
    const s = this.seen.get(key) ?? { queuedAt, startedAt: null, retries: 0, okAt: null, okBounded: false };
    s.queuedAt = Math.min(s.queuedAt, queuedAt);
    if (startedAt !== null) s.startedAt = s.startedAt === null ? startedAt : Math.min(s.startedAt, startedAt);
    s.retries = Math.max(s.retries, r.retry_count ?? 0);
    this.seen.set(key, s);
  }

  /** The live request, null when there is none (not queued yet, or already finished), 'refused' for an AccessDenied. */
  private async live(l: LockInfo): Promise<RequestInfo | null | 'refused'> {
    try {
      return await this.rucio.getLiveRequest(l.scope, l.name, l.rse);
    } catch (error) {
      if (error instanceof RucioApiError && error.exceptionClass === 'RequestNotFound') return null;
      if (error instanceof RucioApiError && error.exceptionClass === 'AccessDenied') {
        this.refused = true;
        return 'refused';
      }
      return null;
    }
  }
}
