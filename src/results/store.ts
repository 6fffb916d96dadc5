import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { migrateSqlite } from './migrations.js';
import { enableJournal } from './journal.js';
import { planHash, planSnapshotSchema, type PlanSnapshot } from './plan-snapshot.js';
import type { LedgerEntry, NewLedgerEntry, CleanupLedger } from '../engine/ledger.js';
import type { CheckFact, OpResult, TransferFact, RunInfo, RunSummary, Sink } from '../engine/op-result.js';
import type { LoadSummary } from '../load/k6-summary.js';
import type { OutputKind, OutputRecord, OutputStore } from '../engine/outputs.js';
import { insertOutput, latestOutput } from './output-table.js';

/** OpResult fields and their columns, in the order of both back ends' tables. */
export const COLUMNS: [keyof OpResult, string][] = [
  ['runId', 'run_id'], ['experiment', 'experiment'], ['test', 'test'], ['scenario', 'scenario'],
  ['operation', 'operation'], ['rse', 'rse'], ['srcRse', 'src_rse'], ['dstRse', 'dst_rse'],
  ['protocol', 'protocol'], ['authMethod', 'auth_method'], ['identityRole', 'identity_role'],
  ['bytes', 'bytes'], ['sizeClass', 'size_class'], ['start', 'start'], ['durationMs', 'duration_ms'],
  ['outcome', 'outcome'], ['errorClass', 'error_class'], ['errorMessage', 'error_message'],
  ['ruleId', 'rule_id'], ['requestId', 'request_id'], ['severity', 'severity'], ['tokenUse', 'token_use'],
];

type Row = Record<string, unknown>;

export interface ScheduleFire {
  experiment: string;
  test: string;
  /** The schedule as the plan states it (cron or interval). */
  schedule: string;
  dueAt: string;
  runId: string;
}

export function scheduleFireOf(r: Row): ScheduleFire {
  return { experiment: String(r.experiment), test: String(r.test), schedule: String(r.schedule), dueAt: String(r.due_at), runId: String(r.run_id) };
}

export type RunState = 'running' | 'finished' | 'interrupted';

export interface StoredRun extends RunInfo {
  finishedAt: string | null;
  total: number | null;
  failed: number | null;
  state: RunState;
  /** The agent that ran it (absent when none was named). */
  agent?: string;
}

export function storedRun(r: Row): StoredRun {
  return {
    runId: String(r.run_id), planName: String(r.plan_name), planFile: String(r.plan_file),
    startedAt: String(r.started_at), finishedAt: (r.finished_at as string | null) ?? null,
    total: r.total === null || r.total === undefined ? null : Number(r.total),
    failed: r.failed === null || r.failed === undefined ? null : Number(r.failed),
    state: (r.state as RunState | undefined) ?? (r.finished_at ? 'finished' : 'running'),
    ...(r.agent ? { agent: String(r.agent) } : {}),
  };
}

/** A stored row as an OpResult (PostgreSQL's BIGINT arrives as a string). */
export function opResultOf(row: Row): OpResult {
  const result: Record<string, unknown> = {};
  for (const [key, column] of COLUMNS) result[key] = row[column];
  if (!result.tokenUse) delete result.tokenUse;
  if (row.agent) result.agent = String(row.agent);
  result.bytes = Number(row.bytes);
  if (typeof row.check_fact === 'string' && row.check_fact) result.check = JSON.parse(row.check_fact) as CheckFact;
  if (typeof row.transfer === 'string' && row.transfer) result.transfer = JSON.parse(row.transfer) as TransferFact;
  return result as unknown as OpResult;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The results store (SQLite, WAL). Inserts are synchronous, so an OpResult is
 * on disk before any other sink reports it. Also holds the cleanup ledger.
 *
 * With a PostgreSQL store (`--db postgresql://…`) this file is the agent's local durable
 * journal: every write still lands here first, synchronously, and triggers list it in an
 * outbox that the replicator (replicator.ts) ships to PostgreSQL in order, idempotently,
 * whenever the database is reachable. Reads go through the StoreReader interface
 * (reader.ts), over this file or over PostgreSQL. Design: docs/results-store.md.
 */
export class ResultsStore implements Sink, CleanupLedger, OutputStore {
  /** The SQLite connection, for the journal's outbox and the readers. */
  readonly sqlite: Database.Database;
  private readonly insertResult: Database.Statement;

  /** `journal`: the local journal of a PostgreSQL store; `agent`: recorded on every run and result written. */
  constructor(readonly path: string, private readonly options: { journal?: boolean; agent?: string } = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.sqlite = new Database(path);
    this.sqlite.pragma('journal_mode = WAL');
    this.sqlite.pragma('synchronous = NORMAL');
    migrateSqlite(this.sqlite, `results store ${path}`);
    if (options.journal) enableJournal(this.sqlite);
    this.insertResult = this.sqlite.prepare(
      `INSERT INTO op_results (${COLUMNS.map(([, c]) => c).join(', ')}, check_fact, transfer, agent)
       VALUES (${COLUMNS.map(([, c]) => `@${c}`).join(', ')}, @check_fact, @transfer, @agent)`,
    );
  }

  private get db(): Database.Database {
    return this.sqlite;
  }

  onBegin(run: RunInfo): void {
    this.db.prepare("INSERT INTO runs (run_id, plan_name, plan_file, started_at, state, pid, host, agent) VALUES (?, ?, ?, ?, 'running', ?, ?, ?)")
      .run(run.runId, run.planName, run.planFile, run.startedAt, process.pid, hostname(), this.options.agent ?? '');
  }

  onResult(result: OpResult): void {
    const row: Row = {};
    for (const [key, column] of COLUMNS) row[column] = result[key];
    row.token_use ??= '';
    row.check_fact = result.check ? JSON.stringify(result.check) : '';
    row.transfer = result.transfer ? JSON.stringify(result.transfer) : '';
    // A result copied from another store keeps the agent that ran it.
    row.agent = result.agent ?? this.options.agent ?? '';
    this.insertResult.run(row);
  }

  onEnd(run: RunInfo, summary: RunSummary): void {
    this.db.prepare("UPDATE runs SET finished_at = ?, total = ?, failed = ?, state = 'finished' WHERE run_id = ?")
      .run(summary.finishedAt, summary.total, summary.failed, run.runId);
  }

  runs(): StoredRun[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY started_at DESC').all() as Row[]).map(storedRun);
  }

  /** One run by its id: a daemon asks after every run, so never by reading them all. */
  run(runId: string): StoredRun | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as Row | undefined;
    return row && storedRun(row);
  }

  results(runId: string): OpResult[] {
    return (this.db.prepare('SELECT * FROM op_results WHERE run_id = ? ORDER BY id').all(runId) as Row[]).map(opResultOf);
  }

  /** Results that started in [from, to) (ISO-8601 times), of any run. */
  resultsBetween(from: string, to: string): OpResult[] {
    return (this.db.prepare('SELECT * FROM op_results WHERE start >= ? AND start < ? ORDER BY start, id').all(from, to) as Row[])
      .map(opResultOf);
  }

  /** Stores what a report needs from the plan, once per run (the first snapshot of a run stays). */
  savePlan(runId: string, snapshot: PlanSnapshot): void {
    this.db.prepare('INSERT OR IGNORE INTO run_plans (run_id, plan_hash, snapshot) VALUES (?, ?, ?)')
      .run(runId, planHash(snapshot), JSON.stringify(snapshot));
  }

  /** The plan as it was when the run started; undefined for runs recorded before snapshots existed. */
  plan(runId: string): { hash: string; snapshot: PlanSnapshot } | undefined {
    const row = this.db.prepare('SELECT * FROM run_plans WHERE run_id = ?').get(runId) as Row | undefined;
    if (!row) return undefined;
    const parsed = planSnapshotSchema.safeParse(JSON.parse(String(row.snapshot)));
    if (!parsed.success) throw new Error(`results store ${this.path}: the stored plan of run ${runId} is unreadable: ${parsed.error.message}`);
    return { hash: String(row.plan_hash), snapshot: parsed.data };
  }

  /**
   * A load tool's end-of-test summary (aggregates, threshold verdicts, checks) as one run:
   * a run row for time windows, the summary beside it. Aggregates are never turned into
   * per-operation results.
   */
  saveLoadSummary(run: RunInfo, script: string, summary: LoadSummary, finishedAt: string): void {
    this.db.transaction(() => {
      this.onBegin(run);
      this.db.prepare('INSERT INTO load_summaries (run_id, tool, script, summary) VALUES (?, ?, ?, ?)')
        .run(run.runId, summary.tool, script, JSON.stringify(summary));
      const failed = summary.thresholds.filter((t) => !t.ok).length;
      this.onEnd(run, { total: summary.thresholds.length, failed, finishedAt });
    })();
  }

  loadSummary(runId: string): { tool: string; script: string; summary: LoadSummary } | undefined {
    const row = this.db.prepare('SELECT * FROM load_summaries WHERE run_id = ?').get(runId) as Row | undefined;
    return row && { tool: String(row.tool), script: String(row.script), summary: JSON.parse(String(row.summary)) as LoadSummary };
  }

  /** Marks one run interrupted (stopped by a signal, or its job failed), keeping what it recorded. */
  interruptRun(runId: string): void {
    this.db.prepare(`UPDATE runs SET state = 'interrupted',
      total = (SELECT COUNT(*) FROM op_results WHERE run_id = @id AND outcome != 'skipped'),
      failed = (SELECT COUNT(*) FROM op_results WHERE run_id = @id AND outcome = 'failed') WHERE run_id = @id`).run({ id: runId });
  }

  /**
   * Marks runs that never finished and whose recording process is gone (on this host) as
   * interrupted, with the totals they recorded. Returns the runs it marked.
   */
  markInterrupted(isAlive: (pid: number) => boolean = processAlive): StoredRun[] {
    const here = hostname();
    const open = (this.db.prepare("SELECT * FROM runs WHERE finished_at IS NULL AND state = 'running'").all() as Row[])
      .filter((r) => r.pid === null || r.pid === undefined || (String(r.host) === here && !isAlive(Number(r.pid))));
    this.db.transaction(() => { for (const r of open) this.interruptRun(String(r.run_id)); })();
    return open.map((r) => this.run(String(r.run_id)) as StoredRun);
  }

  intend(entry: NewLedgerEntry): number {
    const info = this.db.prepare(
      `INSERT INTO ledger (run_id, kind, rse, target, auth_method, created_at, state, did)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
    ).run(entry.runId, entry.kind, entry.rse, entry.target, entry.authMethod, new Date().toISOString(), entry.did ?? '');
    return Number(info.lastInsertRowid);
  }

  created(id: number, target?: string): void {
    if (target === undefined) this.db.prepare("UPDATE ledger SET state = 'created' WHERE id = ?").run(id);
    else this.db.prepare("UPDATE ledger SET state = 'created', target = ? WHERE id = ?").run(target, id);
  }

  done(id: number): void {
    this.db.prepare("UPDATE ledger SET state = 'done' WHERE id = ?").run(id);
  }

  pending(runId?: string): LedgerEntry[] {
    const rows = (runId === undefined
      ? this.db.prepare("SELECT * FROM ledger WHERE state != 'done' ORDER BY id").all()
      : this.db.prepare("SELECT * FROM ledger WHERE state != 'done' AND run_id = ? ORDER BY id").all(runId)) as Row[];
    return rows.map((r) => ({
      id: Number(r.id), runId: String(r.run_id), kind: r.kind as LedgerEntry['kind'], rse: String(r.rse),
      target: String(r.target), authMethod: String(r.auth_method), createdAt: String(r.created_at),
      state: r.state as LedgerEntry['state'], ...(r.did ? { did: String(r.did) } : {}),
    }));
  }

  recordOutput(output: OutputRecord): void {
    insertOutput(this.db, output);
  }

  latestOutput(experiment: string, test: string, kind: OutputKind, complete: boolean): OutputRecord | undefined {
    return latestOutput(this.db, experiment, test, kind, complete);
  }

  /** Records that the daemon started `runId` for a scheduled test due at `dueAt`. */
  recordFire(fire: ScheduleFire): void {
    this.db.prepare('INSERT INTO schedule_fires (experiment, test, schedule, due_at, run_id) VALUES (?, ?, ?, ?, ?)')
      .run(fire.experiment, fire.test, fire.schedule, fire.dueAt, fire.runId);
  }

  /** Schedule fires, oldest first (at most `limit`, the newest ones). */
  fires(limit = 1000): ScheduleFire[] {
    return (this.db.prepare('SELECT * FROM (SELECT * FROM schedule_fires ORDER BY id DESC LIMIT ?) ORDER BY id').all(limit) as Row[])
      .map(scheduleFireOf);
  }

  /** False once closed (a daemon's late runs may end after it). */
  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    this.db.close();
  }
}
