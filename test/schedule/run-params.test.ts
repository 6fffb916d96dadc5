// `run` and the daemon give a test the same parameters (a sweep's size cycle included),
// and a sweep's per-link lock reads the links the sweep really has.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlanFile, type ResolvedPlan } from '../../src/plan/index.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { FakeClock } from '../../src/schedule/clock.js';
import { nextFire, scheduledTests, type Fire } from '../../src/schedule/fire-plan.js';
import { runJob } from '../../src/job.js';
import { ResultsStore } from '../../src/results/store.js';
import { startTestLake } from '../integration/lake-fixture.js';
import { planForRun } from '../../src/schedule/run-params.js';
import { Scheduler } from '../../src/schedule/scheduler.js';

const T0 = Date.parse('2026-03-02T00:00:00Z');
const registry = builtinScenarios();

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'lakeprobe-run-params-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function plan(tests: string): Promise<ResolvedPlan> {
  const file = join(dir, `plan-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, `name: p
lake: { sandbox: true }
rses: { names: [A, B, C] }
experiments:
  - name: E
    tests:
${tests}`);
  const result = await loadPlanFile(file, {
    env: {}, uid: 4_000_010, knownScenarios: registry.names(), scenarioParams: (n) => registry.get(n)?.params,
  });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  return result.plan;
}

const paramsOf = (p: ResolvedPlan, test: string): Record<string, unknown> =>
  p.experiments[0]!.tests.find((t) => t.name === test)!.params as Record<string, unknown>;

describe('the parameters of a run', () => {
  it('give a run outside the daemon the size its schedule cycles to, the same the daemon gives that fire', async () => {
    const p = await plan(`      - name: sweep
        scenario: longhaul-sweep
        params: { links: [{ from: A, to: B }], volume: 4MiB }
        schedule: { cron: '0 * * * *', cycle: { param: size, values: [1MiB, 2MiB, 3MiB] } }
`);
    // 13:30 → the fire due next is 14:00, the 15th of the day: values[14 mod 3] = 3MiB.
    const at = new Date(Date.parse('2026-03-02T13:30:00Z'));
    expect(paramsOf(planForRun(p, registry, at), 'sweep').size).toBe(3 * 1024 ** 2);
    const [test] = scheduledTests(p);
    try {
      const fires: Fire[] = [];
      let after = new Date(T0 - 1000);
      for (let i = 0; i < 4; i++) {
        const fire = nextFire(test!, after);
        fires.push(fire);
        after = fire.at;
      }
      for (const fire of fires) {
        const daemon = paramsOf(planForRun(p, registry, fire.at, fire), 'sweep');
        const run = paramsOf(planForRun(p, registry, fire.at), 'sweep');
        expect(daemon).toEqual(run);
        expect(daemon.size).toBe([1, 2, 3][fire.at.getUTCHours() % 3]! * 1024 ** 2);
      }
    } finally {
      test?.matcher.dispose();
    }
    // The scenario's own hourly default (50 MB / 500 MB / 5 GB) is never used while the schedule cycles.
    expect(paramsOf(p, 'sweep').size).toBeUndefined();
  });
});

describe('lakeprobe run of a sweep whose schedule cycles sizes', () => {
  let env: Awaited<ReturnType<typeof startTestLake>> | undefined;
  afterAll(async () => { await env?.stop(); });

  it('writes files of the size the schedule gives, not the scenario default', async () => {
    env = await startTestLake();
    const planFile = join(dir, 'sweep.yaml');
    // One fire a day: every fire is the day's first, so the cycle gives values[0].
    await writeFile(planFile, `name: sweep
lake: { sandbox: true }
experiments:
  - name: E
    tests:
      - name: sweep
        scenario: longhaul-sweep
        auth: [x509]
        params: { links: [{ from: SANDBOX-FAST, to: SANDBOX-SAFE }], sizes: [1111, 2222], volume: 6000, poll_seconds: 0.2, timeout_seconds: 30 }
        schedule: { cron: '0 0 * * *', cycle: { param: size, values: [3000, 5000] } }
`);
    const result = await runJob({
      planFile, env: env.lake.env, uid: 4_000_011, registry, dbPath: join(dir, 'sweep.db'), outDir: join(dir, 'reports'),
      reporters: [], log: () => {}, report: false,
    });
    const store = new ResultsStore(join(dir, 'sweep.db'));
    try {
      const uploads = store.results(result.run.runId).filter((r) => r.operation === 'upload');
      expect(uploads.map((u) => [u.outcome, u.bytes])).toEqual([['ok', 3000], ['ok', 3000]]);
    } finally {
      store.close();
    }
  }, 120_000);
});

describe('the per-link lock of a sweep', () => {
  it('keeps two sweeps of one link apart and lets sweeps of different links run together', async () => {
    const p = await plan(`      - name: ab1
        scenario: longhaul-sweep
        rses: { names: [A, B] }
        params: { links: [{ from: A, to: B }], volume: 1MiB }
        schedule: { cron: '*/20 * * * * *', cycle: { param: size, values: [1KiB, 2KiB] } }
      - name: ab2
        scenario: longhaul-sweep
        params: { links: [{ from: A, to: B }], volume: 1MiB }
        schedule: { cron: '*/20 * * * * *', offset_seconds: 5, cycle: { param: size, values: [1KiB, 2KiB] } }
      - name: ac
        scenario: longhaul-sweep
        rses: { names: [A, B] }
        params: { links: [{ from: A, to: C }], volume: 1MiB }
        schedule: { cron: '*/20 * * * * *', offset_seconds: 5, cycle: { param: size, values: [1KiB, 2KiB] } }
`);
    const tests = scheduledTests(p);
    expect(Object.fromEntries(tests.map((t) => [t.test, t.locks]))).toEqual({
      ab1: ['link:A->B'], ab2: ['link:A->B'], ac: ['link:A->C'],
    });
    const clock = new FakeClock(T0 + 500);
    const ran: string[] = [];
    const skipped: string[] = [];
    const scheduler = new Scheduler({
      clock, toleranceMs: 5_000,
      hooks: {
        run: (fire) => { ran.push(`${fire.test.test}@${fire.at.toISOString().slice(17, 19)}`); return new Promise((r) => clock.setTimer(r, 12_000)); },
        skipped: (fire, reason) => skipped.push(`${fire.test.test}:${reason}`),
        missed: () => {},
      },
    });
    scheduler.start(tests);
    await clock.advance(29_000);
    scheduler.stop();
    expect(ran).toEqual(['ab2@05', 'ac@05', 'ab1@20', 'ac@25']);
    expect(skipped).toEqual(['ab2:link_busy']);
  });
});
