// The daemon job: runs every scheduled test of a plan on its schedule through the
// engine, records every result in the store first, exports metrics, serves the
// status page, reloads the plan without losing state and stops within a bound.
import { watchFile, unwatchFile } from 'node:fs';
import { loadPlanOrThrow, openStoreOrThrow, type PlanInput } from '../job.js';
import type { ResolvedPlan } from '../plan/index.js';
import { urlSecrets } from '../results/postgres.js';
import type { ReplicaState } from '../results/replicator.js';
import { MetricsSink } from '../metrics/registry.js';
import { knownTests } from '../metrics/known-tests.js';
import { newRunId, runPlan } from '../engine/runner.js';
import { environmentSecrets, planSecretSet, SecretSet } from '../engine/secrets.js';
import type { RunSummary, Sink } from '../engine/op-result.js';
import { systemClock, type Clock } from '../schedule/clock.js';
import { scheduledTests, type Fire } from '../schedule/fire-plan.js';
import { Scheduler } from '../schedule/scheduler.js';
import { planForRun } from '../schedule/run-params.js';
import { planSnapshotSink } from '../results/plan-snapshot.js';
import type { ReportFormat } from '../report/write.js';
import { reportJob } from './report.js';
import { RecentHistory } from '../schedule/history.js';
import { credentialLifetimes, type CredentialLifetime } from '../schedule/credential-lifetimes.js';
import { serveDaemon, type DaemonServer } from './daemon-server.js';
import { renewPlanProxy } from '../engine/proxy-renewal.js';
import { proxyRenewalStates } from '../lake/credentials/proxy-renewal.js';
import { renderStatusPage } from './status-page.js';
import { JobError, EXIT } from './errors.js';
import { nothingAssigned, planForAgent } from '../agents/assignment.js';
import { AgentLoop, guardedLocks, openCoordination, sourceHash, startingPlanFile } from '../agents/agent-loop.js';
import { renderAgentsSection } from '../agents/view.js';
import { readFile } from 'node:fs/promises';

/** Runs one test of the plan; the default goes through the engine's runPlan. */
export type RunTest = (input: {
  plan: ResolvedPlan; experiment: string; test: string; runId: string; sinks: Sink[]; signal: AbortSignal;
}) => Promise<RunSummary>;

export interface DaemonOptions extends PlanInput {
  dbPath: string;
  port: number;
  host?: string;
  /** Receives every line the daemon writes, each starting with its ISO-8601 time. */
  log: (line: string) => void;
  /** Where each run's report goes (`<outDir>/<run id>/`); none written when unset. */
  outDir?: string;
  reportFormats?: readonly ReportFormat[];
  clock?: Clock;
  /** How long a stop waits for runs in flight before abandoning them (default 30 s). */
  stopGraceMs?: number;
  /** How long abandoned runs get to record their last results (default 10 s). */
  abandonGraceMs?: number;
  /** Reload when the plan file changes (default true). */
  watch?: boolean;
  toleranceMs?: number;
  credentialRefreshMs?: number;
  historyLimit?: number;
  /** How often the status page reloads itself (default 10 s). */
  statusRefreshSeconds?: number;
  runTest?: RunTest;
  /** Extra sinks every run reports to (e.g. progress). */
  reporters?: Sink[];
  /** Run as this agent: only the tests the plan assigns to it; recorded on runs, results and metrics. */
  agent?: string;
  /**
   * The shared PostgreSQL store: exclusive resources become advisory locks there; with
   * `agent`, the daemon heartbeats into it and runs the latest published plan.
   */
  coordinationUrl?: string;
  heartbeatMs?: number;
  staleAfterMs?: number;
}

export interface StopReport {
  finished: number;
  abandoned: string[];
}

export interface Daemon {
  url: string;
  metrics: MetricsSink;
  history: RecentHistory;
  scheduler: Scheduler;
  plan(): ResolvedPlan;
  reload(): Promise<boolean>;
  stop(): Promise<StopReport>;
}

const MAX_LIMIT_MS = 10 * 60_000;

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const clock = options.clock ?? systemClock;
  const { agent } = options;
  const coordination = options.coordinationUrl ? await openCoordination(options.coordinationUrl, agent) : undefined;
  // With a shared store, the latest plan a coordinator published is the plan.
  let planFile = options.planFile;
  let planVersion = 0;
  if (coordination && agent) ({ file: planFile, version: planVersion } = await startingPlanFile(coordination, options.planFile));
  const loadPlan = async (): Promise<Awaited<ReturnType<typeof loadPlanOrThrow>> & { hash: string }> => {
    const loaded = await loadPlanOrThrow({ ...options, planFile });
    return { ...loaded, plan: planForAgent(loaded.plan, agent), hash: sourceHash(await readFile(planFile, 'utf8')) };
  };
  // The plan and the scenarios it names (user scenarios included) are reloaded together.
  let { plan: current, registry, hash: currentHash } = await loadPlan();
  // The plan's secrets, read again at each reload: no daemon line or page shows one.
  // Read again for each run too: a token file may have been renewed since.
  const known = async (plan: ResolvedPlan): Promise<SecretSet> =>
    (await planSecretSet(plan)).add(...(await environmentSecrets(options.env, options.uid)), ...urlSecrets(options.dbPath), ...urlSecrets(options.coordinationUrl ?? ''));
  let secrets = await known(current);
  const log = (line: string): void => options.log(secrets.redact(`${new Date(clock.now()).toISOString()} ${line}`));
  const opened = openStoreOrThrow({ ...options, agent, journal: current.results?.journal }, log);
  const { store } = opened;
  /** The shared store's state, on the status page and in the metrics; undefined for a SQLite store. */
  const replica = (): ReplicaState | undefined => {
    const state = opened.replica();
    if (state) {
      metrics.gauge('storeBacklog').set(state.backlog);
      metrics.gauge('storeUnreachableSince').set(state.unreachableSince ? Date.parse(state.unreachableSince) / 1000 : 0);
    }
    return state;
  };
  const metrics = new MetricsSink({ daemon: true, agent });
  const history = new RecentHistory(options.historyLimit ?? 50);
  const inFlight = new Map<string, { controller: AbortController; runId: string }>();
  const startedAt = new Date(clock.now());
  const reload = { ok: true, at: new Date(clock.now()) as Date | null, message: '' };
  let credentials: CredentialLifetime[] = [];
  let countedRenewalFailures = proxyRenewalStates().reduce((n, r) => n + r.failures, 0);
  let stopping = false;
  let lastTick = clock.now();
  let agentLoop: AgentLoop | undefined;

  const runTest: RunTest = options.runTest ?? (async ({ plan, experiment, test, runId, sinks, signal }) =>
    (await runPlan({
      plan, registry, sinks, ledger: store, outputs: store, only: { experiment, test }, runId, signal, log, secrets: await known(plan),
    })).summary);

  const scheduler = new Scheduler({
    clock, toleranceMs: options.toleranceMs,
    sharedLocks: coordination && guardedLocks(coordination, log),
    hooks: {
      run: (fire) => runFire(fire),
      skipped: (fire, reason) => {
        metrics.skipped(fire.test.experiment, fire.test.test, reason);
        log(`${fire.test.key}: run due ${fire.at.toISOString()} skipped (${reason})`);
      },
      missed: (fire) => {
        metrics.counter('missedRuns').inc({ experiment: fire.test.experiment, test: fire.test.test });
        log(`${fire.test.key}: run due ${fire.at.toISOString()} missed (the daemon was late)`);
      },
      planned: (fire) => metrics.gauge('nextRun').set({ experiment: fire.test.experiment, test: fire.test.test }, fire.at.getTime() / 1000),
      tick: (now) => { lastTick = now; metrics.gauge('heartbeat').set(now / 1000); replica(); },
    },
  });

  async function runFire(fire: Fire): Promise<void> {
    const { experiment, test } = fire.test;
    const labels = { experiment, test };
    const runId = newRunId(new Date(clock.now()));
    const controller = new AbortController();
    inFlight.set(fire.test.key, { controller, runId });
    const cycle = fire.cycle ? `${fire.cycle.param}=${fire.cycle.value}` : undefined;
    history.begin({ runId, experiment, test, startedAt: new Date(clock.now()).toISOString(), operations: 0, failed: 0, cycle, outcome: 'running' });
    metrics.counter('scheduledRuns').inc(labels);
    metrics.gauge('runsInProgress').set(labels, 1);
    log(`${fire.test.key}: run ${runId} starting${cycle ? ` (${cycle})` : ''}`);
    if (store.isOpen) store.recordFire({ experiment, test, schedule: fire.test.schedule.cron, dueAt: fire.at.toISOString(), runId });
    let summary: RunSummary | null = null;
    let verdict = '';
    if (agentLoop) await shared(() => coordination?.runStarted({ runId, agent: agent ?? '', experiment, test, startedAt: new Date(clock.now()) }));
    try {
      const plan = onlyTest(planForRun(current, registry, new Date(clock.now()), fire), experiment, test);
      // The run's own plan goes with it, so its report (now or later) judges it by that plan.
      const sinks = [store, planSnapshotSink(store, plan, registry, () => secrets.values()), metrics, history, ...(options.reporters ?? [])];
      summary = await runTest({ plan, experiment, test, runId, sinks, signal: controller.signal });
      // Abandoned at shutdown: the run did not finish, whatever it recorded stays, marked as such.
      if (controller.signal.aborted) interrupt(runId);
      verdict = await judge(fire.test.key, runId);
      log(`${fire.test.key}: run ${runId} ${controller.signal.aborted ? 'abandoned' : 'finished'}: ${summary.total} operations, ${summary.failed} failed${verdict}`);
    } catch (e) {
      log(`${fire.test.key}: run ${runId} could not run: ${(e as Error).message}`);
    } finally {
      const state = controller.signal.aborted || !summary ? 'interrupted' : 'finished';
      if (agentLoop) await shared(() => coordination?.runEnded(runId, state, verdict.replace(/^ — /, ''), new Date(clock.now())));
      history.end(runId, summary, controller.signal.aborted);
      metrics.gauge('runsInProgress').set(labels, 0);
      inFlight.delete(fire.test.key);
    }
  }

  /** The run's verdict as its report gives it (with the reasons when not Completed); writes the report under --out. */
  async function judge(key: string, runId: string): Promise<string> {
    if (!store.isOpen || !store.run(runId)) return '';
    try {
      const judged = await reportJob({
        store, outDir: options.outDir ?? '', runs: [runId], formats: options.reportFormats, write: options.outDir !== undefined, log,
      });
      if (judged.written) log(`${key}: report of run ${runId}: ${judged.written.dir}`);
      const tests = judged.report.experiments.flatMap((e) => e.tests);
      return tests.map((t) => ` — ${t.verdict}${t.verdict === 'Completed' || !t.reasons.length ? '' : `: ${t.reasons.join('; ')}`}`).join('');
    } catch (e) {
      log(`${key}: run ${runId} could not be judged: ${(e as Error).message}`);
      return '';
    }
  }

  function interrupt(runId: string): void {
    if (store.isOpen) store.interruptRun(runId);
  }

  async function refreshCredentials(): Promise<void> {
    await renewPlanProxy(current, secrets, log);
    // Failures of the renewals runs made too, not only the timer's.
    const failures = proxyRenewalStates().reduce((n, r) => n + r.failures, 0);
    if (failures > countedRenewalFailures) metrics.counter('credentialRenewalFailures').inc({ auth_method: 'x509' }, failures - countedRenewalFailures);
    countedRenewalFailures = failures;
    credentials = await credentialLifetimes(current.credentials);
    for (const method of ['x509', 'token']) {
      // A credential lakeprobe renews counts only once its renewal fails.
      const c = credentials.find((x) => x.authMethod === method && !x.renewed);
      metrics.setCredentialExpiry(method, c?.expiresAt ?? null, c?.issuedAt ?? null);
      const renewedHere = credentials.filter((x) => x.authMethod === method && x.renewed !== undefined);
      metrics.setCredentialRenewalOk(method, renewedHere.length ? renewedHere.every((x) => x.renewed) : null);
    }
    metrics.setCredentialRenewals(credentials.filter((c) => c.lastRenewal).map((c) => ({
      authMethod: c.authMethod, audience: c.audience ?? 'none', at: c.lastRenewal as Date,
    })));
  }

  function adopt(plan: ResolvedPlan, previous?: ResolvedPlan): void {
    const keys = new Set(knownTests(plan).map((t) => `${t.experiment}/${t.test}`));
    for (const t of previous ? knownTests(previous) : []) {
      if (!keys.has(`${t.experiment}/${t.test}`)) metrics.forgetTest(t.experiment, t.test);
    }
    metrics.declareTests(knownTests(plan));
    const tests = scheduledTests(plan);
    scheduler.replace(tests);
    if (tests.length === 0) log('warning: no test of the plan has a schedule: nothing to run');
    metrics.gauge('reloadOk').set(1);
    metrics.gauge('reloadTime').set(clock.now() / 1000);
    Object.assign(reload, { ok: true, at: new Date(clock.now()), message: '' });
  }

  /** A write to the shared store that fails is logged; the run goes on. */
  async function shared(write: () => Promise<void> | undefined): Promise<void> {
    try {
      await write();
    } catch (e) {
      log(`warning: shared store ${coordination?.description ?? ''}: ${(e as Error).message}`);
    }
  }

  async function doReload(): Promise<boolean> {
    if (stopping) return false;
    try {
      const loaded = await loadPlan();
      const nextSecrets = await known(loaded.plan);
      const previous = current;
      ({ plan: current, registry, hash: currentHash } = loaded);
      secrets = nextSecrets;
      adopt(current, previous);
      await refreshCredentials();
      log(`plan reloaded: ${countScheduled(current)} scheduled tests`);
      return true;
    } catch (e) {
      metrics.gauge('reloadOk').set(0);
      Object.assign(reload, { ok: false, message: secrets.redact((e as Error).message.split('\n')[0] ?? '') });
      log(`warning: plan reload failed, the previous plan keeps running:\n${(e as Error).message}`);
      return false;
    }
  }

  adopt(current);
  if (agent) {
    const problem = nothingAssigned(current, agent);
    if (problem) log(`warning: ${problem}; the agent heartbeats and waits for a plan that assigns it tests`);
  }
  if (coordination && agent) {
    agentLoop = new AgentLoop({
      coordination, name: agent, planFile: options.planFile, log, heartbeatMs: options.heartbeatMs, staleAfterMs: options.staleAfterMs,
      current: () => ({ planHash: currentHash, tests: current.experiments.flatMap((e) => e.tests.map((t) => `${e.name}/${t.name}`)) }),
      onPublished: (file, version) => { planFile = file; planVersion = version; void reloadOnce(); },
    }, planVersion);
    await agentLoop.start();
    log(`agent ${agent}: heartbeating into ${coordination.description}${planVersion ? ` (published plan version ${planVersion})` : ''}`);
  }
  await refreshCredentials();
  metrics.gauge('heartbeat').set(clock.now() / 1000);
  const credentialTimer = setInterval(() => { void refreshCredentials(); }, options.credentialRefreshMs ?? 60_000);
  credentialTimer.unref();

  let server: DaemonServer;
  try {
    server = await serveDaemon({
      registry: metrics,
      unhealthy: () => {
        if (stopping) return 'stopping';
        if (reload.ok === false && reload.at === null) return 'no plan loaded';
        const stalled = clock.now() - lastTick;
        return stalled > 120_000 ? `scheduler loop has not ticked for ${Math.round(stalled / 1000)} s` : null;
      },
      statusPage: () => renderStatusPage({
        plan: current.name, planFile: current.file, startedAt, now: new Date(clock.now()), reload, stopping,
        next: scheduler.nextFires().slice(0, 50).map((f) => ({
          test: f.test.key, at: f.at, cycle: f.cycle && `${f.cycle.param}=${f.cycle.value}`,
        })),
        runs: history.runs, failures: history.failures, credentials, refreshSeconds: options.statusRefreshSeconds ?? 10, store: replica(),
        current: history.current.view(),
        agentsHtml: agentLoop && renderAgentsSection(agentLoop.agents, new Date(clock.now())),
      }),
    }, options.port, options.host);
  } catch (e) {
    scheduler.stop();
    clearInterval(credentialTimer);
    await agentLoop?.stop();
    await coordination?.close();
    await opened.close();
    throw new JobError(`cannot serve on port ${options.port}: ${(e as Error).message}`, EXIT.setupFailed);
  }
  log(`daemon: ${countScheduled(current)} scheduled tests; status ${server.url}/ metrics ${server.url}/metrics`);

  let reloading: Promise<boolean> | null = null;
  const reloadOnce = (): Promise<boolean> => (reloading ??= doReload().finally(() => { reloading = null; }));
  const watching = options.watch ?? true;
  const onChange = (): void => { void reloadOnce(); };
  if (watching) watchFile(current.file, { interval: 500 }, onChange);

  let stopped: Promise<StopReport> | null = null;
  const stop = (): Promise<StopReport> => (stopped ??= (async () => {
    stopping = true;
    if (watching) unwatchFile(current.file, onChange);
    scheduler.stop();
    clearInterval(credentialTimer);
    const pending = scheduler.inFlight();
    log(`stopping: ${pending.length} runs in flight`);
    const graceMs = Math.min(options.stopGraceMs ?? 30_000, MAX_LIMIT_MS);
    const finishedInTime = await settleWithin(pending, graceMs);
    const abandoned = [...inFlight.entries()].map(([key, f]) => `${key} (${f.runId})`);
    if (!finishedInTime) {
      for (const f of inFlight.values()) f.controller.abort(new Error('the daemon is stopping'));
      log(`stopping: abandoning ${abandoned.join(', ')}; \`lakeprobe cleanup\` removes what they created`);
      await settleWithin(scheduler.inFlight(), Math.min(options.abandonGraceMs ?? 10_000, MAX_LIMIT_MS));
      // Runs still recording after that grace end here: interrupted, not left `running`.
      for (const f of inFlight.values()) interrupt(f.runId);
    }
    await server.close();
    await agentLoop?.stop();
    await coordination?.close();
    await opened.close();
    log('stopped');
    return { finished: pending.length - abandoned.length, abandoned };
  })());

  return { url: server.url, metrics, history, scheduler, plan: () => current, reload: reloadOnce, stop };
}

function countScheduled(plan: ResolvedPlan): number {
  return plan.experiments.reduce((n, e) => n + e.tests.filter((t) => t.schedule).length, 0);
}

/** True when every promise settled within `ms`. */
async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<boolean> {
  if (promises.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  const all = Promise.allSettled(promises).then(() => true as const);
  const result = await Promise.race([all, timeout]);
  clearTimeout(timer);
  return result;
}

/** The plan reduced to the one test a fire runs: its run, its snapshot and its report hold that test only. */
function onlyTest(plan: ResolvedPlan, experiment: string, test: string): ResolvedPlan {
  return {
    ...plan,
    experiments: plan.experiments.filter((e) => e.name === experiment).map((e) => ({ ...e, tests: e.tests.filter((t) => t.name === test) })),
  };
}
