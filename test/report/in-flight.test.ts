// Transfers in flight per link (src/report/figures.ts linkInFlight) on timelines worked out by hand.
import { describe, expect, it } from 'vitest';
import type { OpResult, TransferFact } from '../../src/engine/op-result.js';
import { linkInFlight } from '../../src/report/figures.js';
import { opResult } from '../helpers/op-result.js';

const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const copy = (requestId: string, t: { q: number; s?: number; e: number; failed?: number }, o: Partial<OpResult> = {}): OpResult => {
  const transfer: TransferFact = {
    queuedAt: at(t.q), ...(t.s === undefined ? {} : { startedAt: at(t.s) }), endedAt: at(t.e), failedAttempts: t.failed ?? 0, seenIn: 'history',
  };
  return opResult({ operation: 'replicate', srcRse: 'A', dstRse: 'B', rse: 'B', protocol: 'davs', requestId, bytes: 10, start: at(t.q), transfer, ...o });
};

describe('transfers in flight per link', () => {
  it('counts queued and active at once, half-open, with time-weighted means over the busy span', () => {
    const rs = [
      copy('a', { q: 0, s: 1, e: 5 }),
      copy('b', { q: 0, s: 5, e: 7, failed: 2 }),
      copy('c', { q: 2, e: 3 }), // never seen started: queued until it ended
      copy('d', { q: 0, s: 0, e: 9, failed: 1 }, { srcRse: 'C' }), // another link
      copy('e', { q: 1, s: 2, e: 3, failed: 1 }, { outcome: 'failed', errorClass: 'rule_stuck' }), // failed: not recovered
    ];
    const [ab, cb] = linkInFlight(rs);
    // queued: a [0,1) b [0,5) c [2,3) e [1,2) → at most 2 at once, 8 s over 7 s; active: a [1,5) b [5,7) e [2,3) → 2, 7 s.
    expect(ab).toEqual({
      src: 'A', dst: 'B', transfers: 4, queuedMax: 2, queuedMean: 8 / 7, activeMax: 2, activeMean: 7 / 7, seconds: 7,
      recovered: 1, recoveredAttempts: 2,
    });
    expect(cb).toMatchObject({ src: 'C', dst: 'B', transfers: 1, queuedMax: 0, activeMax: 1, activeMean: 1, recovered: 1 });
  });

  it('reads a transfer read twice (same request) once, and nothing without a timeline', () => {
    const rs = [copy('a', { q: 0, s: 1, e: 2 }), copy('a', { q: 0, s: 1, e: 2 }), opResult({ operation: 'replicate', srcRse: 'A', dstRse: 'B', requestId: 'x' })];
    expect(linkInFlight(rs)).toMatchObject([{ transfers: 1, activeMax: 1, queuedMax: 1 }]);
  });
});
