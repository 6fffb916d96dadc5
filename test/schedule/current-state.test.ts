import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { ERROR_CLASSES } from '../../src/engine/taxonomy.js';
import { CurrentState } from '../../src/schedule/current-state.js';
import { renderStatusPage } from '../../src/jobs/status-page.js';
import { RecentHistory } from '../../src/schedule/history.js';
import { opResult } from '../helpers/op-result.js';

const T0 = Date.parse('2026-12-07T10:00:00.000Z');
/** A result that ends `s` seconds after T0 (100 ms long). */
const at = (s: number, overrides: Partial<OpResult>): OpResult =>
  opResult({ start: new Date(T0 + s * 1000 - 100).toISOString(), durationMs: 100, ...overrides });
const iso = (s: number): string => new Date(T0 + s * 1000).toISOString();
const refused = { outcome: 'failed', severity: 'error', errorClass: 'connection_refused', errorMessage: 'PUT https://se-a:443/f: connect ECONNREFUSED 127.0.0.1:443' } as const;

describe('what is failing now', () => {
  it('says an RSE fails since the first failure of its streak and is OK again once every failing operation succeeded', () => {
    const now = new CurrentState();
    for (const rse of ['SITE_A', 'SITE_B']) now.onResult(at(1, { rse }));
    now.onResult(at(10, { rse: 'SITE_A', ...refused }));
    now.onResult(at(11, { rse: 'SITE_A', operation: 'download', ...refused }));
    now.onResult(at(12, { rse: 'SITE_A', operation: 'download', outcome: 'skipped' }));
    now.onResult(at(20, { rse: 'SITE_A', ...refused }));
    now.onResult(at(21, { rse: 'SITE_B' }));
    let view = now.view();
    expect(view.rses.map((r) => [r.subject, r.state, r.since])).toEqual([['SITE_A', 'failing', iso(10)], ['SITE_B', 'ok', iso(1)]]);
    expect(view.rses[0]).toMatchObject({
      failures: 3, errorClass: 'connection_refused', service: 'storage', remedy: ERROR_CLASSES.connection_refused.remedy,
      failing: [{ what: 'ska/upload upload davs x509', errorClass: 'connection_refused', at: iso(20) },
        { what: 'ska/upload download davs x509', errorClass: 'connection_refused', at: iso(11) }],
    });
    // The storage of one RSE failing is not the credential's failure.
    expect(view.authMethods.map((m) => [m.subject, m.state])).toEqual([['x509', 'ok']]);

    now.onResult(at(30, { rse: 'SITE_A' }));
    expect(now.view().rses[0]).toMatchObject({ subject: 'SITE_A', state: 'failing', since: iso(10) });
    now.onResult(at(31, { rse: 'SITE_A', operation: 'download' }));
    view = now.view();
    expect(view.rses.map((r) => [r.subject, r.state, r.since])).toEqual([['SITE_A', 'ok', iso(31)], ['SITE_B', 'ok', iso(1)]]);
    // A new streak starts at its own first failure.
    now.onResult(at(40, { rse: 'SITE_A', ...refused }));
    expect(now.view().rses[0]).toMatchObject({ state: 'failing', since: iso(40), failures: 1 });
  });

  it('fails an auth method on its login or a refusal of its credential, with the remedy of the service that refused', () => {
    const now = new CurrentState();
    now.onResult(at(1, { operation: 'auth', rse: '', protocol: 'rucio', authMethod: 'token' }));
    now.onResult(at(2, { operation: 'auth', rse: '', protocol: 'rucio', authMethod: 'x509' }));
    now.onResult(at(5, {
      operation: 'auth', rse: '', protocol: 'rucio', authMethod: 'token', outcome: 'failed', severity: 'error', errorClass: 'timeout',
      errorMessage: 'catalogue 127.0.0.1:8443: GET /auth/validate: no response within 20000 ms after the request was sent (lake.timeouts.first_byte)',
    }));
    now.onResult(at(6, {
      operation: 'rule', protocol: 'rucio', outcome: 'failed', severity: 'error', errorClass: 'auth_denied',
      errorMessage: 'DELETE /rules/abc: 401 AccessDenied: Account probe can not remove this replication rule.',
    }));
    const view = now.view();
    expect(view.authMethods.map((m) => [m.subject, m.state, m.since, m.errorClass, m.service])).toEqual([
      ['token', 'failing', iso(5), 'timeout', 'catalogue'],
      ['x509', 'failing', iso(6), 'auth_denied', 'catalogue'],
    ]);
    expect(view.authMethods[0]?.remedy).toMatch(/catalogue .*lake\.timeouts/);
    expect(view.authMethods[0]?.remedy).not.toBe(ERROR_CLASSES.timeout.remedy);
    expect(view.authMethods[1]?.remedy).toMatch(/Rucio admins/);
    // Another identity's login is its credential's, not the session's.
    now.onResult(at(8, { operation: 'auth', rse: '', protocol: 'rucio', authMethod: 'x509', identityRole: 'nonmember', outcome: 'failed', severity: 'error', errorClass: 'auth_expired', errorMessage: 'proxy expired' }));
    expect(now.view().authMethods.map((m) => [m.subject, m.state, m.errorClass])).toEqual([
      ['token', 'failing', 'timeout'], ['x509', 'failing', 'auth_denied'], ['x509 as nonmember', 'failing', 'auth_expired'],
    ]);
    // The same class at the storage keeps the storage's remedy.
    now.onResult(at(7, { authMethod: 'token', outcome: 'failed', severity: 'error', errorClass: 'auth_denied', errorMessage: 'PUT https://se-a:443/f: 403 Forbidden' }));
    expect(now.view().authMethods[0]).toMatchObject({ subject: 'token', service: 'storage', remedy: ERROR_CLASSES.auth_denied.remedy });
  });

  it("gives a catalogue's 503 the catalogue's remedy, not the RSE availability flags, now and in the recent failures", () => {
    const history = new RecentHistory();
    history.onResult(at(3, {
      operation: 'rule', protocol: 'rucio', outcome: 'failed', severity: 'error', errorClass: 'service_unavailable',
      errorMessage: 'POST /rules/: 503 HTTP error: <html><head><title>503 Service Temporarily Unavailable</title></head></html>',
    }));
    const rse = history.current.view().rses[0];
    expect(rse).toMatchObject({ subject: 'SITE_A', state: 'failing', service: 'catalogue' });
    expect(rse?.remedy).toMatch(/catalogue/);
    expect(rse?.remedy).not.toMatch(/availability flags/);
    expect(history.failures[0]?.remedy).toBe(rse?.remedy);
    history.onResult(at(4, { outcome: 'failed', severity: 'error', errorClass: 'service_unavailable', errorMessage: 'PUT https://se-a:443/f: 503 Service Unavailable' }));
    expect(history.failures[0]?.remedy).toBe(ERROR_CLASSES.service_unavailable.remedy);
  });

  it('opens the status page with the state per RSE and per auth method, before the details', () => {
    const history = new RecentHistory();
    history.begin({ runId: 'run-1', experiment: 'ska', test: 'upload', startedAt: iso(0), operations: 0, failed: 0, outcome: 'running' });
    history.onResult(at(1, { rse: 'SITE_B' }));
    history.onResult(at(10, { rse: 'SITE_A', ...refused }));
    const html = renderStatusPage({
      plan: 'p', planFile: 'p.yaml', startedAt: new Date(T0), now: new Date(T0 + 70_000), reload: { ok: true, at: null, message: '' },
      next: [], runs: history.runs, failures: history.failures, credentials: [], stopping: false, refreshSeconds: 10,
      current: history.current.view(),
    });
    const order = ['id="now-summary"', 'id="now-rses"', 'id="now-auth"', '<h2>Credentials</h2>', 'id="runs"', 'id="failures"'].map((m) => html.indexOf(m));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(html).toContain(`Failing now: SITE_A (connection_refused since ${iso(10)})`);
    expect(html).toContain(`<tr class="failed" data-subject="SITE_A" data-state="failing" data-since="${iso(10)}">`);
    expect(html).toContain(`<td>${iso(10)} (1 min ago)</td>`);
    expect(html).toContain(`<tr class="passed" data-subject="SITE_B" data-state="ok" data-since="${iso(1)}">`);
  });
});
