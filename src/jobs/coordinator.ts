// The coordinator: one page over the shared store that shows every agent (last heartbeat,
// clock offset, state) and every test of the plan (its agents, whether one of them is up,
// its last verdict); its /metrics carries the agent-health series the alert rules read.
// It also marks agents whose heartbeat went stale as down, as any agent does.
import { readFile } from 'node:fs/promises';
import { assignmentsFromSource, type TestAssignment } from '../agents/assignment.js';
import { AGENT_STALE_AFTER_MS, Coordination, type AgentRow } from '../agents/coordination.js';
import { renderCoordinatorPage, testViews, type TestView } from '../agents/view.js';
import { sourceHash } from '../agents/agent-loop.js';
import { MetricsSink } from '../metrics/registry.js';
import { serveDaemon, type DaemonServer } from './daemon-server.js';
import { EXIT, JobError } from './errors.js';

export interface CoordinatorOptions {
  url: string;
  /** A plan file to judge coverage by; default: the latest plan published to the store. */
  planFile?: string;
  port: number;
  host?: string;
  log: (line: string) => void;
  staleAfterMs?: number;
  /** How often the view is refreshed from the store (default 5 s). */
  refreshMs?: number;
}

export interface Coordinator {
  url: string;
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const coordination = new Coordination(options.url);
  const metrics = new MetricsSink({ coordinator: true });
  const view = { plan: '(none published)', planSource: '', agents: [] as AgentRow[], tests: [] as TestView[], problem: '' };
  try {
    await coordination.ensureSchema();
  } catch (e) {
    await coordination.close();
    throw new JobError(`shared store ${coordination.description}: ${(e as Error).message}`, EXIT.setupFailed);
  }

  async function planAssignments(): Promise<{ name: string; source: string; assignments: TestAssignment[] }> {
    if (options.planFile) {
      const text = await readFile(options.planFile, 'utf8');
      return { ...assignmentsFromSource(text), source: options.planFile };
    }
    const latest = await coordination.latestPlan();
    if (!latest) return { name: '(none published)', source: 'none published: `lakeprobe publish-plan`', assignments: [] };
    return { ...assignmentsFromSource(latest.source), source: `published version ${latest.version} (${latest.planHash.slice(0, 12)})` };
  }

  let refreshing: Promise<void> | null = null;
  const refresh = (): Promise<void> => (refreshing ??= (async () => {
    try {
      for (const a of await coordination.markStale(options.staleAfterMs ?? AGENT_STALE_AFTER_MS)) {
        options.log(`${new Date().toISOString()} agent ${a.name} is down since ${a.lastHeartbeat.toISOString()}: its unfinished runs are marked interrupted`);
      }
      const plan = await planAssignments();
      const agents = await coordination.agents();
      const tests = testViews(plan.assignments, agents, await coordination.lastRuns());
      Object.assign(view, { plan: plan.name, planSource: plan.source, agents, tests, problem: '' });
      publishMetrics(metrics, agents, tests);
    } catch (e) {
      view.problem = (e as Error).message;
    }
  })().finally(() => { refreshing = null; }));

  await refresh();
  const timer = setInterval(() => { void refresh(); }, options.refreshMs ?? 5000);
  timer.unref();
  let server: DaemonServer;
  try {
    server = await serveDaemon({
      registry: metrics,
      unhealthy: () => (view.problem ? `shared store: ${view.problem}` : null),
      statusPage: () => renderCoordinatorPage({
        plan: view.plan, planSource: view.planSource, store: coordination.description, now: new Date(),
        agents: view.agents, tests: view.tests, refreshSeconds: 10,
      }),
    }, options.port, options.host);
  } catch (e) {
    clearInterval(timer);
    await coordination.close();
    throw new JobError(`cannot serve on port ${options.port}: ${(e as Error).message}`, EXIT.setupFailed);
  }
  return {
    url: server.url, refresh,
    stop: async () => {
      clearInterval(timer);
      await refreshing;
      await server.close();
      await coordination.close();
    },
  };
}

function publishMetrics(metrics: MetricsSink, agents: readonly AgentRow[], tests: readonly TestView[]): void {
  for (const a of agents) {
    const labels = { agent: a.name };
    metrics.gauge('agentUp').set(labels, a.state === 'down' ? 0 : 1);
    metrics.gauge('agentDownSince').set(labels, a.state === 'down' ? (a.downSince ?? a.lastHeartbeat).getTime() / 1000 : 0);
    metrics.gauge('agentHeartbeat').set(labels, a.lastHeartbeat.getTime() / 1000);
    metrics.gauge('agentClockOffset').set(labels, a.clockOffsetMs / 1000);
  }
  metrics.gauge('testWithoutAgent').reset();
  for (const t of tests) metrics.gauge('testWithoutAgent').set({ experiment: t.experiment, test: t.test }, t.uncovered ? 1 : 0);
}

/** Publishes a plan's source as the next version; agents pick it up at their next heartbeat. */
export async function publishPlan(options: { url: string; planFile: string; planName: string }): Promise<{ version: number; hash: string }> {
  const coordination = new Coordination(options.url);
  try {
    await coordination.ensureSchema();
    const source = await readFile(options.planFile, 'utf8');
    const hash = sourceHash(source);
    const version = await coordination.publishPlan({ name: options.planName, hash, source });
    return { version, hash };
  } catch (e) {
    throw new JobError(`shared store ${coordination.description}: ${(e as Error).message}`, EXIT.setupFailed);
  } finally {
    await coordination.close();
  }
}
