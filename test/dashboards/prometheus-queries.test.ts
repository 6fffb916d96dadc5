import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsSink } from '../../src/metrics/registry.js';
import { serveMetrics } from '../../src/metrics/server.js';
import { DASHBOARDS } from '../../src/dashboards/index.js';
import { startDaemon, type Daemon } from '../../src/jobs/daemon.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { startTestLake } from '../integration/lake-fixture.js';
import { instantQuery, startPrometheus, type Running } from '../metrics/prom-tools.js';

const PLAN = `name: dashboards-it
lake: { sandbox: true }
experiments:
  - name: DASH
    tests:
      - name: upload
        scenario: upload
        auth: [x509, token, userpass]
        rses: { names: [SANDBOX-FAST] }
        params: { size: 2048 }
        schedule: { cron: "*/2 * * * * *" }
      - name: sweep
        scenario: replicate
        auth: [x509]
        rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
        params: { size: 4096, poll_seconds: 0.2, timeout_seconds: 30 }
        schedule: { cron: "*/3 * * * * *", cycle: { param: size, values: [4096, 65536] } }
      - name: broken
        scenario: upload
        auth: [token]
        rses: { names: [NO-SUCH-RSE] }
        params: { size: 1024 }
        schedule: { cron: "*/2 * * * * *", offset_seconds: 1 }
      - name: embargo
        scenario: embargo
        rses: { names: [SANDBOX-FAST] }
        params: { outsider: { token_file: outsider.token } }
`;

/** Grafana's template variables as a dashboard with every "All" selected would send them. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '5m')
    .replace(/\$(experiment|rse|src_rse|dst_rse|auth_method|agent)\b/g, '.*');
}

describe('every dashboard query returns data from a daemon scraped by a real Prometheus', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let dir: string;
  let daemon: Daemon;
  let prometheus: Running;
  let coordinator: Awaited<ReturnType<typeof serveMetrics>>;

  beforeAll(async () => {
    env = await startTestLake();
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-dash-'));
    await writeFile(join(dir, 'plan.yaml'), PLAN);
    daemon = await startDaemon({
      planFile: join(dir, 'plan.yaml'), env: env.lake.env, uid: 4_000_004, registry: builtinScenarios(),
      dbPath: join(dir, 'r.db'), port: 0, log: () => {}, watch: false,
    });
    // The agent-health series come from the coordinator: its exposition, with one agent it watches.
    const watched = new MetricsSink({ coordinator: true });
    for (const key of ['agentUp', 'agentHeartbeat', 'agentClockOffset'] as const) watched.gauge(key).set({ agent: 'site-a' }, 1);
    coordinator = await serveMetrics(watched, 0);
    prometheus = await startPrometheus([{ job: 'lakeprobe', hostPort: new URL(daemon.url).host }, { job: 'coordinator', hostPort: new URL(coordinator.url).host }]);
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    await coordinator?.close();
    await daemon?.stop();
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers each panel query of each dashboard with at least one series', async () => {
    const queries = DASHBOARDS.flatMap((d) => d.panels.flatMap((p) => p.queries.map((q) => ({ where: `${d.uid} / ${p.title}`, expr: substitute(q.expr) }))));
    const variables = DASHBOARDS.flatMap((d) => d.variables.map((v) => ({ where: `${d.uid} / $${v.name}`, expr: v.query.replace(/^label_values\((\w+), \w+\)$/, '$1') })));
    const all = [...queries, ...variables];
    expect(all.length).toBeGreaterThan(30);
    // Each query is asked again only until it has answered once: on a busy machine the first
    // runs (and so their series) can take minutes, and re-asking the answered ones only adds load.
    const deadline = Date.now() + 150_000;
    let pending = all;
    for (;;) {
      const still: typeof all = [];
      for (const q of pending) if ((await instantQuery(prometheus.url, q.expr)).length === 0) still.push(q);
      pending = still;
      if (pending.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const missing = pending.map((q) => `${q.where}: ${q.expr}`);
    expect(missing).toEqual([]);
  }, 240_000);
});
