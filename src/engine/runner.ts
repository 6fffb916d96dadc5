import { randomBytes } from 'node:crypto';
import type { ResolvedExperiment, ResolvedPlan, ResolvedTest } from '../plan/index.js';
import { DEFAULT_LIMITS } from '../plan/limits-schema.js';
import type { CleanupLedger } from './ledger.js';
import { configuredAuthMethods, openLakeSession, type LakeSession } from './lake-session.js';
import { renewPlanProxy } from './proxy-renewal.js';
import { performed, type AuthMethod, type OpResult, type RunInfo, type RunSummary, type Sink } from './op-result.js';
import { forEachPool, Limiter } from './pool.js';
import { RunContext, recordCrash, recordOp, type OpRecorder, type RunContextDeps, type RunIdentity } from './run-context.js';
import { RunProgress } from './run-progress.js';
import type { Scenario, ScenarioRegistry } from './scenario.js';
import { describeCrash } from './crash.js';
import { planSecretSet, type SecretSet } from './secrets.js';
import { resolveRseExpression } from '../lake/rse-selection.js';
import { OutputBoard, type OutputStore } from './outputs.js';

export interface RunOptions {
  plan: ResolvedPlan;
  registry: ScenarioRegistry;
  /** Durable sinks first: each result reaches them before the others. */
  sinks: Sink[];
  ledger: CleanupLedger;
  runId?: string;
  /** Only these experiments / tests (by name) when set. */
  only?: { experiment?: string; test?: string };
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Every secret of the plan (default: read from the plan's credentials); sessions add theirs. */
  secrets?: SecretSet;
  /** A scenario crash prints its stack too. */
  debug?: boolean;
  /** Builds the lake session; replaceable in tests of the runner itself. */
  openSession?: (plan: ResolvedPlan, method: AuthMethod) => Promise<LakeSession>;
  /** Where outputs outlive the run (the results store): a consumer of a test outside the run reads the latest complete one there. */
  outputs?: OutputStore;
  /** How often such a consumer reads the store again (ms). */
  outputPollMs?: number;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Runs every selected test of the plan once, for each of its auth methods, and returns the summary. */
export async function runPlan(options: RunOptions): Promise<{ run: RunInfo; summary: RunSummary }> {
  const { plan, registry, sinks, ledger } = options;
  // Every line and every recorded message is redacted with every secret of the plan.
  const secrets = options.secrets ?? (await planSecretSet(plan));
  const log = secrets.logger(options.log ?? (() => {}));
  const signal = options.signal ?? new AbortController().signal;
  const limits = plan.limits ?? DEFAULT_LIMITS;
  const run: RunInfo = {
    runId: options.runId ?? newRunId(), planName: plan.name, planFile: plan.file, startedAt: new Date().toISOString(),
  };
  const selected = selectTests(plan, options.only);
  for (const { test } of selected) {
    if (!registry.get(test.scenario)) throw new Error(`scenario "${test.scenario}" is not registered`);
  }
  let total = 0;
  let failed = 0;
  let scenarioCrashes = 0;
  // One result at a time through all sinks, durable sinks first: concurrent operations
  // never interleave inside a sink, and a result is stored before anyone else sees it.
  let delivery: Promise<void> = Promise.resolve();
  const emit = (result: OpResult): Promise<void> => {
    const delivered = delivery.then(async () => {
      if (performed(result)) total++;
      if (result.outcome === 'failed') failed++;
      for (const sink of sinks) await sink.onResult(result);
    });
    delivery = delivered.catch(() => {});
    return delivered;
  };
  const units = selected.reduce((n, { test }) => n + (test.auth ?? configuredAuthMethods(plan)).length, 0);
  const progress = new RunProgress(units, (snapshot) => {
    for (const sink of sinks) sink.onProgress?.(snapshot);
  });
  const planLimiter = new Limiter(limits.concurrency);
  const board = new OutputBoard(options.outputs, options.outputPollMs);
  board.plan(selected.map(({ experiment, test }) => ({
    experiment: experiment.name, test: test.name, units: (test.auth ?? configuredAuthMethods(plan)).length,
    consumes: test.consumes, consumedBy: test.consumedBy,
  })));
  for (const sink of sinks) await sink.onBegin?.(run);
  await renewPlanProxy(plan, secrets, log);

  // Tests chained by `consumes` run side by side (one slot of tests_in_parallel): a consumer waits
  // for its upstream's output while the upstream holds that output until its consumers are done.
  await forEachPool(chainGroups(selected), limits.testsInParallel, (group) => forEachPool(group, group.length, async ({ experiment, test }) => {
    const scenario = registry.get(test.scenario) as Scenario<unknown>;
    const methods = test.auth ?? configuredAuthMethods(plan);
    // The test's limit holds across its auth methods: `concurrency` is the test's operations in flight.
    const limiters = [new Limiter(Math.min(test.concurrency ?? 1, limits.concurrency)), planLimiter];
    await forEachPool(methods, limits.authMethodsInParallel ? methods.length : 1, async (method) => {
      progress.unitStarted();
      const identity: RunIdentity = {
        runId: run.runId, experiment: experiment.name, test: test.name, scenario: scenario.name,
        authMethod: method, identityRole: 'default', account: plan.lake.account ?? '',
      };
      const deps = { identity, emit, limiters, progress, signal, secrets };
      let declared = false;
      let session: LakeSession | null = null;
      let context: RunContext | undefined;
      try {
        log(`${experiment.name}/${test.name} [${method}] starting`);
        // One login and at most one listing per test and method: the scenario reuses them. The login holds
        // a plan-wide slot only: one method's login that hangs must not hold back the others' operations.
        const login = { ...deps, limiters: [planLimiter] };
        session = await authenticate(plan, method, login, options.openSession ?? openLakeSession, scenario.loginWarnSeconds?.(test.params));
        if (!session) return;
        const resolved = await resolveRses(session, test, plan, deps);
        if (!resolved) return;
        const open = session;
        const ctx = context = new RunContext({
          identity, rucio: open.rucio, storage: (p) => open.storage(p), storageAs: (p, o) => open.storageAs(p, o),
          rses: resolved.rses, listedRses: resolved.listed, identities: plan.identities, ledger, emit, limiters, progress, signal, log,
          board, consumes: test.consumes,
          get secrets() { return secrets.values(); },
        });
        const started = performance.timeOrigin + performance.now();
        try {
          await scenario.run(ctx, test.params);
        } catch (e) {
          // A scenario bug, not a lake failure: recorded as a failed result (the reports and the exit code
          // judge the test by it), counted so the run cannot pass, and the run goes on.
          scenarioCrashes++;
          const crash = `scenario ${scenario.name} ${describeCrash(e, secrets.values())}`;
          await recordCrash(deps, started, crash);
          log(`${experiment.name}/${test.name} [${method}] scenario ${scenario.name} ${describeCrash(e, secrets.values(), options.debug)}`);
        } finally {
          declared = ctx.declared;
        }
      } finally {
        // Kept-alive connections go with the session: repeated runs must not pile them up on the lake.
        session?.close?.();
        progress.unitFinished(declared);
        if (context) context.finishProducing();
        else board.producerDone(experiment.name, test.name);
        board.consumerDone(test.consumes);
      }
    }, signal);
  }, signal), signal);
  await delivery;
  const summary: RunSummary = { total, failed, finishedAt: new Date().toISOString(), scenarioCrashes };
  for (const sink of sinks) await sink.onEnd?.(run, summary);
  return { run, summary };
}

function selectTests(plan: ResolvedPlan, only: RunOptions['only']): { experiment: ResolvedExperiment; test: ResolvedTest }[] {
  return plan.experiments
    .filter((experiment) => !only?.experiment || experiment.name === only.experiment)
    .flatMap((experiment) => experiment.tests
      .filter((test) => !only?.test || test.name === only.test)
      .map((test) => ({ experiment, test })));
}

type Selected = { experiment: ResolvedExperiment; test: ResolvedTest };

/** The selected tests in groups connected by `consumes` (each group in plan order; unchained tests alone). */
function chainGroups(selected: readonly Selected[]): Selected[][] {
  const keyOf = (experiment: string, test: string): string => `${experiment}/${test}`;
  const parent = new Map(selected.map(({ experiment, test }) => [keyOf(experiment.name, test.name), keyOf(experiment.name, test.name)]));
  const root = (k: string): string => {
    let r = k;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    return r;
  };
  for (const { experiment, test } of selected) {
    const up = test.consumes && keyOf(test.consumes.experiment, test.consumes.test);
    if (up && parent.has(up)) parent.set(root(keyOf(experiment.name, test.name)), root(up));
  }
  const groups = new Map<string, Selected[]>();
  for (const s of selected) {
    const r = root(keyOf(s.experiment.name, s.test.name));
    groups.set(r, [...(groups.get(r) ?? []), s]);
  }
  return [...groups.values()];
}

type OpDeps = Pick<RunContextDeps, 'identity' | 'emit' | 'limiters' | 'progress' | 'signal'> & { secrets: SecretSet };

async function authenticate(
  plan: ResolvedPlan, method: AuthMethod, deps: OpDeps, open: NonNullable<RunOptions['openSession']>, warnSeconds?: number,
): Promise<LakeSession | null> {
  deps.progress?.expectOwn(1);
  const { secrets } = deps;
  const outcome = await recordOp({ ...deps, get secrets() { return secrets.values(); } }, { operation: 'auth' }, async (rec) => {
    const session = await open(plan, method);
    secrets.follow(session.secrets);
    try {
      const { expiresAt } = await session.rucio.authenticate();
      if (warnSeconds !== undefined) warnIfExpiring(rec, session, method, expiresAt, warnSeconds);
    } catch (e) {
      session.close?.();
      throw e;
    }
    return session;
  });
  return outcome.ok ? outcome.value : null;
}

const remaining = (d: Date): string => `expires ${d.toISOString()} (in ${Math.round((d.getTime() - Date.now()) / 1000)} s)`;

/** The credential behind the login expires within `warnSeconds`: the login is a warning (the catalogue token is renewed by logging in again; the credential is not). */
function warnIfExpiring(rec: OpRecorder, session: LakeSession, method: AuthMethod, tokenExpiresAt: Date | null | undefined, warnSeconds: number): void {
  const credential = session.rucio.credentialExpiresAt();
  if (!credential || credential.getTime() - Date.now() >= warnSeconds * 1000) return;
  const parts = [`${method} credential ${remaining(credential)}`, tokenExpiresAt ? `catalogue token ${remaining(tokenExpiresAt)}` : ''];
  rec.warn(`credential expires soon: ${parts.filter(Boolean).join(', ')}; renew it before it does`);
}

async function resolveRses(
  session: LakeSession, test: ResolvedTest, plan: ResolvedPlan, deps: OpDeps,
): Promise<{ rses: string[]; listed: boolean } | null> {
  const selection = test.rses ?? plan.rses;
  if (selection.names?.length) return { rses: [...selection.names], listed: false };
  deps.progress?.expectOwn(1);
  const { secrets } = deps;
  const outcome = await recordOp({ ...deps, get secrets() { return secrets.values(); } }, { operation: 'list' }, () =>
    resolveRseExpression(session.rucio, selection.expression ?? '*'),
  );
  return outcome.ok ? { rses: [...outcome.value].sort(), listed: true } : null;
}
