// Daemon memory over a time-compressed run: a fake clock drives the real daemon
// (scheduler, results store on disk, metrics, status history) through thousands of
// scheduled runs; each run records a few results like an upload test would.
// RSS and heap are sampled after a GC every 250 runs. Goal: flat.
// Usage: node --expose-gc dist/bench/daemon-rss.js [runs, default 2000]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type RunTest } from '../src/jobs/daemon.js';
import { FakeClock } from '../src/schedule/clock.js';
import { builtinScenarios } from '../src/scenarios.js';
import type { OpResult } from '../src/engine/op-result.js';

const RUNS = Number(process.argv[2] ?? 2000);
const TESTS = 20;
const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-rss-'));
const tests = Array.from({ length: TESTS }, (_, i) => `      - { name: t${i}, scenario: upload, schedule: { cron: "* * * * *", offset_seconds: ${i} } }`).join('\n');
await writeFile(join(dir, 'plan.yaml'), `name: rss\nlake: { sandbox: true }\nexperiments:\n  - name: RSS\n    tests:\n${tests}\n`);
const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
let done = 0;
const runTest: RunTest = async ({ experiment, test, runId, sinks }) => {
  const run = { runId, planName: 'rss', planFile: 'plan.yaml', startedAt: new Date(clock.now()).toISOString() };
  for (const s of sinks) await s.onBegin?.(run);
  for (let k = 0; k < 4; k++) {
    const r: OpResult = {
      runId, experiment, test, scenario: 'upload', operation: k === 0 ? 'auth' : 'upload', rse: `RSE${k}`, srcRse: '', dstRse: '',
      protocol: 'davs', authMethod: 'token', identityRole: 'default', bytes: 1 << 20, sizeClass: '1MiB', start: run.startedAt, durationMs: 50,
      outcome: k === 3 && done % 7 === 0 ? 'failed' : 'ok', severity: k === 3 && done % 7 === 0 ? 'error' : 'info',
      errorClass: k === 3 && done % 7 === 0 ? 'timeout' : null, errorMessage: k === 3 && done % 7 === 0 ? `timed out after 50 ms (${runId})` : '', ruleId: '', requestId: '',
    };
    for (const s of sinks) await s.onResult(r);
  }
  const summary = { total: 4, failed: 0, finishedAt: new Date(clock.now()).toISOString() };
  for (const s of sinks) await s.onEnd?.(run, summary);
  done++;
  return summary;
};
const daemon = await startDaemon({
  planFile: join(dir, 'plan.yaml'), env: {}, uid: 4_000_005, registry: builtinScenarios(), dbPath: join(dir, 'r.db'),
  port: 0, log: () => {}, clock, runTest, watch: false,
});
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number): string => (n / 1048576).toFixed(1);
const samples: string[] = [];
let nextSample = 0;
while (done < RUNS) {
  await clock.advance(60_000);
  if (done >= nextSample) {
    gc?.();
    await fetch(`${daemon.url}/`).then((r) => r.text());
    const m = process.memoryUsage();
    samples.push(`${String(done).padStart(5)} runs: rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)} MB`);
    nextSample += 250;
  }
}
await daemon.stop();
await rm(dir, { recursive: true, force: true });
console.log(`${done} scheduled runs of ${TESTS} tests (fake clock, ${Math.round((clock.now() - Date.parse('2026-01-01T00:00:00Z')) / 3_600_000)} h of schedule)${gc ? '' : ' — run with --expose-gc for GC before samples'}`);
for (const s of samples) console.log(s);
