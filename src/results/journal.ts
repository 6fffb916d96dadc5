// The local durable journal of a PostgreSQL store: the agent's SQLite file, plus an outbox
// filled by triggers in the same transaction as each write, so the order of the outbox is
// the order of the writes and no write can be on disk without its outbox entry.
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';

type Row = Record<string, unknown>;

/** The tables a journal ships, each with the column that keys a row locally. */
export const JOURNAL_TABLES = {
  runs: 'run_id',
  op_results: 'id',
  run_plans: 'run_id',
  load_summaries: 'run_id',
  ledger: 'id',
  schedule_fires: 'id',
} as const;
export type JournalTable = keyof typeof JOURNAL_TABLES;

/** Tables whose rows change after they are written (their latest content is shipped). */
const UPDATED: readonly JournalTable[] = ['runs', 'ledger'];

/** Turns the file into a journal: the outbox triggers, and the journal's identity. */
export function enableJournal(db: Database.Database): void {
  const triggers = Object.entries(JOURNAL_TABLES).flatMap(([table, key]) =>
    (['INSERT', ...(UPDATED.includes(table as JournalTable) ? ['UPDATE'] : [])]).map((event) =>
      `CREATE TRIGGER IF NOT EXISTS outbox_${table}_${event.toLowerCase()} AFTER ${event} ON ${table}
       BEGIN INSERT INTO outbox (tbl, row_key) VALUES ('${table}', NEW.${key}); END;`));
  db.transaction(() => {
    db.exec(triggers.join('\n'));
    db.prepare("INSERT OR IGNORE INTO journal_meta (key, value) VALUES ('origin', ?)").run(randomUUID());
  })();
}

/** The journal's stable identity: with a local id, the key of each of its rows in PostgreSQL. */
export function journalOrigin(db: Database.Database): string {
  const row = db.prepare("SELECT value FROM journal_meta WHERE key = 'origin'").get() as Row | undefined;
  if (!row) throw new Error('not a journal: no origin recorded');
  return String(row.value);
}

export interface OutboxBatch {
  /** The last outbox entry covered; acknowledged once the replica has committed the batch. */
  upTo: number;
  /** Each table's rows, in write order, each row once, as they are now. */
  rows: Map<JournalTable, Row[]>;
  entries: number;
}

/** Up to `limit` outbox entries, oldest first, with the rows they name. Undefined when empty. */
export function outboxBatch(db: Database.Database, limit: number): OutboxBatch | undefined {
  const entries = db.prepare('SELECT seq, tbl, row_key FROM outbox ORDER BY seq LIMIT ?').all(limit) as Row[];
  if (!entries.length) return undefined;
  const keys = new Map<JournalTable, string[]>();
  for (const e of entries) {
    const table = e.tbl as JournalTable;
    const list = keys.get(table) ?? [];
    if (!list.includes(String(e.row_key))) list.push(String(e.row_key));
    keys.set(table, list);
  }
  const rows = new Map<JournalTable, Row[]>();
  for (const [table, list] of keys) {
    const key = JOURNAL_TABLES[table];
    const found: Row[] = [];
    // Bounded IN lists (SQLite's parameter limit).
    for (let i = 0; i < list.length; i += 500) {
      const part = list.slice(i, i + 500);
      found.push(...(db.prepare(`SELECT * FROM ${table} WHERE ${key} IN (${part.map(() => '?').join(',')}) ORDER BY ${key}`).all(...part) as Row[]));
    }
    rows.set(table, found);
  }
  return { upTo: Number((entries[entries.length - 1] as Row).seq), rows, entries: entries.length };
}

/** Forgets the entries up to `upTo`: the replica holds them. */
export function acknowledge(db: Database.Database, upTo: number): void {
  db.prepare('DELETE FROM outbox WHERE seq <= ?').run(upTo);
}

/** Entries not yet acknowledged. */
export function backlog(db: Database.Database): number {
  return Number((db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as Row).n);
}

/** Whether anything waits to be shipped: one row looked up, not the outbox counted (the shipper asks every second). */
export function hasBacklog(db: Database.Database): boolean {
  return db.prepare('SELECT 1 FROM outbox LIMIT 1').get() !== undefined;
}
