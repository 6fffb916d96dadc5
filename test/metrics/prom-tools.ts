import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';
export const PUSHGATEWAY = '/usr/bin/prometheus-pushgateway';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Waits until the URL answers 2xx, for at most `ms`. */
export async function waitReady(url: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up within ${ms} ms`);
}

export interface Running { url: string; stop(): Promise<void> }

function stopper(child: ChildProcess, dir?: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}

/** A Pushgateway on loopback that persists nothing. */
export async function startPushgateway(): Promise<Running> {
  if (!existsSync(PUSHGATEWAY)) throw new Error(`${PUSHGATEWAY} missing: run scripts/install-debian-packages.sh`);
  const port = await freePort();
  const child = spawn(PUSHGATEWAY, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/-/ready`);
  return { url, stop: stopper(child) };
}

/** A Prometheus on loopback with its own temporary storage, scraping `targets` every second. */
export async function startPrometheus(targets: { job: string; hostPort: string; metricsPath?: string; honorLabels?: boolean }[]): Promise<Running> {
  if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} missing: run scripts/install-debian-packages.sh`);
  const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-prom-'));
  const config = [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    'scrape_configs:',
    ...targets.map((t) => `  - { job_name: ${t.job}, honor_labels: ${t.honorLabels ?? false}, metrics_path: ${t.metricsPath ?? '/metrics'}, static_configs: [ { targets: ['${t.hostPort}'] } ] }`),
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), `${config}\n`);
  const port = await freePort();
  const child = spawn(PROMETHEUS, [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/-/ready`);
  return { url, stop: stopper(child, dir) };
}

/** Runs an instant query; returns the result vector. */
export async function instantQuery(prometheusUrl: string, query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`query ${query} failed: ${body.error}`);
  return body.data?.result ?? [];
}
