import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { LakeSession } from '../../src/engine/lake-session.js';
import type { CleanupLedger } from '../../src/engine/ledger.js';
import type { AuthMethod, OpResult, Sink } from '../../src/engine/op-result.js';
import type { RunContext } from '../../src/engine/run-context.js';
import { newRunId, runPlan, type RunOptions } from '../../src/engine/runner.js';
import { defineScenario, ScenarioRegistry } from '../../src/engine/scenario.js';
import { CredentialError, RucioApiError } from '../../src/lake/errors.js';
import type { RucioClient } from '../../src/lake/rucio/index.js';
import type { StorageDriver } from '../../src/lake/storage/driver.js';
import type { ResolvedPlan, ResolvedTest } from '../../src/plan/index.js';

const PASSWORD = 'pw-Very-Secret-42';

function test(overrides: Partial<ResolvedTest> = {}): ResolvedTest {
  return { name: 'probe', scenario: 'touch', auth: null, params: { tag: 't1' }, ...overrides };
}

function plan(experiments: ResolvedPlan['experiments']): ResolvedPlan {
  return {
    name: 'unit', file: '/plans/unit.yaml', sandbox: false,
    lake: { rucioHost: 'https://rucio.example', vo: 'def', account: 'alice', insecure: false },
    credentials: {
      userpass: { username: 'alice', password: PASSWORD },
      x509: { proxy: '/tmp/x509up_u1000' },
      token: { file: '/tmp/bt_u1000' },
    },
    rses: { expression: 'tier=1' },
    experiments,
    sources: [],
  };
}

const PLAN = plan([{ name: 'ska', tests: [test()] }]);

/** What each fake session does when asked to authenticate or list RSEs. */
interface Behaviour {
  open?: (method: AuthMethod) => void;
  authenticate?: (method: AuthMethod) => Promise<unknown>;
  listRses?: (expression: string) => Promise<string[]>;
}

interface Seen { method: AuthMethod; rses: readonly string[]; params: unknown; account: string; identityRole: string; ledger: CleanupLedger }

function harness(behaviour: Behaviour = {}) {
  const opened: AuthMethod[] = [];
  const listed: string[] = [];
  const seen: Seen[] = [];
  const driver = { protocol: 'davs' } as StorageDriver;
  const openSession = async (_plan: ResolvedPlan, method: AuthMethod): Promise<LakeSession> => {
    opened.push(method);
    behaviour.open?.(method);
    const rucio = {
      authenticate: () => behaviour.authenticate?.(method) ?? Promise.resolve({ expiresAt: null }),
      listRses: (expression: string) => {
        listed.push(expression);
        return behaviour.listRses?.(expression) ?? Promise.resolve(['SITE_C', 'SITE_A', 'SITE_B']);
      },
    } as unknown as RucioClient;
    return {
      method, account: 'alice', rucio, storage: () => driver, storageAs: async () => driver, identity: `${method} alice`,
      secrets: method === 'userpass' ? [PASSWORD] : [],
    };
  };
  // Touches the first RSE (ok) and deletes on the second (fails), recording what it saw.
  const scenario = defineScenario({
    name: 'touch',
    description: 'two operations per run',
    params: z.object({ tag: z.string() }),
    async run(ctx: RunContext, params) {
      seen.push({ method: ctx.authMethod, rses: ctx.rses, params, account: ctx.account, identityRole: ctx.identityRole, ledger: ctx.ledger });
      await ctx.op({ operation: 'access', rse: ctx.rses[0] }, async () => 'read');
      await ctx.op({ operation: 'delete', rse: ctx.rses[1] }, async () => {
        throw new RucioApiError(404, 'DataIdentifierNotFound', 'no such DID', 'DELETE', '/dids/x');
      });
    },
  });
  const registry = new ScenarioRegistry().register(scenario);
  const results: OpResult[] = [];
  const events: string[] = [];
  const sink: Sink = {
    onBegin: (run) => { events.push(`begin ${run.runId}`); },
    onResult: (r) => { results.push(r); events.push(`result ${r.authMethod} ${r.operation} ${r.outcome}`); },
    onEnd: (run, summary) => { events.push(`end ${run.runId} ${summary.total}/${summary.failed}`); },
  };
  const ledger = {} as CleanupLedger;
  const run = (options: Partial<RunOptions> = {}) =>
    runPlan({ plan: PLAN, registry, sinks: [sink], ledger, runId: 'run-1', openSession, ...options });
  return { run, opened, listed, seen, results, events, ledger, registry };
}

const ops = (results: OpResult[]) => results.map((r) => `${r.authMethod} ${r.operation} ${r.outcome}`);
/** Auth methods run side by side by default: compare each method's own sequence, in method order. */
const opsByMethod = (results: OpResult[]) => (['userpass', 'x509', 'token'] as const)
  .flatMap((m) => ops(results.filter((r) => r.authMethod === m)));

describe('runPlan', () => {
  it('authenticates, lists RSEs and runs the scenario once per configured auth method, each in order', async () => {
    const h = harness();
    const { run, summary } = await h.run();

    expect(h.opened).toEqual(['userpass', 'x509', 'token']);
    expect(opsByMethod(h.results)).toEqual(['userpass', 'x509', 'token'].flatMap((m) => [
      `${m} auth ok`, `${m} list ok`, `${m} access ok`, `${m} delete failed`,
    ]));
    expect(h.results.every((r) => r.runId === 'run-1' && r.experiment === 'ska' && r.test === 'probe' && r.scenario === 'touch')).toBe(true);
    expect(h.results.filter((r) => r.operation === 'delete').map((r) => r.errorClass)).toEqual(['not_found', 'not_found', 'not_found']);
    expect(run).toEqual({ runId: 'run-1', planName: 'unit', planFile: '/plans/unit.yaml', startedAt: expect.any(String) });
    expect(summary).toEqual({ total: 12, failed: 3, scenarioCrashes: 0, finishedAt: expect.any(String) });
    expect(Date.parse(summary.finishedAt)).toBeGreaterThanOrEqual(Date.parse(run.startedAt));
  });

  it('hands the scenario its params, the sorted RSE list, the account and the ledger', async () => {
    const h = harness();
    await h.run({ plan: plan([{ name: 'ska', tests: [test({ auth: ['token'] })] }]) });
    expect(h.listed).toEqual(['tier=1']);
    expect(h.seen).toEqual([{
      method: 'token', rses: ['SITE_A', 'SITE_B', 'SITE_C'], params: { tag: 't1' }, account: 'alice', identityRole: 'default', ledger: h.ledger,
    }]);
    expect(h.results.map((r) => r.rse)).toEqual(['', '', 'SITE_A', 'SITE_B']);
  });

  it('uses the RSE names of the test as given, without asking the catalogue', async () => {
    const h = harness();
    await h.run({ plan: plan([{ name: 'ska', tests: [test({ auth: ['x509'], rses: { names: ['SITE_Z', 'SITE_Y'] } })] }]) });
    expect(h.listed).toEqual([]);
    expect(h.seen[0]?.rses).toEqual(['SITE_Z', 'SITE_Y']);
    expect(ops(h.results)).toEqual(['x509 auth ok', 'x509 access ok', 'x509 delete failed']);
  });

  it('lists every RSE when the selection has no expression', async () => {
    const h = harness();
    const p = { ...plan([{ name: 'ska', tests: [test({ auth: ['token'] })] }]), rses: {} };
    await h.run({ plan: p });
    expect(h.listed).toEqual(['*']);
  });

  it('records a failed authentication and skips the scenario for that method only', async () => {
    const h = harness({
      open: (m) => { if (m === 'x509') throw new CredentialError('expired', '/tmp/x509up_u1000', 'proxy expired'); },
      authenticate: async (m) => {
        if (m === 'userpass') throw new RucioApiError(401, 'CannotAuthenticate', `Cannot authenticate to account alice with given credentials (${PASSWORD})`, 'GET', '/auth/userpass');
        return { expiresAt: null };
      },
    });
    const { summary } = await h.run();

    expect(opsByMethod(h.results)).toEqual([
      'userpass auth failed', 'x509 auth failed', 'token auth ok', 'token list ok', 'token access ok', 'token delete failed',
    ]);
    expect(h.seen.map((s) => s.method)).toEqual(['token']);
    const userpass = h.results.find((r) => r.authMethod === 'userpass');
    const x509 = h.results.find((r) => r.authMethod === 'x509');
    expect(userpass?.errorClass).toBe('auth_invalid');
    expect(x509?.errorClass).toBe('auth_expired');
    expect(summary).toMatchObject({ total: 6, failed: 3 });
  });

  it('redacts the session secrets from a failed authentication', async () => {
    const h = harness({ authenticate: async () => { throw new Error(`login with ${PASSWORD} refused: wrong password`); } });
    await h.run({ plan: plan([{ name: 'ska', tests: [test({ auth: ['userpass'] })] }]) });
    expect(h.results).toHaveLength(1);
    expect(h.results[0]?.errorMessage).toBe('login with <redacted> refused: wrong password');
    expect(JSON.stringify(h.results)).not.toContain(PASSWORD);
  });

  it('records a failed RSE listing and skips the scenario', async () => {
    const h = harness({ listRses: async () => { throw new RucioApiError(400, 'InvalidRSEExpression', 'bad expression', 'GET', '/rses/'); } });
    await h.run({ plan: plan([{ name: 'ska', tests: [test({ auth: ['token'] })] }]) });
    expect(ops(h.results)).toEqual(['token auth ok', 'token list failed']);
    expect(h.results[1]?.errorClass).toBe('invalid_request');
    expect(h.seen).toEqual([]);
  });

  it('runs only the selected experiment and test', async () => {
    const two = plan([
      { name: 'ska', tests: [test({ name: 'a', auth: ['token'] }), test({ name: 'b', auth: ['token'] })] },
      { name: 'cta', tests: [test({ name: 'a', auth: ['token'] })] },
    ]);
    const pairs = (h: ReturnType<typeof harness>) => [...new Set(h.results.map((r) => `${r.experiment}/${r.test}`))];

    const all = harness();
    await all.run({ plan: two });
    expect(pairs(all)).toEqual(['ska/a', 'ska/b', 'cta/a']);

    const byExperiment = harness();
    await byExperiment.run({ plan: two, only: { experiment: 'cta' } });
    expect(pairs(byExperiment)).toEqual(['cta/a']);

    const byTest = harness();
    await byTest.run({ plan: two, only: { test: 'b' } });
    expect(pairs(byTest)).toEqual(['ska/b']);

    const both = harness();
    const { summary } = await both.run({ plan: two, only: { experiment: 'ska', test: 'a' } });
    expect(pairs(both)).toEqual(['ska/a']);
    expect(summary.total).toBe(4);
  });

  it('calls the sinks begin → results → end, durable sinks first for each result', async () => {
    const h = harness();
    const order: string[] = [];
    const named = (name: string): Sink => ({
      onBegin: () => { order.push(`${name} begin`); },
      onResult: async (r) => { await Promise.resolve(); order.push(`${name} ${r.operation}`); },
      onEnd: (_run, s) => { order.push(`${name} end ${s.total}`); },
    });
    await h.run({ sinks: [named('store'), named('metrics')], plan: plan([{ name: 'ska', tests: [test({ auth: ['token'] })] }]) });
    expect(order).toEqual([
      'store begin', 'metrics begin',
      'store auth', 'metrics auth', 'store list', 'metrics list',
      'store access', 'metrics access', 'store delete', 'metrics delete',
      'store end 4', 'metrics end 4',
    ]);
  });

  it('works with sinks that only take results', async () => {
    const h = harness();
    const seen: string[] = [];
    const { summary } = await h.run({ sinks: [{ onResult: (r) => { seen.push(r.operation); } }], plan: plan([{ name: 'ska', tests: [test({ auth: ['token'] })] }]) });
    expect(seen).toEqual(['auth', 'list', 'access', 'delete']);
    expect(summary.total).toBe(4);
  });

  it('starts nothing once the signal is aborted, and still ends the run', async () => {
    const h = harness();
    const controller = new AbortController();
    controller.abort();
    const { summary } = await h.run({ signal: controller.signal });
    expect(h.opened).toEqual([]);
    expect(h.events).toEqual(['begin run-1', 'end run-1 0/0']);
    expect(summary).toMatchObject({ total: 0, failed: 0 });
  });

  it('refuses a test whose scenario is not registered', async () => {
    const h = harness();
    await expect(h.run({ plan: plan([{ name: 'ska', tests: [test({ scenario: 'nope' })] }]) }))
      .rejects.toThrow('scenario "nope" is not registered');
  });

  it('counts a scenario that throws outside ctx.op as a crash, logs it and goes on with the next method', async () => {
    const h = harness();
    const crashing = defineScenario({
      name: 'crash', description: 'throws', params: z.object({ tag: z.string() }),
      async run(ctx: RunContext) {
        if (ctx.authMethod === 'x509') throw new Error('scenario bug');
        await ctx.op({ operation: 'access', rse: ctx.rses[0] }, async () => 'read');
      },
    });
    h.registry.register(crashing);
    const lines: string[] = [];
    const { summary } = await h.run({ log: (l) => lines.push(l), plan: plan([{ name: 'ska', tests: [test({ scenario: 'crash', auth: ['x509', 'token'] })] }]) });
    expect(summary.scenarioCrashes).toBe(1);
    // The crash is a failed result of its own, so the store and every report judge the test by it.
    expect(opsByMethod(h.results)).toEqual(['x509 auth ok', 'x509 list ok', 'x509 scenario failed', 'token auth ok', 'token list ok', 'token access ok']);
    expect(summary.failed).toBe(1);
    // One line: where the scenario threw (this file, the line of the throw above) and why; no stack.
    const here = fileURLToPath(import.meta.url);
    const line = readFileSync(here, 'utf8').split('\n').findIndex((l) => l.includes("=== 'x509') throw new Error('scenario bug')")) + 1;
    expect(lines.filter((l) => l.includes('crashed'))).toEqual([`ska/probe [x509] scenario crash crashed at ${here}:${line}: scenario bug`]);
    const crash = h.results.find((r) => r.operation === 'scenario');
    expect(crash).toMatchObject({ outcome: 'failed', errorClass: 'scenario_crash', severity: 'error', authMethod: 'x509' });
    expect(crash?.errorMessage).toBe(`scenario crash crashed at ${here}:${line}: scenario bug`);
  });

  it('adds the stack of a crash when asked to (--debug)', async () => {
    const h = harness();
    h.registry.register(defineScenario({
      name: 'crash', description: 'throws', params: z.object({ tag: z.string() }),
      async run() { throw new Error('scenario bug'); },
    }));
    const lines: string[] = [];
    await h.run({ log: (l) => lines.push(l), debug: true, plan: plan([{ name: 'ska', tests: [test({ scenario: 'crash', auth: ['x509'] })] }]) });
    const crash = lines.find((l) => l.includes('crashed')) ?? '';
    expect(crash.split('\n')[0]).toMatch(/crashed at .*runner\.test\.ts:\d+: scenario bug$/);
    expect(crash.split('\n').slice(1).every((l) => /^ {4}at /.test(l))).toBe(true);
    expect(crash.split('\n').length).toBeGreaterThan(1);
  });

  it('logs the start of each test and method', async () => {
    const h = harness();
    const lines: string[] = [];
    await h.run({ log: (l) => lines.push(l), plan: plan([{ name: 'ska', tests: [test({ auth: ['x509', 'token'] })] }]) });
    expect(lines).toEqual(['ska/probe [x509] starting', 'ska/probe [token] starting']);
  });
});

describe('newRunId', () => {
  it('is a compact UTC timestamp with a random suffix', () => {
    const id = newRunId(new Date('2024-03-01T10:02:03.456Z'));
    expect(id).toMatch(/^20240301T100203Z-[0-9a-f]{6}$/);
    expect(newRunId(new Date(0))).not.toBe(newRunId(new Date(0)));
  });
});
