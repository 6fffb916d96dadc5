import { describe, expect, it } from 'vitest';
import { ProgressSink, progressLine } from '../../src/cli/progress.js';
import type { ProgressSnapshot } from '../../src/engine/run-progress.js';
import { opResult } from '../helpers/op-result.js';

const snap = (over: Partial<ProgressSnapshot> = {}): ProgressSnapshot =>
  ({ inFlight: 8, done: 250, failed: 0, expected: 1000, bytes: 500e6, elapsedMs: 10_000, ...over });

describe('progressLine', () => {
  it('shows operations in flight, done / total, bytes, rate and an ETA when the total is known', () => {
    // 250 done in 10 s: 750 left at 25/s is 30 s.
    expect(progressLine(snap())).toBe('8 in flight, 250/1000 done, 476.8 MiB at 50.0 MB/s, ETA 30.0 s');
  });

  it('leaves out the total and the ETA while the total is unknown, and counts failures', () => {
    expect(progressLine(snap({ expected: null, failed: 3 }))).toBe('8 in flight, 250 done (3 failed), 476.8 MiB at 50.0 MB/s');
  });

  it('writes long ETAs in minutes and hours', () => {
    expect(progressLine(snap({ done: 10, expected: 1000 }))).toMatch(/ETA 16 min 30 s$/);
    expect(progressLine(snap({ done: 1, expected: 1000, elapsedMs: 60_000 }))).toMatch(/ETA 16 h 39 min$/);
  });
});

describe('ProgressSink', () => {
  it('redraws one status line in place on a TTY, at most every 100 ms, and keeps failures as their own lines', () => {
    const out: string[] = [];
    let t = 0;
    const sink = new ProgressSink((s) => out.push(s), true, () => t);
    sink.onProgress(snap({ done: 1 }));
    sink.onProgress(snap({ done: 2 })); // same instant: not drawn
    t = 150;
    sink.onProgress(snap({ done: 3 }));
    sink.onResult(opResult({ outcome: 'failed', errorClass: 'quota', errorMessage: 'no quota', operation: 'rule', rse: 'SITE_A' }));
    expect(out[0]).toBe('\r\x1b[2K8 in flight, 1/1000 done, 476.8 MiB at 50.0 MB/s, ETA 2 h 47 min');
    expect(out[1]).toContain('3/1000 done');
    expect(out[2]?.startsWith('\r\x1b[2KFAIL ')).toBe(true);
    expect(out[2]).toMatch(/ rule \d+ms quota: no quota\n$/);
    expect(out[3]).toContain('3/1000 done'); // the status line comes back under the failure
    expect(out).toHaveLength(4);
  });

  it('prints plain lines without a TTY: one per result and a status line every 10 s', () => {
    const out: string[] = [];
    let t = 0;
    const sink = new ProgressSink((s) => out.push(s), false, () => t);
    sink.onProgress(snap());
    sink.onResult(opResult({ operation: 'upload', rse: 'SITE_B' }));
    t = 5_000;
    sink.onProgress(snap());
    t = 10_001;
    sink.onProgress(snap({ expected: null }));
    expect(out).toHaveLength(3);
    expect(out[0]).toBe('progress: 8 in flight, 250/1000 done, 476.8 MiB at 50.0 MB/s, ETA 30.0 s\n');
    expect(out[1]).toMatch(/^ok {3}.* SITE_B upload \d+ms\n$/);
    expect(out[2]).toBe('progress: 8 in flight, 250 done, 476.8 MiB at 50.0 MB/s\n');
    expect(out.join('')).not.toContain('\x1b');
  });
});
