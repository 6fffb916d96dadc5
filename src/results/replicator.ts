// Ships the local journal to the PostgreSQL store, in write order, in batches, while the
// process runs. Each batch is one PostgreSQL transaction of upserts keyed by (journal origin,
// local id) or run id, and the outbox forgets a batch only after that commit: a crash or an
// outage between the two ships the batch again, and the keys make the second copy a no-op.
// While the database is unreachable the runs go on (the journal holds every write) and the
// state says since when; when it returns the backlog drains in order.
import type pg from 'pg';
import type { ResultsStore } from './store.js';
import { acknowledge, backlog, hasBacklog, journalOrigin, outboxBatch, type JournalTable } from './journal.js';
import { migratePostgres } from './migrations.js';
import { lockKey, pgErrorText, storeLabel } from './postgres.js';

type Row = Record<string, unknown>;

/** What the status page and the metrics say about the shared store. */
export interface ReplicaState {
  /** The store, printable (no password). */
  target: string;
  /** Journal entries not yet in PostgreSQL. */
  backlog: number;
  /** ISO time of the first failed attempt of the current outage; null while reachable. */
  unreachableSince: string | null;
  lastError: string;
  /** Entries shipped since the process started. */
  shipped: number;
}

/** The advisory lock a process holds while it reads and ships a batch of the journal `origin`. */
export const journalLockKey = (origin: string): string => lockKey(`journal:${origin}`);

/** How each table's rows meet rows already there. */
const CONFLICT: Record<JournalTable, { key: string[]; update: boolean }> = {
  runs: { key: ['run_id'], update: true },
  op_results: { key: ['origin', 'id'], update: false },
  run_plans: { key: ['run_id'], update: false },
  load_summaries: { key: ['run_id'], update: false },
  ledger: { key: ['origin', 'id'], update: true },
  schedule_fires: { key: ['origin', 'id'], update: false },
};

/** PostgreSQL takes at most 65,535 parameters per statement. */
const MAX_PARAMS = 30_000;

async function upsert(client: pg.PoolClient, table: JournalTable, rows: Row[], origin: string): Promise<void> {
  if (!rows.length) return;
  const columns = Object.keys(rows[0] as Row);
  if (!columns.includes('origin') && (CONFLICT[table].key.includes('origin') || table === 'runs')) columns.push('origin');
  const { key, update } = CONFLICT[table];
  const set = columns.filter((c) => !key.includes(c)).map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  const onConflict = `ON CONFLICT (${key.join(', ')}) ${update ? `DO UPDATE SET ${set}` : 'DO NOTHING'}`;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  for (let i = 0; i < rows.length; i += perStatement) {
    const part = rows.slice(i, i + perStatement);
    const values: unknown[] = [];
    const tuples = part.map((row) => `(${columns.map((c) => {
      values.push(c === 'origin' ? (row.origin ?? origin) : row[c]);
      return `$${values.length}`;
    }).join(', ')})`);
    await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ${onConflict}`, values);
  }
}

export interface ReplicatorOptions {
  /** Outbox entries per PostgreSQL transaction (default 2,000). */
  batch?: number;
  /** Pause between attempts while idle or unreachable (default 1 s). */
  intervalMs?: number;
  log?: (line: string) => void;
}

export class Replicator {
  private readonly origin: string;
  private readonly batch: number;
  private readonly intervalMs: number;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<number> | undefined;
  private migrated = false;
  private shipped = 0;
  private unreachableSince: string | null = null;
  private lastError = '';

  constructor(private readonly journal: ResultsStore, private readonly pool: pg.Pool, private readonly url: string, o: ReplicatorOptions = {}) {
    this.origin = journalOrigin(journal.sqlite);
    this.batch = o.batch ?? 2_000;
    this.intervalMs = o.intervalMs ?? 1_000;
    this.log = o.log ?? (() => {});
  }

  /** Ships in the background until stopped. */
  start(): void {
    const loop = (): void => {
      this.timer = setTimeout(() => {
        void this.drain().finally(() => { if (this.timer) loop(); });
      }, this.intervalMs);
      this.timer.unref();
    };
    loop();
  }

  state(): ReplicaState {
    return {
      target: storeLabel(this.url), backlog: this.journal.isOpen ? backlog(this.journal.sqlite) : 0,
      unreachableSince: this.unreachableSince, lastError: this.lastError, shipped: this.shipped,
    };
  }

  /** One batch; resolves to the entries shipped (0: nothing to ship, or the store is away). */
  shipOnce(): Promise<number> {
    this.inFlight ??= this.ship().finally(() => { this.inFlight = undefined; });
    return this.inFlight;
  }

  /** Ships until the outbox is empty or the store fails; returns the entries shipped. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.shipOnce();
      total += n;
      if (n === 0) return total;
    }
  }

  /** Ships everything written so far, retrying until `timeoutMs`; true when nothing is left. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.drain();
      if (!this.journal.isOpen || !hasBacklog(this.journal.sqlite)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, Math.min(this.intervalMs, Math.max(0, deadline - Date.now()))));
    }
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private async ship(): Promise<number> {
    if (!this.journal.isOpen) return 0;
    if (this.migrated && !hasBacklog(this.journal.sqlite)) return 0;
    let client: pg.PoolClient | undefined;
    try {
      if (!this.migrated) {
        await migratePostgres(this.pool, storeLabel(this.url));
        this.migrated = true;
      }
      client = await this.pool.connect();
      await client.query('BEGIN');
      // Two processes may ship one journal (one --journal for both): each reads its batch only
      // once it holds the journal's lock, which its commit releases, so a later commit always
      // carries rows read later and never puts an older run state over a newer one.
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [journalLockKey(this.origin)]);
      const work = this.journal.isOpen ? outboxBatch(this.journal.sqlite, this.batch) : undefined;
      if (!work) {
        await client.query('COMMIT');
        return this.reachable(0);
      }
      for (const [table, rows] of work.rows) await upsert(client, table, rows, this.origin);
      await client.query('COMMIT');
      // Committed: only now may the journal forget the batch.
      if (this.journal.isOpen) acknowledge(this.journal.sqlite, work.upTo);
      this.shipped += work.entries;
      return this.reachable(work.entries);
    } catch (e) {
      await client?.query('ROLLBACK').catch(() => {});
      this.unreachable(e);
      return 0;
    } finally {
      client?.release();
    }
  }

  private reachable(n: number): number {
    if (this.unreachableSince) {
      const away = Math.round((Date.now() - Date.parse(this.unreachableSince)) / 1000);
      this.log(`results store ${storeLabel(this.url)} reachable again after ${away} s: shipping the local journal`);
    }
    this.unreachableSince = null;
    this.lastError = '';
    return n;
  }

  private unreachable(e: unknown): void {
    const code = (e as { code?: string }).code;
    this.lastError = pgErrorText(e, this.url) || code || 'unknown error';
    if (this.unreachableSince) return;
    this.unreachableSince = new Date().toISOString();
    this.log(`results store ${storeLabel(this.url)} unreachable (${this.lastError}): results are kept in the local journal ${this.journal.path} and shipped when it returns`);
  }
}
