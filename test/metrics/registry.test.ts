import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { METRICS, type MetricSpec } from '../../src/metrics/catalogue.js';
import { MetricsSink } from '../../src/metrics/registry.js';
import { opResult } from '../helpers/op-result.js';

const MiB = 1024 * 1024;

const result = (overrides: Partial<OpResult>): OpResult =>
  opResult({ bytes: MiB, sizeClass: '1MiB', durationMs: 2000, ...overrides });

interface Sample { name: string; labels: Record<string, string>; value: number }

/** Parses the sample lines of a Prometheus text exposition. */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample with this name whose labels include `match`; undefined when none. */
function value(text: string, name: string, match: Record<string, string> = {}): number | undefined {
  const found = samples(text).filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(match)}`);
  return found[0]?.value;
}

const replication = (overrides: Partial<OpResult>): OpResult => result({
  test: 'rep', scenario: 'replicate', operation: 'replicate', rse: 'SITE_B', srcRse: 'SITE_A', dstRse: 'SITE_B',
  protocol: 'https-tpc', ruleId: 'rule-1', requestId: 'req-1', ...overrides,
});

const OP = { experiment: 'ska', test: 'upload', operation: 'upload', rse: 'SITE_A', protocol: 'davs', auth_method: 'x509' };

const endOf = (runId: string) => [{ runId, planName: 'p', planFile: 'p.yaml', startedAt: '2024-03-01T10:00:00.000Z' }, { total: 1, failed: 0, finishedAt: '2024-03-01T10:01:00.000Z' }] as const;

/** The exposition after one run (run-1) that produced these results. */
async function exposition(results: OpResult[]): Promise<string> {
  const sink = new MetricsSink();
  for (const r of results) sink.onResult(r);
  sink.onEnd(...endOf('run-1'));
  return sink.metrics();
}

describe('MetricsSink', () => {
  const uploads = [
    result({ durationMs: 2000 }),
    result({ durationMs: 1000 }),
    result({ durationMs: 500, outcome: 'failed', errorClass: 'auth_denied', errorMessage: '403' }),
  ];

  it('counts operations by outcome with error_class "none" on success', async () => {
    const text = await exposition(uploads);
    expect(value(text, 'lakeprobe_operations_total', { ...OP, outcome: 'ok', error_class: 'none' })).toBe(2);
    expect(value(text, 'lakeprobe_operations_total', { ...OP, outcome: 'failed', error_class: 'auth_denied' })).toBe(1);
    expect(samples(text).filter((s) => s.name === 'lakeprobe_operations_total')).toHaveLength(2);
  });

  it('labels operations without an RSE as rse="none"', async () => {
    const text = await exposition([result({ operation: 'auth', rse: '', protocol: 'rucio', bytes: 0, sizeClass: '0B' })]);
    expect(value(text, 'lakeprobe_operations_total', { operation: 'auth', rse: 'none', protocol: 'rucio' })).toBe(1);
  });

  it('observes every duration in seconds, failed ones included', async () => {
    const text = await exposition(uploads);
    const h = { ...OP, size_class: '1MiB' };
    expect(value(text, 'lakeprobe_operation_duration_seconds_count', h)).toBe(3);
    expect(value(text, 'lakeprobe_operation_duration_seconds_sum', h)).toBe(3.5);
    expect(value(text, 'lakeprobe_operation_duration_seconds_bucket', { ...h, le: '0.25' })).toBe(0);
    expect(value(text, 'lakeprobe_operation_duration_seconds_bucket', { ...h, le: '0.5' })).toBe(1);
    expect(value(text, 'lakeprobe_operation_duration_seconds_bucket', { ...h, le: '1' })).toBe(2);
    expect(value(text, 'lakeprobe_operation_duration_seconds_bucket', { ...h, le: '2.5' })).toBe(3);
    expect(value(text, 'lakeprobe_operation_duration_seconds_bucket', { ...h, le: '+Inf' })).toBe(3);
  });

  it('counts bytes only for successful data-moving operations', async () => {
    const text = await exposition([
      ...uploads,
      result({ operation: 'download', bytes: 4 * MiB, sizeClass: '4MiB' }),
      result({ operation: 'verify', bytes: MiB }),
      result({ operation: 'register', bytes: MiB, protocol: 'rucio' }),
      result({ operation: 'download', rse: 'SITE_B', bytes: 0, sizeClass: '0B' }),
    ]);
    expect(value(text, 'lakeprobe_transferred_bytes_total', OP)).toBe(2 * MiB);
    expect(value(text, 'lakeprobe_transferred_bytes_total', { ...OP, operation: 'download' })).toBe(4 * MiB);
    const counted = samples(text).filter((s) => s.name === 'lakeprobe_transferred_bytes_total');
    expect(counted.map((s) => s.labels.operation).sort()).toEqual(['download', 'upload']);
  });

  it('keeps the throughput of the most recent successful transfer', async () => {
    const text = await exposition(uploads);
    // The failed upload is last but moved nothing: the 1 s upload of 1 MiB sets the gauge.
    expect(value(text, 'lakeprobe_last_throughput_bytes_per_second', { ...OP, size_class: '1MiB' })).toBe(MiB);
  });

  it('records when the last operation of each kind finished, per outcome', async () => {
    const text = await exposition(uploads);
    // 2024-03-01T10:00:00Z is 1709287200; the last ok upload took 1 s, the failed one 0.5 s.
    expect(value(text, 'lakeprobe_last_operation_timestamp_seconds', { ...OP, outcome: 'ok' })).toBe(1_709_287_201);
    expect(value(text, 'lakeprobe_last_operation_timestamp_seconds', { ...OP, outcome: 'failed' })).toBe(1_709_287_200.5);
  });

  it('reports failed operations per test, 0 for a test without failures', async () => {
    const text = await exposition([
      ...uploads,
      result({ test: 'rules', operation: 'rule', outcome: 'failed', errorClass: 'quota' }),
      result({ test: 'rules', operation: 'rule', outcome: 'failed', errorClass: 'quota' }),
      result({ test: 'clean' }),
    ]);
    expect(value(text, 'lakeprobe_test_failed_operations', { experiment: 'ska', test: 'upload' })).toBe(1);
    expect(value(text, 'lakeprobe_test_failed_operations', { experiment: 'ska', test: 'rules' })).toBe(2);
    expect(value(text, 'lakeprobe_test_failed_operations', { experiment: 'ska', test: 'clean' })).toBe(0);
  });

  it('declares every metric of the catalogue with its help and type, even before any result', async () => {
    const text = await new MetricsSink({ daemon: true }).metrics();
    const coordinator = await new MetricsSink({ coordinator: true }).metrics();
    for (const m of Object.values(METRICS) as MetricSpec[]) {
      if (m.source === 'coordinator') {
        expect(coordinator).toContain(`# HELP ${m.name} ${m.help}\n`);
        expect(text).not.toContain(`# TYPE ${m.name} `);
        continue;
      }
      expect(text).toContain(`# HELP ${m.name} ${m.help}\n`);
      expect(text).toContain(`# TYPE ${m.name} ${m.type}\n`);
    }
    // Only the unlabelled daemon gauges have a sample (0) before anything happened.
    expect(samples(text).filter((s) => Object.keys(s.labels).length > 0)).toEqual([]);
  });

  it('leaves the daemon-only metrics out of a one-shot run', async () => {
    const text = await new MetricsSink().metrics();
    for (const m of Object.values(METRICS) as MetricSpec[]) {
      expect(text.includes(`# TYPE ${m.name} `), m.name).toBe(m.source !== 'daemon' && m.source !== 'coordinator');
    }
  });

  it('uses exactly the label names the catalogue declares', async () => {
    const sink = new MetricsSink({ daemon: true });
    sink.declareTests([{ experiment: 'ska', test: 'embargo', embargo: true, rses: ['SITE_A'] }]);
    const run = { runId: 'run-1', planName: 'p', planFile: 'p.yaml', startedAt: '2024-03-01T10:00:00.000Z' };
    const transfer = { queuedAt: '2024-03-01T10:00:00.000Z', startedAt: '2024-03-01T10:00:01.000Z', endedAt: '2024-03-01T10:00:03.000Z', failedAttempts: 1, seenIn: 'history' as const };
    for (const r of [...uploads, result({ test: 'rules', outcome: 'failed', errorClass: 'quota' }), replication({ transfer }), result({ test: 'cache', operation: 'access', check: { kind: 'cache', target: 'user.probe:f', cache: 'hit' } })]) sink.onResult(r);
    sink.onEnd(run, { total: 5, failed: 1, finishedAt: '2024-03-01T10:01:00.000Z' });
    sink.setCredentialExpiry('x509', new Date('2024-03-02T00:00:00Z'), new Date('2024-03-01T12:00:00Z'));
    sink.setCredentialRenewals([{ authMethod: 'token', audience: 'rucio', at: new Date('2024-03-01T09:00:00Z') }]);
    sink.setCredentialRenewalOk('x509', true);
    sink.counter('credentialRenewalFailures').inc({ auth_method: 'x509' });
    sink.gauge('nextRun').set({ experiment: 'ska', test: 'upload' }, 1);
    for (const key of ['reloadOk', 'reloadTime', 'heartbeat', 'storeBacklog', 'storeUnreachableSince'] as const) sink.gauge(key).set(1);
    const text = await sink.metrics();
    for (const m of (Object.values(METRICS) as MetricSpec[]).filter((x) => x.source !== 'coordinator')) {
      const mine = samples(text).filter((s) => s.name === m.name || s.name.startsWith(`${m.name}_`));
      expect(mine.length, m.name).toBeGreaterThan(0);
      for (const s of mine) {
        const names = Object.keys(s.labels).filter((l) => l !== 'le');
        expect(names.sort(), s.name).toEqual([...m.labels].sort());
      }
    }
  });

  it("labels every series of an agent with its name, link series included, and the coordinator's by the agent watched", async () => {
    const sink = new MetricsSink({ daemon: true, agent: 'site-a' });
    for (const r of [...uploads, replication({})]) sink.onResult(r);
    sink.gauge('heartbeat').set(1);
    const all = samples(await sink.metrics());
    expect(all.some((x) => x.name.startsWith('lakeprobe_link_'))).toBe(true);
    expect(all.length).toBeGreaterThan(5);
    for (const x of all) expect(x.labels.agent, x.name).toBe('site-a');
    const coordinator = new MetricsSink({ coordinator: true });
    coordinator.gauge('agentUp').set({ agent: 'site-c' }, 0);
    const watched = samples(await coordinator.metrics());
    expect(watched).toEqual([expect.objectContaining({ name: 'lakeprobe_agent_up', labels: { agent: 'site-c' } })]);
  });

  it('exports a credential lifetime only when its start is known, so expiry alerts can scale to it', async () => {
    const sink = new MetricsSink();
    sink.setCredentialExpiry('x509', new Date('2024-03-02T00:00:00Z'), new Date('2024-03-01T12:00:00Z'));
    sink.setCredentialExpiry('token', new Date('2024-03-02T00:00:00Z'));
    const text = await sink.metrics();
    expect(text).toMatch(/^lakeprobe_credential_lifetime_seconds\{auth_method="x509"\} 43200$/m);
    expect(text).not.toMatch(/^lakeprobe_credential_lifetime_seconds\{auth_method="token"\}/m);
    sink.setCredentialExpiry('x509', null);
    expect(await sink.metrics()).not.toMatch(/^lakeprobe_credential_lifetime_seconds\{/m);
  });

  it('sets the failed-operations gauge to each completed run of a test instead of adding up', async () => {
    const sink = new MetricsSink();
    sink.onResult(result({ runId: 'r1', outcome: 'failed', errorClass: 'quota' }));
    sink.onResult(result({ runId: 'r1', outcome: 'failed', errorClass: 'quota' }));
    sink.onEnd(...endOf('r1'));
    expect(value(await sink.metrics(), 'lakeprobe_test_failed_operations', { test: 'upload' })).toBe(2);
    // While the next run is under way the gauge still shows the last completed one.
    sink.onResult(result({ runId: 'r2' }));
    expect(value(await sink.metrics(), 'lakeprobe_test_failed_operations', { test: 'upload' })).toBe(2);
    sink.onEnd(...endOf('r2'));
    expect(value(await sink.metrics(), 'lakeprobe_test_failed_operations', { test: 'upload' })).toBe(0);
  });

  it('sets success, last-run time and duration of each test the run touched', async () => {
    const sink = new MetricsSink();
    const run = { runId: 'r1', planName: 'p', planFile: 'p.yaml', startedAt: '2024-03-01T10:00:00.000Z' };
    sink.onResult(result({ runId: 'r1' }));
    sink.onResult(result({ runId: 'r1', test: 'bad', outcome: 'failed', errorClass: 'tls' }));
    sink.onEnd(run, { total: 2, failed: 1, finishedAt: '2024-03-01T10:00:30.000Z' });
    const text = await sink.metrics();
    expect(value(text, 'lakeprobe_test_success', { test: 'upload' })).toBe(1);
    expect(value(text, 'lakeprobe_test_success', { test: 'bad' })).toBe(0);
    expect(value(text, 'lakeprobe_test_last_run_timestamp_seconds', { test: 'bad' })).toBe(1_709_287_230);
    expect(value(text, 'lakeprobe_test_last_run_duration_seconds', { test: 'bad' })).toBe(30);
  });

  it('counts failures by error class and severity, and embargo violations per RSE', async () => {
    const sink = new MetricsSink();
    sink.declareTests([{ experiment: 'ska', test: 'emb', embargo: true, rses: ['SITE_A', 'SITE_B'] }]);
    sink.onResult(result({ test: 'emb', scenario: 'embargo', operation: 'access', outcome: 'failed', errorClass: 'embargo_violation', severity: 'critical' }));
    const text = await sink.metrics();
    expect(value(text, 'lakeprobe_failures_total', { test: 'emb', error_class: 'embargo_violation', severity: 'critical', rse: 'SITE_A' })).toBe(1);
    expect(value(text, 'lakeprobe_embargo_violations_total', { test: 'emb', rse: 'SITE_A' })).toBe(1);
    expect(value(text, 'lakeprobe_embargo_violations_total', { test: 'emb', rse: 'SITE_B' })).toBe(0);
  });

  it('derives per-link transfers, rule time to OK and transfer duration from replicate results', async () => {
    const text = await exposition([
      replication({ durationMs: 4000 }),
      replication({ durationMs: 8000, requestId: '' }),
      replication({ outcome: 'failed', errorClass: 'rule_timeout' }),
    ]);
    const link = { src_rse: 'SITE_A', dst_rse: 'SITE_B', size_class: '1MiB' };
    expect(value(text, 'lakeprobe_link_transfers_total', { ...link, outcome: 'ok' })).toBe(2);
    expect(value(text, 'lakeprobe_link_transfers_total', { ...link, outcome: 'failed' })).toBe(1);
    expect(value(text, 'lakeprobe_rule_time_to_ok_seconds_count', { dst_rse: 'SITE_B', size_class: '1MiB' })).toBe(2);
    expect(value(text, 'lakeprobe_transfer_duration_seconds_sum', link)).toBe(4);
    expect(value(text, 'lakeprobe_link_transferred_bytes_total', link)).toBe(2 * MiB);
    expect(value(text, 'lakeprobe_link_throughput_bytes_per_second', link)).toBe(MiB / 8);
  });

  it('counts a rule-level result (protocol rucio) as no transfer and no bytes: its files are the transfers beside it', async () => {
    const text = await exposition([
      replication({ durationMs: 2000 }),
      replication({ durationMs: 3000, requestId: 'req-2' }),
      replication({ protocol: 'rucio', requestId: '', bytes: 2 * MiB, sizeClass: '2MiB', durationMs: 3000 }),
    ]);
    const link = { src_rse: 'SITE_A', dst_rse: 'SITE_B', size_class: '1MiB' };
    expect(value(text, 'lakeprobe_link_transfers_total', { ...link, outcome: 'ok' })).toBe(2);
    expect(value(text, 'lakeprobe_link_transfers_total', { src_rse: 'SITE_A', dst_rse: 'SITE_B', size_class: '2MiB', outcome: 'ok' })).toBeUndefined();
    expect(value(text, 'lakeprobe_link_transferred_bytes_total', link)).toBe(2 * MiB);
    expect(value(text, 'lakeprobe_transferred_bytes_total', { experiment: 'ska', test: 'rep', operation: 'replicate', rse: 'SITE_B', protocol: 'https-tpc', auth_method: 'x509' })).toBe(2 * MiB);
    expect(value(text, 'lakeprobe_transferred_bytes_total', { experiment: 'ska', test: 'rep', operation: 'replicate', rse: 'SITE_B', protocol: 'rucio', auth_method: 'x509' })).toBeUndefined();
  });

  it('keeps each sink on its own registry, none on the global one', async () => {
    const a = new MetricsSink();
    const b = new MetricsSink();
    a.onResult(result({}));
    a.onResult(result({}));
    b.onResult(result({}));
    expect(value(await a.metrics(), 'lakeprobe_operations_total', OP)).toBe(2);
    expect(value(await b.metrics(), 'lakeprobe_operations_total', OP)).toBe(1);
    expect(value(await new MetricsSink().metrics(), 'lakeprobe_operations_total', OP)).toBeUndefined();
    expect(a.registry).not.toBe(b.registry);
    expect(a.registry).not.toBe(globalRegistry);
    expect(globalRegistry.getSingleMetric(METRICS.operations.name)).toBeUndefined();
  });
});
