import { Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsSink } from '../../src/metrics/registry.js';
import { serveMetrics, type MetricsServer } from '../../src/metrics/server.js';
import { opResult } from '../helpers/op-result.js';

describe('serveMetrics', () => {
  const sink = new MetricsSink();
  let server: MetricsServer;

  beforeAll(async () => {
    sink.onResult(opResult({ operation: 'auth', rse: '', protocol: 'rucio', authMethod: 'token', durationMs: 12 }));
    server = await serveMetrics(sink, 0);
  });

  afterAll(async () => {
    await server.close();
  });

  it('listens on loopback on the port the OS picked', () => {
    const url = new URL(server.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/metrics');
    expect(Number(url.port)).toBeGreaterThan(0);
  });

  it('serves the registry on /metrics with the exposition content type', async () => {
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(sink.registry.contentType);
    const body = await res.text();
    expect(body).toBe(await sink.metrics());
    expect(body).toContain(
      'lakeprobe_operations_total{experiment="ska",test="upload",operation="auth",rse="none",protocol="rucio",auth_method="token",outcome="ok",error_class="none"} 1',
    );
  });

  it('ignores a query string on /metrics', async () => {
    const res = await fetch(`${server.url}?name[]=lakeprobe_operations_total`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('lakeprobe_operations_total');
  });

  it('answers 404 for other paths and for methods other than GET', async () => {
    const base = new URL(server.url);
    for (const path of ['/', '/metrics/extra', '/metricsx', '/favicon.ico']) {
      const res = await fetch(new URL(path, base));
      expect(res.status, path).toBe(404);
      expect(await res.text()).toBe('not found\n');
    }
    const post = await fetch(server.url, { method: 'POST', body: 'x' });
    expect(post.status).toBe(404);
    await post.text();
  });

  it('answers 500 with the reason when collecting the metrics fails', async () => {
    const registry = new Registry();
    new Gauge({ name: 'broken', help: 'collect throws', registers: [registry], collect() { throw new Error('collector broke'); } });
    const broken = await serveMetrics(registry, 0);
    try {
      const res = await fetch(broken.url);
      expect(res.status).toBe(500);
      expect(await res.text()).toBe('collector broke\n');
    } finally {
      await broken.close();
    }
  });

  it('stops accepting connections once closed', async () => {
    const other = await serveMetrics(new Registry(), 0);
    const res = await fetch(other.url);
    expect(res.status).toBe(200);
    await res.text();
    await other.close();
    await expect(fetch(other.url)).rejects.toThrow(/fetch failed/);
  });

  it('fails to start when the port is taken', async () => {
    const port = Number(new URL(server.url).port);
    await expect(serveMetrics(new Registry(), port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
