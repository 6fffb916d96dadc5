// An agent's side of coordination: it heartbeats into the shared store (with its clock
// offset), marks agents it sees stale as down, and notices a newly published plan.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AGENT_STALE_AFTER_MS, claimAgentName, Coordination, HEARTBEAT_INTERVAL_MS, type AgentRow } from './coordination.js';
import type { SharedLocks } from '../schedule/scheduler.js';
import { EXIT, JobError } from '../jobs/errors.js';

export const sourceHash = (source: string): string => createHash('sha256').update(source).digest('hex');

/**
 * Where an agent keeps the published plan: beside its own plan file, so paths the plan
 * names relative to itself (user scenarios, sandbox config) still resolve.
 */
export const publishedPlanPath = (planFile: string): string => join(dirname(planFile), `.${basename(planFile)}.published.yaml`);

export interface AgentLoopOptions {
  coordination: Coordination;
  name: string;
  /** The hash of the plan source the agent runs now, and the test keys it runs. */
  current: () => { planHash: string; tests: string[] };
  log: (line: string) => void;
  /** A newer plan was published and written to `file`: reload from it. */
  onPublished: (file: string, version: number) => void;
  /** The agent's own plan file (the published one is written beside it). */
  planFile: string;
  heartbeatMs?: number;
  staleAfterMs?: number;
}

/** The plan an agent starts with: the latest published version when there is one, else its own file. */
export async function startingPlanFile(coordination: Coordination, planFile: string): Promise<{ file: string; version: number }> {
  const latest = await coordination.latestPlan();
  if (!latest) return { file: planFile, version: 0 };
  const file = publishedPlanPath(planFile);
  await writeFile(file, latest.source, { mode: 0o600 });
  return { file, version: latest.version };
}

export class AgentLoop {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date();
  private lastProblem = '';
  private beating: Promise<void> | null = null;
  /** What the store said at the last heartbeat (for the status page). */
  agents: AgentRow[] = [];
  clockOffsetMs: number | null = null;

  constructor(private readonly options: AgentLoopOptions, private seenVersion: number) {}

  get staleAfterMs(): number {
    return this.options.staleAfterMs ?? AGENT_STALE_AFTER_MS;
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => { void this.beat(); }, this.options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  /** One heartbeat, then a look at the others and at the published plan; a store that is away is logged once, not fatal. */
  beat(): Promise<void> {
    return (this.beating ??= this.beatOnce().finally(() => { this.beating = null; }));
  }

  private async beatOnce(): Promise<void> {
    const { coordination, name, log } = this.options;
    try {
      this.clockOffsetMs = await coordination.heartbeat({ name, startedAt: this.startedAt, ...this.options.current() });
      for (const a of await coordination.markStale(this.staleAfterMs)) {
        log(`agent ${a.name} (${a.host} pid ${a.pid}) is down since ${a.lastHeartbeat.toISOString()}: its unfinished runs are marked interrupted`);
      }
      this.agents = await coordination.agents();
      const latest = await coordination.latestPlan();
      if (latest && latest.version > this.seenVersion) {
        this.seenVersion = latest.version;
        if (latest.planHash !== this.options.current().planHash) {
          const file = publishedPlanPath(this.options.planFile);
          await writeFile(file, latest.source, { mode: 0o600 });
          log(`plan version ${latest.version} (${latest.planHash.slice(0, 12)}) published at ${latest.publishedAt.toISOString()}: reloading`);
          this.options.onPublished(file, latest.version);
        }
      }
      if (this.lastProblem) log(`shared store ${coordination.description} reachable again`);
      this.lastProblem = '';
    } catch (e) {
      const problem = (e as Error).message;
      if (problem !== this.lastProblem) log(`warning: heartbeat into ${coordination.description} failed: ${problem}`);
      this.lastProblem = problem;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    await this.options.coordination.stopped(this.options.name).catch(() => {});
  }
}

/** Connects to the shared store and, for an agent, claims its name for this process's lifetime. */
export async function openCoordination(url: string, agent: string | undefined): Promise<Coordination> {
  const coordination = new Coordination(url);
  try {
    await coordination.ensureSchema();
    if (agent && !(await claimAgentName(coordination, agent))) {
      throw new Error(`agent ${agent} already runs (another process holds its name in the store)`);
    }
    return coordination;
  } catch (e) {
    await coordination.close();
    throw new JobError(`shared store ${coordination.description}: ${(e as Error).message}`, EXIT.setupFailed);
  }
}

/** The store's locks for the scheduler: a lock the store cannot give (it is away) is a busy link, said, never run unguarded. */
export function guardedLocks(coordination: Coordination, log: (line: string) => void): SharedLocks {
  return {
    tryAcquire: (names) => coordination.tryAcquire(names).catch((e: Error) => {
      log(`warning: cannot take ${names.join(', ')} in ${coordination.description}: ${e.message}`);
      return null;
    }),
  };
}
