// Coordination between agents through the shared PostgreSQL store, with nothing of our
// own on the wire: heartbeats are rows in `agents`, exclusive resources are session
// advisory locks (they die with the holder's connection), runs in flight are rows in
// `agent_runs`, and the coordinator's published plan versions are rows in `published_plans`.
import { hostname } from 'node:os';
import pg from 'pg';
import type { SharedLocks } from '../schedule/scheduler.js';
import { lockKey, resolvedConnectionString, storeLabel } from '../results/postgres.js';

/** How often an agent heartbeats into the store. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** A heartbeat older than this means the agent is down (its runs are marked interrupted). */
export const AGENT_STALE_AFTER_MS = 60_000;
/** Bounds on the intervals a plan or command line may set. */
export const MIN_STALE_AFTER_MS = 2_000;
export const MAX_STALE_AFTER_MS = 86_400_000;
/** A published plan's source text. */
export const MAX_PLAN_SOURCE_BYTES = 4 * 1024 * 1024;
/** Connection and query bound, so an unreachable store never stalls the scheduler. */
const QUERY_TIMEOUT_MS = 15_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS agents (
  name TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, started_at TIMESTAMPTZ NOT NULL,
  last_heartbeat TIMESTAMPTZ NOT NULL, plan_hash TEXT NOT NULL, clock_offset_ms DOUBLE PRECISION NOT NULL,
  tests TEXT NOT NULL DEFAULT '[]', state TEXT NOT NULL DEFAULT 'running', down_since TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS agent_runs (
  run_id TEXT PRIMARY KEY, agent TEXT NOT NULL, experiment TEXT NOT NULL, test TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ, state TEXT NOT NULL, verdict TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS agent_runs_agent ON agent_runs (agent, state);
CREATE TABLE IF NOT EXISTS published_plans (
  version BIGSERIAL PRIMARY KEY, plan_name TEXT NOT NULL, plan_hash TEXT NOT NULL, source TEXT NOT NULL,
  published_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
`;

export type AgentState = 'running' | 'stopped' | 'down';

export interface AgentRow {
  name: string;
  host: string;
  pid: number;
  startedAt: Date;
  lastHeartbeat: Date;
  planHash: string;
  /** The database's clock minus the agent's, in ms. */
  clockOffsetMs: number;
  /** `experiment/test` keys the agent runs. */
  tests: string[];
  state: AgentState;
  downSince: Date | null;
}

export interface AgentRunRow {
  runId: string;
  agent: string;
  experiment: string;
  test: string;
  startedAt: Date;
  finishedAt: Date | null;
  state: 'running' | 'finished' | 'interrupted';
  verdict: string;
}

export interface PublishedPlan {
  version: number;
  planName: string;
  planHash: string;
  source: string;
  publishedAt: Date;
}

type Row = Record<string, unknown>;

function agentRow(r: Row): AgentRow {
  return {
    name: String(r.name), host: String(r.host), pid: Number(r.pid), startedAt: r.started_at as Date,
    lastHeartbeat: r.last_heartbeat as Date, planHash: String(r.plan_hash), clockOffsetMs: Number(r.clock_offset_ms),
    tests: JSON.parse(String(r.tests)) as string[], state: r.state as AgentState, downSince: (r.down_since as Date | null) ?? null,
  };
}

function runRow(r: Row): AgentRunRow {
  return {
    runId: String(r.run_id), agent: String(r.agent), experiment: String(r.experiment), test: String(r.test),
    startedAt: r.started_at as Date, finishedAt: (r.finished_at as Date | null) ?? null,
    state: r.state as AgentRunRow['state'], verdict: String(r.verdict),
  };
}

/**
 * One process's link to the coordination tables. Queries go through a small pool; advisory
 * locks live on one dedicated connection, so they are held exactly as long as that session.
 */
export class Coordination implements SharedLocks {
  private readonly pool: pg.Pool;
  private lockSession: pg.Client | null = null;

  constructor(readonly url: string) {
    this.pool = new pg.Pool({ connectionString: resolvedConnectionString(url), max: 2, connectionTimeoutMillis: QUERY_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS });
    this.pool.on('error', () => { /* a dropped idle connection: the next query reconnects */ });
  }

  get description(): string {
    return storeLabel(this.url);
  }

  /** Creates the tables when they are missing (one process at a time); a role without CREATE needs them made beforehand. */
  async ensureSchema(): Promise<void> {
    const present = await this.pool.query("SELECT to_regclass('published_plans') IS NOT NULL AND to_regclass('agent_runs') IS NOT NULL AS ok");
    if ((present.rows[0] as Row).ok) return;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey('schema')]);
      await client.query(SCHEMA);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  private async session(): Promise<pg.Client> {
    if (this.lockSession) return this.lockSession;
    const client = new pg.Client({ connectionString: resolvedConnectionString(this.url), connectionTimeoutMillis: QUERY_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS });
    // Locks die with the session: a lost connection drops them, and the next acquire opens a new one.
    client.on('error', () => { if (this.lockSession === client) this.lockSession = null; });
    client.on('end', () => { if (this.lockSession === client) this.lockSession = null; });
    await client.connect();
    this.lockSession = client;
    return client;
  }

  /** All of `names` as session advisory locks, or none (null when another session holds one). */
  async tryAcquire(names: readonly string[]): Promise<(() => Promise<void>) | null> {
    const client = await this.session();
    const held: string[] = [];
    const release = async (): Promise<void> => {
      for (const key of held.splice(0)) await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => {});
    };
    for (const name of [...new Set(names)].sort()) {
      const key = lockKey(name);
      const r = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
      if (!(r.rows[0] as Row).ok) {
        await release();
        return null;
      }
      held.push(key);
    }
    return release;
  }

  /** The database's clock minus this machine's, from the mid-point of one round trip (ms). */
  async clockOffsetMs(): Promise<number> {
    const before = Date.now();
    const r = await this.pool.query('SELECT extract(epoch FROM clock_timestamp()) * 1000 AS now');
    const after = Date.now();
    return Number((r.rows[0] as Row).now) - (before + after) / 2;
  }

  async heartbeat(agent: { name: string; startedAt: Date; planHash: string; tests: string[] }): Promise<number> {
    const offset = await this.clockOffsetMs();
    await this.pool.query(
      `INSERT INTO agents (name, host, pid, started_at, last_heartbeat, plan_hash, clock_offset_ms, tests, state, down_since)
       VALUES ($1, $2, $3, $4, now(), $5, $6, $7, 'running', NULL)
       ON CONFLICT (name) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, started_at = EXCLUDED.started_at,
         last_heartbeat = now(), plan_hash = EXCLUDED.plan_hash, clock_offset_ms = EXCLUDED.clock_offset_ms,
         tests = EXCLUDED.tests, state = 'running', down_since = NULL`,
      [agent.name, hostname(), process.pid, agent.startedAt, agent.planHash, offset, JSON.stringify(agent.tests)],
    );
    return offset;
  }

  /** A clean stop: the agent is not down, it left. */
  async stopped(name: string): Promise<void> {
    await this.pool.query("UPDATE agents SET state = 'stopped' WHERE name = $1", [name]);
  }

  /**
   * Agents whose heartbeat is older than `staleAfterMs` (by the database's clock) are down
   * since their last heartbeat; their unfinished runs are interrupted, here and in the
   * shared results store's `runs` when it has one. Returns the agents newly seen down.
   */
  async markStale(staleAfterMs: number): Promise<AgentRow[]> {
    const down = (await this.pool.query(
      `UPDATE agents SET state = 'down', down_since = last_heartbeat
       WHERE state = 'running' AND last_heartbeat < now() - make_interval(secs => $1) RETURNING *`,
      [staleAfterMs / 1000],
    )).rows.map(agentRow);
    if (down.length === 0) return down;
    const names = down.map((a) => a.name);
    await this.pool.query("UPDATE agent_runs SET state = 'interrupted', finished_at = now() WHERE agent = ANY($1) AND state = 'running'", [names]);
    const shared = await this.pool.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'runs' AND column_name = 'agent' AND table_schema = current_schema()",
    );
    if (shared.rowCount) await this.pool.query("UPDATE runs SET state = 'interrupted' WHERE agent = ANY($1) AND state = 'running'", [names]);
    return down;
  }

  async runStarted(run: { runId: string; agent: string; experiment: string; test: string; startedAt: Date }): Promise<void> {
    await this.pool.query(
      "INSERT INTO agent_runs (run_id, agent, experiment, test, started_at, state) VALUES ($1, $2, $3, $4, $5, 'running') ON CONFLICT (run_id) DO NOTHING",
      [run.runId, run.agent, run.experiment, run.test, run.startedAt],
    );
  }

  async runEnded(runId: string, state: 'finished' | 'interrupted', verdict: string, finishedAt: Date): Promise<void> {
    await this.pool.query('UPDATE agent_runs SET state = $2, verdict = $3, finished_at = $4 WHERE run_id = $1', [runId, state, verdict.slice(0, 1000), finishedAt]);
  }

  async agents(): Promise<AgentRow[]> {
    return (await this.pool.query('SELECT * FROM agents ORDER BY name')).rows.map(agentRow);
  }

  /**
   * The agents, or none in a store no agent ever joined (it has no `agents` table): read only, for
   * reports. An agent whose heartbeat is stale but that nobody has marked down yet (no agent or
   * coordinator left to see it) reads as down since its last heartbeat, as markStale would record it.
   */
  async agentsIfAny(staleAfterMs = AGENT_STALE_AFTER_MS): Promise<AgentRow[]> {
    const present = await this.pool.query("SELECT to_regclass('agents') IS NOT NULL AS ok");
    if (!(present.rows[0] as Row).ok) return [];
    const rows = (await this.pool.query(
      `SELECT *, state = 'running' AND last_heartbeat < now() - make_interval(secs => $1) AS stale FROM agents ORDER BY name`,
      [staleAfterMs / 1000],
    )).rows as Row[];
    return rows.map((r) => {
      const a = agentRow(r);
      return r.stale ? { ...a, state: 'down', downSince: a.lastHeartbeat } : a;
    });
  }

  /** The latest run of each test (by start), with its verdict. */
  async lastRuns(): Promise<AgentRunRow[]> {
    return (await this.pool.query(
      'SELECT DISTINCT ON (experiment, test) * FROM agent_runs ORDER BY experiment, test, started_at DESC',
    )).rows.map(runRow);
  }

  async runsOf(agent: string): Promise<AgentRunRow[]> {
    return (await this.pool.query('SELECT * FROM agent_runs WHERE agent = $1 ORDER BY started_at', [agent])).rows.map(runRow);
  }

  async publishPlan(plan: { name: string; hash: string; source: string }): Promise<number> {
    if (Buffer.byteLength(plan.source) > MAX_PLAN_SOURCE_BYTES) throw new Error(`the plan is larger than ${MAX_PLAN_SOURCE_BYTES} bytes`);
    const r = await this.pool.query('INSERT INTO published_plans (plan_name, plan_hash, source) VALUES ($1, $2, $3) RETURNING version', [plan.name, plan.hash, plan.source]);
    return Number((r.rows[0] as Row).version);
  }

  async latestPlan(): Promise<PublishedPlan | undefined> {
    const r = (await this.pool.query('SELECT * FROM published_plans ORDER BY version DESC LIMIT 1')).rows[0] as Row | undefined;
    return r && {
      version: Number(r.version), planName: String(r.plan_name), planHash: String(r.plan_hash), source: String(r.source), publishedAt: r.published_at as Date,
    };
  }

  async close(): Promise<void> {
    const session = this.lockSession;
    this.lockSession = null;
    await session?.end().catch(() => {});
    await this.pool.end().catch(() => {});
  }
}

/** Claims an agent name for this process's lifetime (a session lock): two processes never run as one agent. */
export async function claimAgentName(coordination: Coordination, name: string): Promise<boolean> {
  return (await coordination.tryAcquire([`agent:${name}`])) !== null;
}
