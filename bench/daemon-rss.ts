// Daemon memory over a time-compressed run: a fake clock drives the real daemon
// (scheduler, results store on disk, metrics, status history, each run judged by its
// report) through hours of schedule: 20 tests every minute, each run recording a few
// results like an upload test would, one in seven with a failure (timeouts, as faults
// give). RSS and heap are sampled after a GC at each hour of schedule, with the wall time
// a run took in that hour. Goal: flat.
// Usage: node --expose-gc dist/bench/daemon-rss.js [hours of schedule, default 3, at least 2]
//   LAKEPROBE_RSS_SNAPSHOTS=<dir> also writes a heap snapshot at each sample.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { startDaemon, type RunTest } from '../src/jobs/daemon.js';
import { FakeClock } from '../src/schedule/clock.js';
import { builtinScenarios } from '../src/scenarios.js';
import type { OpResult } from '../src/engine/op-result.js';

const HOURS = Math.max(2, Number(process.argv[2] ?? 3));
const TESTS = 20;
const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-rss-'));
const tests = Array.from({ length: TESTS }, (_, i) => `      - { name: t${i}, scenario: upload, schedule: { cron: "* * * * *", offset_seconds: ${i} } }`).join('\n');
await writeFile(join(dir, 'plan.yaml'), `name: rss\nlake: { sandbox: true }\nrses: { names: [RSE0] }\nexperiments:\n  - name: RSS\n    tests:\n${tests}\n`);
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
const sample = async (hour: number, msPerRun: string): Promise<void> => {
  gc?.();
  await fetch(`${daemon.url}/`).then((r) => r.text());
  const m = process.memoryUsage();
  samples.push(`hour ${String(hour).padStart(2)}: ${String(done).padStart(5)} runs, rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)} MB${msPerRun}`);
  // LAKEPROBE_RSS_SNAPSHOTS=<dir>: a heap snapshot at each sample, to compare what grows.
  if (process.env.LAKEPROBE_RSS_SNAPSHOTS) writeHeapSnapshot(join(process.env.LAKEPROBE_RSS_SNAPSHOTS, `rss-h${hour}.heapsnapshot`));
};
await sample(0, '');
for (let hour = 1; hour <= HOURS; hour++) {
  const [runs0, wall0] = [done, performance.now()];
  for (let minute = 0; minute < 60; minute++) await clock.advance(60_000);
  await sample(hour, `, ${((performance.now() - wall0) / Math.max(1, done - runs0)).toFixed(2)} ms wall per run`);
}
await daemon.stop();
await rm(dir, { recursive: true, force: true });
console.log(`${done} scheduled runs of ${TESTS} tests (fake clock, ${HOURS} h of schedule)${gc ? '' : ' — run with --expose-gc for GC before samples'}`);
for (const s of samples) console.log(s);
