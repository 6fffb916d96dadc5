// The documented Prometheus setup scrapes every agent: the scrape job of docs/prometheus-agents.yml
// with a target file shaped as docs/agents-file-sd.yml, against two agents' real /metrics.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { MetricsSink } from '../../src/metrics/registry.js';
import { serveMetrics } from '../../src/metrics/server.js';
import { freePort, instantQuery, PROMETHEUS, PROMTOOL, waitReady } from '../metrics/prom-tools.js';

const OP = { experiment: 'E', test: 't', operation: 'upload', rse: 'A', protocol: 'davs', auth_method: 'token', outcome: 'ok', error_class: 'none' };

describe('Prometheus file-SD example for agents', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => { for (const c of cleanup.reverse()) await c(); });

  it('scrapes every agent listed, each series labelled with its agent', async () => {
    if (!existsSync(PROMETHEUS) || !existsSync(PROMTOOL)) throw new Error('prometheus / promtool missing: run scripts/install-debian-packages.sh');
    const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-filesd-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const targets: string[] = [];
    for (const agent of ['site-a', 'site-b']) {
      const sink = new MetricsSink({ agent });
      sink.counter('operations').inc(OP, 3);
      const server = await serveMetrics(sink, 0);
      cleanup.push(() => server.close());
      targets.push(new URL(server.url).host);
    }
    // The example's target file, with this machine's agents in place of the example hosts.
    const example = parse(await readFile('docs/agents-file-sd.yml', 'utf8')) as { targets: string[]; labels: Record<string, string> }[];
    const agents = example.filter((g) => g.labels.role === 'agent').slice(0, 2).map((g, i) => ({ ...g, targets: [targets[i]] }));
    await writeFile(join(dir, 'agents.yml'), stringify(agents));
    const config = (await readFile('docs/prometheus-agents.yml', 'utf8'))
      .replace('/etc/prometheus/lakeprobe-agents.yml', join(dir, 'agents.yml'))
      .replace('/etc/prometheus/lakeprobe-alerts.yaml', join(process.cwd(), 'dashboards/lakeprobe-alerts.yaml'))
      .replace('scrape_interval: 30s', 'scrape_interval: 1s');
    await writeFile(join(dir, 'prometheus.yml'), config);
    const check = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const c = spawn(PROMTOOL, ['check', 'config', join(dir, 'prometheus.yml')]);
      let out = '';
      c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      c.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      c.on('close', (code) => resolve({ code, out }));
    });
    expect(check.code, check.out).toBe(0);
    const port = await freePort();
    const prom = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    cleanup.push(async () => { if (prom.exitCode === null) { const gone = new Promise((r) => prom.once('exit', r)); prom.kill('SIGTERM'); await gone; } });
    const url = `http://127.0.0.1:${port}`;
    await waitReady(`${url}/-/ready`, 60_000);
    const deadline = Date.now() + 60_000;
    let byAgent: { metric: Record<string, string>; value: [number, string] }[] = [];
    while (Date.now() < deadline) {
      byAgent = await instantQuery(url, 'sum by (agent, site) (lakeprobe_operations_total{job="lakeprobe"})');
      if (byAgent.length === 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(byAgent.map((r) => [r.metric.agent, r.metric.site, r.value[1]]).sort()).toEqual([['site-a', 'IDIA', '3'], ['site-b', 'AARNET', '3']]);
  }, 120_000);
});
