// The burst scenario's write latency is the write as a client sees it: the upload and its
// registration, not the registration call alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlan } from '../../src/engine/runner.js';
import { ResultsStore } from '../../src/results/store.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { loadTestPlan, startTestLake } from './lake-fixture.js';

const PLAN = `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: IT
    tests:
      - { name: burst, scenario: burst, auth: [x509], concurrency: 4, params: { writers: 3, readers: 0, catalogue_clients: 0, ops_per_worker: 2, size: 4MiB } }
`;

/** "850 ms", "4.20 s", "3 min 05 s" back to milliseconds. */
function ms(text: string): number {
  const m = /^([\d.]+) (ms|s)$/.exec(text) ?? /^(\d+) min (\d+) s$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  if (m[2] === 'ms') return Number(m[1]);
  if (m[2] === 's') return Number(m[1]) * 1000;
  return (Number(m[1]) * 60 + Number(m[2])) * 1000;
}

/** Nearest rank over a sorted copy. */
const rank = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.max(1, Math.ceil((p / 100) * xs.length)) - 1]!;

describe('burst write latency (builtin storage)', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  beforeAll(async () => {
    env = await startTestLake('builtin');
  });
  afterAll(() => env?.stop());

  it('times each write from the start of its upload to the end of its registration', async () => {
    const plan = await loadTestPlan(env.lake, env.dir, PLAN);
    const store = new ResultsStore(':memory:');
    const lines: string[] = [];
    const { run } = await runPlan({ plan, registry: builtinScenarios(), sinks: [store], ledger: store, log: (l) => lines.push(l) });
    const results = store.results(run.runId);
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
    const line = lines.find((l) => l.includes('burst writes (upload + register)'));
    expect(line).toMatch(/: 6 ops \(0 failed\)/);
    const [, p50, p95, p99] = /latency p50 (.+?) p95 (.+?) p99 (.+)$/.exec(line!) ?? [];
    // The writers' uploads (the seed file, written first, is not a burst write).
    const uploads = results.filter((r) => r.operation === 'upload').sort((a, b) => a.start.localeCompare(b.start)).slice(1);
    expect(uploads).toHaveLength(6);
    // Each write lasts at least its upload, so every percentile of the writes is at least that of the uploads.
    const up = uploads.map((u) => u.durationMs);
    const slack = 2; // the log rounds to the millisecond
    expect(ms(p50!)).toBeGreaterThanOrEqual(rank(up, 50) - slack);
    expect(ms(p95!)).toBeGreaterThanOrEqual(rank(up, 95) - slack);
    expect(ms(p99!)).toBeGreaterThanOrEqual(Math.max(...up) - slack);
  }, 120_000);
});
