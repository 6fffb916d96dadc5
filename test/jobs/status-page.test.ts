import { describe, expect, it } from 'vitest';
import { RecentHistory } from '../../src/schedule/history.js';
import { remaining, renderStatusPage } from '../../src/jobs/status-page.js';
import { opResult } from '../helpers/op-result.js';

describe('status page data', () => {
  it('keeps a bounded history of runs and failures, newest first', () => {
    const h = new RecentHistory(5);
    for (let i = 0; i < 12; i++) {
      h.begin({ runId: `r${i}`, experiment: 'E', test: 't', startedAt: '', operations: 0, failed: 0, outcome: 'running' });
      h.onResult(opResult({ runId: `r${i}`, outcome: 'failed', errorClass: 'tls', severity: 'error', errorMessage: `m${i}` }));
      h.end(`r${i}`, { total: 1, failed: 1, finishedAt: '2024-01-01T00:00:00Z' });
    }
    expect(h.runs.map((r) => r.runId)).toEqual(['r11', 'r10', 'r9', 'r8', 'r7']);
    expect(h.runs[0]).toMatchObject({ operations: 1, failed: 1, outcome: 'failed' });
    expect(h.failures.map((f) => f.message)).toEqual(['m11', 'm10', 'm9', 'm8', 'm7']);
    expect(h.failures[0]?.remedy).toMatch(/X509_CERT_DIR/);
  });

  it('escapes whatever a server put in an error message', () => {
    const h = new RecentHistory();
    h.begin({ runId: 'r', experiment: 'E', test: 't', startedAt: '', operations: 0, failed: 0, outcome: 'running' });
    h.onResult(opResult({ runId: 'r', outcome: 'failed', errorClass: 'server_error', severity: 'error', errorMessage: '<script>alert(1)</script>' }));
    const html = renderStatusPage({
      plan: 'p', planFile: 'p.yaml', startedAt: new Date(0), now: new Date(0), reload: { ok: true, at: null, message: '' },
      next: [], runs: h.runs, failures: h.failures, credentials: [], stopping: false, refreshSeconds: 10,
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('<meta http-equiv="refresh" content="10">');
  });

  it('says how long a credential remains, or how long ago it expired', () => {
    const now = new Date('2024-01-01T00:00:00Z');
    expect(remaining(new Date('2024-01-02T03:00:00Z'), now)).toBe('1 d 3 h');
    expect(remaining(new Date('2024-01-01T02:30:00Z'), now)).toBe('2 h 30 min');
    expect(remaining(new Date('2023-12-31T23:55:00Z'), now)).toBe('expired 5 min ago');
  });

  it('says whether the shared results store is reachable, and since when it is not', () => {
    const view = {
      plan: 'p', planFile: 'p.yaml', startedAt: new Date(0), now: new Date('2024-01-01T00:01:30Z'), reload: { ok: true, at: null, message: '' },
      next: [], runs: [], failures: [], credentials: [], stopping: false, refreshSeconds: 10,
    };
    expect(renderStatusPage(view)).not.toContain('id="store"');
    const up = renderStatusPage({ ...view, store: { target: 'postgresql://lp@db:5432/lake', backlog: 3, unreachableSince: null, lastError: '', shipped: 9 } });
    expect(up).toContain('<p id="store" class="passed">results store postgresql://lp@db:5432/lake: reachable, 3 journal entries to ship</p>');
    const away = renderStatusPage({ ...view, store: {
      target: 'postgresql://lp@db:5432/lake', backlog: 120, unreachableSince: '2024-01-01T00:00:00.000Z', lastError: 'connect ECONNREFUSED', shipped: 9,
    } });
    expect(away).toMatch(/<p id="store" class="failed">results store postgresql:\/\/lp@db:5432\/lake: UNREACHABLE since 2024-01-01T00:00:00.000Z \(90 s\); 120 journal entries kept locally/);
  });
});
