import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { LakeSession } from '../../src/engine/lake-session.js';
import type { AuthMethod, OpResult, Sink } from '../../src/engine/op-result.js';
import type { RunContext } from '../../src/engine/run-context.js';
import type { ProgressSnapshot } from '../../src/engine/run-progress.js';
import { runPlan } from '../../src/engine/runner.js';
import { defineScenario, ScenarioRegistry } from '../../src/engine/scenario.js';
import type { RucioClient } from '../../src/lake/rucio/index.js';
import type { StorageDriver } from '../../src/lake/storage/driver.js';
import type { ResolvedLimits, ResolvedPlan, ResolvedTest } from '../../src/plan/index.js';
import { ResultsStore } from '../../src/results/store.js';

/** Counts operations, tests and scenario runs in flight, overall and per test. */
function instruments() {
  const state = { ops: 0, maxOps: 0, perTest: new Map<string, number>(), maxPerTest: new Map<string, number>(), runs: 0, maxRuns: 0, testsBusy: 0 };
  let maxTestsBusy = 0;
  const scenario = defineScenario({
    name: 'burst',
    description: 'many short operations at once',
    params: z.object({ ops: z.number().int(), declare: z.boolean().default(true) }),
    async run(ctx: RunContext, params) {
      state.runs++;
      state.maxRuns = Math.max(state.maxRuns, state.runs);
      try {
        if (params.declare) ctx.expectOperations(params.ops);
        await ctx.forEach(Array.from({ length: params.ops }, (_, i) => i), async () => {
          await ctx.op({ operation: 'access', rse: ctx.rses[0] }, async () => {
            state.ops++;
            state.maxOps = Math.max(state.maxOps, state.ops);
            const n = (state.perTest.get(ctx.test) ?? 0) + 1;
            state.perTest.set(ctx.test, n);
            state.maxPerTest.set(ctx.test, Math.max(state.maxPerTest.get(ctx.test) ?? 0, n));
            maxTestsBusy = Math.max(maxTestsBusy, [...state.perTest.values()].filter((v) => v > 0).length);
            await new Promise((r) => setTimeout(r, 3));
            state.ops--;
            state.perTest.set(ctx.test, (state.perTest.get(ctx.test) ?? 1) - 1);
          });
        });
      } finally {
        state.runs--;
      }
    },
  });
  return { state, scenario, maxTestsBusy: () => maxTestsBusy };
}

function unitPlan(tests: ResolvedTest[], limits?: ResolvedLimits): ResolvedPlan {
  return {
    name: 'unit', file: '/plans/unit.yaml', sandbox: false,
    lake: { rucioHost: 'https://rucio.example', vo: 'def', account: 'alice', insecure: false },
    credentials: { userpass: { username: 'alice', password: 'pw' }, x509: { proxy: '/tmp/p' }, token: { file: '/tmp/t' } },
    rses: { names: ['SITE_A'] }, experiments: [{ name: 'ska', tests }], sources: [], limits,
  };
}

const burst = (name: string, ops: number, extra: Partial<ResolvedTest> = {}): ResolvedTest =>
  ({ name, scenario: 'burst', auth: ['token'], params: { ops, declare: true }, ...extra });

async function openSession(_plan: ResolvedPlan, method: AuthMethod): Promise<LakeSession> {
  const rucio = { authenticate: async () => ({ expiresAt: null }) } as unknown as RucioClient;
  const driver = { protocol: 'davs' } as StorageDriver;
  return { method, account: 'alice', rucio, storage: () => driver, storageAs: async () => driver, identity: method, secrets: [] };
}

async function run(plan: ResolvedPlan, extraSinks: Sink[] = []) {
  const inst = instruments();
  const store = new ResultsStore(':memory:');
  const registry = new ScenarioRegistry().register(inst.scenario);
  const { run: info, summary } = await runPlan({ plan, registry, sinks: [store, ...extraSinks], ledger: store, openSession, runId: 'r1' });
  return { inst, store, info, summary, results: store.results(info.runId) };
}

const LIMITS: ResolvedLimits = { concurrency: 64, testsInParallel: 1, authMethodsInParallel: true };

describe('concurrency limits', () => {
  it("keeps exactly the test's concurrency in flight, and records every operation once", async () => {
    const { inst, results, summary } = await run(unitPlan([burst('t', 20, { concurrency: 4 })], LIMITS));
    expect(inst.state.maxOps).toBe(4);
    expect(results.filter((r) => r.operation === 'access')).toHaveLength(20);
    expect(summary.total).toBe(21);
  });

  it('runs operations one at a time when the test sets no concurrency', async () => {
    const { inst } = await run(unitPlan([burst('t', 6)], LIMITS));
    expect(inst.state.maxOps).toBe(1);
  });

  it("caps a test's concurrency at the plan-wide limit", async () => {
    const { inst } = await run(unitPlan([burst('t', 20, { concurrency: 8 })], { ...LIMITS, concurrency: 3 }));
    expect(inst.state.maxOps).toBe(3);
  });

  it('shares the plan-wide limit between tests running side by side', async () => {
    const tests = [burst('a', 24, { concurrency: 5 }), burst('b', 24, { concurrency: 5 })];
    const { inst } = await run(unitPlan(tests, { ...LIMITS, concurrency: 7, testsInParallel: 2 }));
    expect(inst.state.maxOps).toBe(7);
    expect(inst.maxTestsBusy()).toBe(2);
    expect(Math.max(...inst.state.maxPerTest.values())).toBeLessThanOrEqual(5);
  });

  it('runs tests one after another when tests_in_parallel is 1', async () => {
    const tests = [burst('a', 8, { concurrency: 4 }), burst('b', 8, { concurrency: 4 })];
    const { inst } = await run(unitPlan(tests, LIMITS));
    expect(inst.maxTestsBusy()).toBe(1);
    expect(inst.state.maxOps).toBe(4);
  });

  it('runs the auth methods of a test side by side, within the test limit', async () => {
    const test = burst('t', 6, { auth: ['userpass', 'x509', 'token'], concurrency: 2 });
    const parallel = await run(unitPlan([test], LIMITS));
    expect(parallel.inst.state.maxRuns).toBe(3);
    expect(parallel.inst.state.maxOps).toBe(2);
    expect(new Set(parallel.results.map((r) => r.authMethod))).toEqual(new Set(['userpass', 'x509', 'token']));

    const serial = await run(unitPlan([test], { ...LIMITS, authMethodsInParallel: false }));
    expect(serial.inst.state.maxRuns).toBe(1);
    expect(serial.results.map((r) => r.authMethod)).toEqual([
      ...Array(7).fill('userpass'), ...Array(7).fill('x509'), ...Array(7).fill('token'),
    ]);
  });
});

describe('sessions', () => {
  it('are closed after their scenario run, and after a failed login', async () => {
    const closed: string[] = [];
    const inst = instruments();
    const store = new ResultsStore(':memory:');
    const registry = new ScenarioRegistry().register(inst.scenario);
    const plan = unitPlan([burst('t', 3, { auth: ['userpass', 'x509', 'token'], concurrency: 2 })], LIMITS);
    const closing = async (p: ResolvedPlan, method: AuthMethod): Promise<LakeSession> => {
      const session = await openSession(p, method);
      if (method === 'x509') session.rucio = { authenticate: async () => { throw new Error('login refused'); } } as unknown as RucioClient;
      return { ...session, close: () => { closed.push(method); } };
    };
    await runPlan({ plan, registry, sinks: [store], ledger: store, openSession: closing, runId: 'r1' });
    expect(closed.sort()).toEqual(['token', 'userpass', 'x509']);
    expect(store.results('r1').filter((r) => r.operation === 'access')).toHaveLength(6);
  });
});

describe('operations inside operations', () => {
  it('never wait for a second slot, so a test at concurrency 1 cannot deadlock', async () => {
    const nested = defineScenario({
      name: 'nested', description: 'an operation whose body records another', params: z.object({}),
      async run(ctx: RunContext) {
        await ctx.op({ operation: 'upload' }, async () => {
          await ctx.op({ operation: 'verify' }, async () => 'inner');
        });
      },
    });
    const store = new ResultsStore(':memory:');
    const registry = new ScenarioRegistry().register(nested);
    const plan = unitPlan([{ name: 't', scenario: 'nested', auth: ['token'], params: {}, concurrency: 1 }], { ...LIMITS, concurrency: 1 });
    await runPlan({ plan, registry, sinks: [store], ledger: store, openSession, runId: 'r1' });
    expect(store.results('r1').map((r) => `${r.operation} ${r.outcome}`)).toEqual(['auth ok', 'verify ok', 'upload ok']);
  });
});

describe('results under concurrency', () => {
  it('stores every result before any other sink sees it, one result at a time', async () => {
    const store = new ResultsStore(':memory:');
    let busy = 0;
    let overlap = 0;
    let unseen = 0;
    const later: Sink = {
      onBegin: () => {},
      async onResult(r: OpResult) {
        busy++;
        if (busy > 1) overlap++;
        const stored = store.results('r1');
        if (!stored.some((s) => s.start === r.start && s.operation === r.operation && s.authMethod === r.authMethod)) unseen++;
        await new Promise((res) => setImmediate(res));
        busy--;
      },
    };
    const inst = instruments();
    const registry = new ScenarioRegistry().register(inst.scenario);
    const plan = unitPlan([burst('t', 30, { concurrency: 8, auth: ['userpass', 'token'] })], LIMITS);
    const { summary } = await runPlan({ plan, registry, sinks: [store, later], ledger: store, openSession, runId: 'r1' });
    expect(inst.state.maxOps).toBe(8);
    expect(overlap).toBe(0);
    expect(unseen).toBe(0);
    expect(store.results('r1')).toHaveLength(summary.total);
    expect(summary.total).toBe(2 * 31);
  });
});

describe('run progress', () => {
  it('reports operations in flight, done / total once every scenario declared its count, and bytes', async () => {
    const snapshots: ProgressSnapshot[] = [];
    const sink: Sink = { onResult: () => {}, onProgress: (p) => { snapshots.push(p); } };
    await run(unitPlan([burst('t', 12, { concurrency: 3, auth: ['userpass', 'token'] })], LIMITS), [sink]);
    expect(Math.max(...snapshots.map((s) => s.inFlight))).toBe(3);
    expect(snapshots[0]?.expected).toBeNull();
    const last = snapshots.at(-1) as ProgressSnapshot;
    expect(last).toMatchObject({ inFlight: 0, done: 26, expected: 26, failed: 0 });
    // Known only after both methods' scenarios declared: never a total below what is done.
    expect(snapshots.every((s) => s.expected === null || s.expected >= s.done)).toBe(true);
  });

  it('keeps the total unknown while a running scenario has not declared its count', async () => {
    const snapshots: ProgressSnapshot[] = [];
    const sink: Sink = { onResult: () => {}, onProgress: (p) => { snapshots.push(p); } };
    await run(unitPlan([burst('t', 5, { params: { ops: 5, declare: false } })], LIMITS), [sink]);
    const accesses = snapshots.filter((s) => s.done >= 1 && s.done < 6);
    expect(accesses.length).toBeGreaterThan(0);
    expect(accesses.every((s) => s.expected === null)).toBe(true);
    expect(snapshots.at(-1)?.expected).toBe(6);
  });
});
