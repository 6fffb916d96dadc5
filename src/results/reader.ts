// The read side of the results store, one interface over both back ends: a SQLite file (the
// embedded default, or an agent's journal) and the shared PostgreSQL store every agent's
// journal ships to. Reads are async because PostgreSQL's are.
import type pg from 'pg';
import { planSnapshotSchema, type PlanSnapshot } from './plan-snapshot.js';
import { opResultOf, storedRun, scheduleFireOf, ResultsStore, type ScheduleFire, type StoredRun } from './store.js';
import type { OpResult } from '../engine/op-result.js';
import type { LedgerEntry } from '../engine/ledger.js';
import type { LoadSummary } from '../load/k6-summary.js';
import { migratePostgres } from './migrations.js';
import { storeLabel } from './postgres.js';

type Row = Record<string, unknown>;

export interface StoreReader {
  /** Printable name of the store (no password). */
  readonly label: string;
  runs(): Promise<StoredRun[]>;
  results(runId: string): Promise<OpResult[]>;
  /** Results that started in [from, to) (ISO-8601 times), of any run. */
  resultsBetween(from: string, to: string): Promise<OpResult[]>;
  plan(runId: string): Promise<{ hash: string; snapshot: PlanSnapshot } | undefined>;
  loadSummary(runId: string): Promise<{ tool: string; script: string; summary: LoadSummary } | undefined>;
  /** Ledger entries not done, of every journal (PostgreSQL) or of this file (SQLite). */
  pending(runId?: string): Promise<LedgerEntry[]>;
  fires(limit?: number): Promise<ScheduleFire[]>;
  schemaVersion(): Promise<number>;
}

function ledgerEntryOf(r: Row): LedgerEntry {
  return {
    id: Number(r.id), runId: String(r.run_id), kind: r.kind as LedgerEntry['kind'], rse: String(r.rse),
    target: String(r.target), authMethod: String(r.auth_method), createdAt: String(r.created_at),
    state: r.state as LedgerEntry['state'], ...(r.did ? { did: String(r.did) } : {}),
  };
}

function planOf(row: Row | undefined, label: string, runId: string): { hash: string; snapshot: PlanSnapshot } | undefined {
  if (!row) return undefined;
  const parsed = planSnapshotSchema.safeParse(JSON.parse(String(row.snapshot)));
  if (!parsed.success) throw new Error(`results store ${label}: the stored plan of run ${runId} is unreadable: ${parsed.error.message}`);
  return { hash: String(row.plan_hash), snapshot: parsed.data };
}

/** A SQLite results store, read through the common interface. */
export class SqliteReader implements StoreReader {
  readonly label: string;
  constructor(private readonly store: ResultsStore) {
    this.label = store.path;
  }

  runs(): Promise<StoredRun[]> { return Promise.resolve(this.store.runs()); }
  results(runId: string): Promise<OpResult[]> { return Promise.resolve(this.store.results(runId)); }
  resultsBetween(from: string, to: string): Promise<OpResult[]> { return Promise.resolve(this.store.resultsBetween(from, to)); }
  plan(runId: string): Promise<{ hash: string; snapshot: PlanSnapshot } | undefined> { return Promise.resolve(this.store.plan(runId)); }
  loadSummary(runId: string): Promise<{ tool: string; script: string; summary: LoadSummary } | undefined> {
    return Promise.resolve(this.store.loadSummary(runId));
  }
  pending(runId?: string): Promise<LedgerEntry[]> { return Promise.resolve(this.store.pending(runId)); }
  fires(limit?: number): Promise<ScheduleFire[]> { return Promise.resolve(this.store.fires(limit)); }
  schemaVersion(): Promise<number> {
    return Promise.resolve(Number((this.store.sqlite.prepare('SELECT MAX(version) AS v FROM schema_version').get() as Row).v));
  }
}

/** The shared PostgreSQL store (every agent's shipped journal). */
export class PgReader implements StoreReader {
  readonly label: string;
  constructor(private readonly pool: pg.Pool, url: string) {
    this.label = storeLabel(url);
  }

  /** Brings the schema up to date (a report may be the first to touch a new database). */
  async open(): Promise<this> {
    await migratePostgres(this.pool, this.label);
    return this;
  }

  private async rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  async runs(): Promise<StoredRun[]> {
    return (await this.rows('SELECT * FROM runs ORDER BY started_at DESC')).map(storedRun);
  }

  async results(runId: string): Promise<OpResult[]> {
    return (await this.rows('SELECT * FROM op_results WHERE run_id = $1 ORDER BY origin, id', [runId])).map(opResultOf);
  }

  async resultsBetween(from: string, to: string): Promise<OpResult[]> {
    return (await this.rows('SELECT * FROM op_results WHERE start >= $1 AND start < $2 ORDER BY start, origin, id', [from, to])).map(opResultOf);
  }

  async plan(runId: string): Promise<{ hash: string; snapshot: PlanSnapshot } | undefined> {
    return planOf((await this.rows('SELECT * FROM run_plans WHERE run_id = $1', [runId]))[0], this.label, runId);
  }

  async loadSummary(runId: string): Promise<{ tool: string; script: string; summary: LoadSummary } | undefined> {
    const row = (await this.rows('SELECT * FROM load_summaries WHERE run_id = $1', [runId]))[0];
    return row && { tool: String(row.tool), script: String(row.script), summary: JSON.parse(String(row.summary)) as LoadSummary };
  }

  async pending(runId?: string): Promise<LedgerEntry[]> {
    const rows = runId === undefined
      ? await this.rows("SELECT * FROM ledger WHERE state != 'done' ORDER BY created_at, origin, id")
      : await this.rows("SELECT * FROM ledger WHERE state != 'done' AND run_id = $1 ORDER BY created_at, origin, id", [runId]);
    return rows.map(ledgerEntryOf);
  }

  async fires(limit = 1000): Promise<ScheduleFire[]> {
    return (await this.rows('SELECT * FROM (SELECT * FROM schedule_fires ORDER BY due_at DESC, origin, id DESC LIMIT $1) f ORDER BY due_at, origin, id', [limit]))
      .map(scheduleFireOf);
  }

  async schemaVersion(): Promise<number> {
    return Number((await this.rows('SELECT MAX(version) AS v FROM schema_version'))[0]?.v);
  }
}

/** The selection names a run the store does not hold. */
export class StoreSelectionError extends Error {}

/** An ISO-8601 time normalised as the report job compares it; anything else as given (the report job rejects it). */
const isoOrAsIs = (t: string): string => (Number.isNaN(Date.parse(t)) ? t : new Date(Date.parse(t)).toISOString());

export interface ReportSelection {
  /** Run ids, or "latest"; empty: the latest run. */
  runs?: string[];
  from?: string;
  to?: string;
  /** Only runs of this plan name (for "latest"). */
  planName?: string;
}

/**
 * Copies what a report selection needs (the runs, their plans and results) from a store into
 * an in-memory SQLite store, so the report job reads one kind of store whatever the back end.
 */
export async function loadForReport(reader: StoreReader, sel: ReportSelection): Promise<ResultsStore> {
  const memory = new ResultsStore(':memory:');
  try {
    const runs = await reader.runs();
    let results: OpResult[];
    let chosen: StoredRun[];
    if (sel.from !== undefined || sel.to !== undefined) {
      results = await reader.resultsBetween(isoOrAsIs(sel.from ?? '1970-01-01'), isoOrAsIs(sel.to ?? new Date().toISOString()));
      const ids = new Set(results.map((r) => r.runId));
      chosen = runs.filter((r) => ids.has(r.runId));
    } else {
      const asked = sel.runs?.length ? sel.runs : ['latest'];
      const latest = runs.find((r) => !sel.planName || r.planName === sel.planName);
      chosen = runs.filter((r) => asked.includes(r.runId) || (asked.includes('latest') && r === latest));
      const missing = asked.filter((id) => (id === 'latest' ? !latest : !runs.some((r) => r.runId === id)));
      if (missing.length) throw new StoreSelectionError(`no run ${missing.map((id) => `"${id}"`).join(', ')} in the results store ${reader.label}`);
      results = [];
      // One run at a time: a bounded pool, and the results in run order.
      for (const r of chosen) for (const x of await reader.results(r.runId)) results.push(x);
    }
    // pid 0 on no host: a run that is open in the shared store is not this process's to mark interrupted.
    const write = memory.sqlite.prepare(`INSERT INTO runs (run_id, plan_name, plan_file, started_at, finished_at, total, failed, state, pid, host, agent)
      VALUES (@runId, @planName, @planFile, @startedAt, @finishedAt, @total, @failed, @state, 0, '', @agent)`);
    const plans: [string, Awaited<ReturnType<StoreReader['plan']>>][] = [];
    for (const r of chosen) plans.push([r.runId, await reader.plan(r.runId)]);
    memory.sqlite.transaction(() => {
      for (const r of chosen) write.run({ ...r, agent: r.agent ?? '' });
      for (const [runId, plan] of plans) if (plan) memory.savePlan(runId, plan.snapshot);
      for (const r of results) memory.onResult(r);
    })();
    return memory;
  } catch (e) {
    memory.close();
    throw e;
  }
}
