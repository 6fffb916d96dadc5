import { randomBytes } from 'node:crypto';
import type { ResolvedPlan, ResolvedTest } from '../plan/index.js';
import type { CleanupLedger } from './ledger.js';
import { configuredAuthMethods, openLakeSession, type LakeSession } from './lake-session.js';
import type { AuthMethod, OpResult, RunInfo, RunSummary, Sink } from './op-result.js';
import { RunContext, recordOp, type RunIdentity } from './run-context.js';
import type { ScenarioRegistry } from './scenario.js';

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
  /** Builds the lake session; replaceable in tests of the runner itself. */
  openSession?: (plan: ResolvedPlan, method: AuthMethod) => Promise<LakeSession>;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Runs every selected test of the plan once, for each of its auth methods, and returns the summary. */
export async function runPlan(options: RunOptions): Promise<{ run: RunInfo; summary: RunSummary }> {
  const { plan, registry, sinks, ledger } = options;
  const log = options.log ?? (() => {});
  const signal = options.signal ?? new AbortController().signal;
  const run: RunInfo = {
    runId: options.runId ?? newRunId(), planName: plan.name, planFile: plan.file, startedAt: new Date().toISOString(),
  };
  let total = 0;
  let failed = 0;
  let scenarioCrashes = 0;
  const emit = async (result: OpResult): Promise<void> => {
    total++;
    if (result.outcome === 'failed') failed++;
    for (const sink of sinks) await sink.onResult(result);
  };
  for (const sink of sinks) await sink.onBegin?.(run);

  for (const experiment of plan.experiments) {
    if (options.only?.experiment && experiment.name !== options.only.experiment) continue;
    for (const test of experiment.tests) {
      if (options.only?.test && test.name !== options.only.test) continue;
      const scenario = registry.get(test.scenario);
      if (!scenario) throw new Error(`scenario "${test.scenario}" is not registered`);
      const methods = test.auth ?? configuredAuthMethods(plan);
      for (const method of methods) {
        if (signal.aborted) break;
        const identity: RunIdentity = {
          runId: run.runId, experiment: experiment.name, test: test.name, scenario: scenario.name,
          authMethod: method, identityRole: 'default', account: plan.lake.account ?? '',
        };
        log(`${experiment.name}/${test.name} [${method}] starting`);
        const session = await authenticate(plan, method, identity, emit, options.openSession ?? openLakeSession);
        if (!session) continue;
        const rses = await resolveRses(session, test, plan, identity, emit);
        if (!rses) continue;
        const ctx = new RunContext({
          identity, rucio: session.rucio, storage: (p) => session.storage(p), storageAs: (p, o) => session.storageAs(p, o),
          rses, ledger, emit,
          secrets: session.secrets, signal, log,
        });
        try {
          await scenario.run(ctx, test.params);
        } catch (e) {
          // A scenario bug, not a lake failure: count it so the run cannot pass, and go on.
          scenarioCrashes++;
          log(`${experiment.name}/${test.name} [${method}] scenario ${scenario.name} crashed: ${(e as Error).stack ?? String(e)}`);
        }
      }
    }
  }
  const summary: RunSummary = { total, failed, finishedAt: new Date().toISOString(), scenarioCrashes };
  for (const sink of sinks) await sink.onEnd?.(run, summary);
  return { run, summary };
}

async function authenticate(
  plan: ResolvedPlan, method: AuthMethod, identity: RunIdentity,
  emit: (r: OpResult) => Promise<void>, open: NonNullable<RunOptions['openSession']>,
): Promise<LakeSession | null> {
  let secrets: string[] = [];
  const outcome = await recordOp({ identity, emit, get secrets() { return secrets; } }, { operation: 'auth' }, async () => {
    const session = await open(plan, method);
    secrets = session.secrets;
    await session.rucio.authenticate();
    return session;
  });
  return outcome.ok ? outcome.value : null;
}

async function resolveRses(
  session: LakeSession, test: ResolvedTest, plan: ResolvedPlan, identity: RunIdentity,
  emit: (r: OpResult) => Promise<void>,
): Promise<string[] | null> {
  const selection = test.rses ?? plan.rses;
  if (selection.names?.length) return [...selection.names];
  const outcome = await recordOp({ identity, emit, secrets: session.secrets }, { operation: 'list' }, () =>
    session.rucio.listRses(selection.expression ?? '*'),
  );
  return outcome.ok ? [...outcome.value].sort() : null;
}
