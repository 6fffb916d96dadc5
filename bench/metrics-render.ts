// /metrics render time with the catalogue filled for a 50-RSE lake: every link
// (50 × 49 = 2,450) replicated in 3 size classes, plus upload/download series per
// RSE and the daemon's per-test series. Goal: under 50 ms per render.
// Usage: node dist/bench/metrics-render.js [RSEs, default 50] [renders, default 20]
import { MetricsSink } from '../src/metrics/registry.js';
import type { OpResult } from '../src/engine/op-result.js';

const RSES = Number(process.argv[2] ?? 50);
const RENDERS = Number(process.argv[3] ?? 20);
const SIZES: [number, string][] = [[50e6, '32MiB'], [500e6, '256MiB'], [5e9, '4GiB']];

function result(over: Partial<OpResult>): OpResult {
  return {
    runId: 'bench', experiment: 'SKAO', test: 'sweep', scenario: 'replicate', operation: 'replicate', rse: '', srcRse: '', dstRse: '',
    protocol: 'https-tpc', authMethod: 'token', identityRole: 'default', bytes: 0, sizeClass: '0B', start: new Date().toISOString(),
    durationMs: 1000, outcome: 'ok', severity: 'info', errorClass: null, errorMessage: '', ruleId: 'r', requestId: 'q', ...over,
  };
}

const sink = new MetricsSink({ daemon: true });
const rses = Array.from({ length: RSES }, (_, i) => `SITE${String(i).padStart(2, '0')}-DISK`);
sink.declareTests(rses.map((rse) => ({ experiment: 'SKAO', test: `probe-${rse}`, rses: [rse] })));
let links = 0;
for (const src of rses) {
  for (const dst of rses) {
    if (src === dst) continue;
    links++;
    for (const [bytes, sizeClass] of SIZES) {
      sink.onResult(result({ rse: dst, srcRse: src, dstRse: dst, bytes, sizeClass, durationMs: 1000 + (links % 900) * 10 }));
    }
  }
}
for (const rse of rses) {
  for (const operation of ['upload', 'download'] as const) {
    for (const [bytes, sizeClass] of SIZES) {
      sink.onResult(result({ test: `probe-${rse}`, scenario: 'upload', operation, rse, protocol: 'davs', bytes, sizeClass, requestId: '', ruleId: '' }));
    }
  }
}
const text = await sink.metrics();
const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
const times: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < RENDERS; i++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await sink.metricsBuffer();
  const c = process.cpuUsage(c0);
  times.push(performance.now() - t0);
  cpu.push((c.user + c.system) / 1000);
}
times.sort((a, b) => a - b);
cpu.sort((a, b) => a - b);
const at = (q: number, list = times): string => (list[Math.min(list.length - 1, Math.floor(q * list.length))] ?? 0).toFixed(1);
console.log(`${RSES} RSEs, ${links} links x ${SIZES.length} size classes: ${series} series, ${(text.length / 1e6).toFixed(1)} MB exposition`);
console.log(`render (the bytes /metrics writes) over ${RENDERS}: wall median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms (goal < 50 ms)`);
console.log(`  CPU time per render: median ${at(0.5, cpu)} ms, p95 ${at(0.95, cpu)} ms (wall time includes waiting for a CPU on a loaded machine)`);
{
  const reg = sink.registry;
  const t0 = performance.now();
  const a = await reg.metrics();
  const t1 = performance.now();
  const linkText = (await sink.metrics()).length - a.length;
  console.log(`of which prom-client (operations, tests, daemon): ${(t1 - t0).toFixed(1)} ms for ${a.split('\n').filter((l) => l && !l.startsWith('#')).length} series; per-link text ${(linkText / 1e6).toFixed(1)} MB`);
}
