// Schema versions of the results store, one list of SQL per back end. Each store records
// the versions it has applied in `schema_version`; opening a store applies the missing ones
// in order, each in its own transaction. A new version appends an entry to both lists.
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { OUTPUTS_SCHEMA } from './output-table.js';

type Row = Record<string, unknown>;

/** SQLite version 1: the tables as the first releases created them (IF NOT EXISTS: older files have them). */
const SQLITE_V1 = `
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, plan_name TEXT NOT NULL, plan_file TEXT NOT NULL,
  started_at TEXT NOT NULL, finished_at TEXT, total INTEGER, failed INTEGER
);
CREATE TABLE IF NOT EXISTS op_results (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL, experiment TEXT NOT NULL, test TEXT NOT NULL, scenario TEXT NOT NULL,
  operation TEXT NOT NULL, rse TEXT NOT NULL, src_rse TEXT NOT NULL, dst_rse TEXT NOT NULL,
  protocol TEXT NOT NULL, auth_method TEXT NOT NULL, identity_role TEXT NOT NULL,
  bytes INTEGER NOT NULL, size_class TEXT NOT NULL, start TEXT NOT NULL, duration_ms REAL NOT NULL,
  outcome TEXT NOT NULL, error_class TEXT, error_message TEXT NOT NULL,
  rule_id TEXT NOT NULL, request_id TEXT NOT NULL, severity TEXT NOT NULL DEFAULT 'info'
);
CREATE INDEX IF NOT EXISTS op_results_run ON op_results (run_id, experiment);
CREATE TABLE IF NOT EXISTS run_plans (
  run_id TEXT PRIMARY KEY, plan_hash TEXT NOT NULL, snapshot TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS op_results_start ON op_results (start);
CREATE TABLE IF NOT EXISTS load_summaries (
  run_id TEXT PRIMARY KEY, tool TEXT NOT NULL, script TEXT NOT NULL, summary TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL, kind TEXT NOT NULL, rse TEXT NOT NULL, target TEXT NOT NULL,
  auth_method TEXT NOT NULL, created_at TEXT NOT NULL, state TEXT NOT NULL
);
`;

/** Columns added after the first release, with what earlier rows mean: added in place when missing. */
const SQLITE_ADDED_COLUMNS: { table: string; column: string; ddl: string; backfill?: string }[] = [
  { table: 'op_results', column: 'severity',
    ddl: "severity TEXT NOT NULL DEFAULT 'info'",
    backfill: "UPDATE op_results SET severity = CASE WHEN outcome = 'ok' THEN 'info' WHEN error_class IN ('embargo_violation', 'checksum_mismatch') THEN 'critical' ELSE 'error' END" },
  // running | finished | interrupted; a run recorded before states existed is finished when it has finished_at.
  { table: 'runs', column: 'state', ddl: "state TEXT NOT NULL DEFAULT 'running'",
    backfill: "UPDATE runs SET state = CASE WHEN finished_at IS NULL THEN 'running' ELSE 'finished' END" },
  // Who records the run, so a later process can tell a live run from a killed one.
  { table: 'runs', column: 'pid', ddl: 'pid INTEGER' },
  { table: 'runs', column: 'host', ddl: "host TEXT NOT NULL DEFAULT ''" },
  // The catalogue file ('scope:name') a storage file is, so cleanup can ask whether the catalogue lists it.
  { table: 'ledger', column: 'did', ddl: "did TEXT NOT NULL DEFAULT ''" },
  // The fact a result checked (deleted at origin, discoverable, placement…), as JSON; '' for none.
  { table: 'op_results', column: 'check_fact', ddl: "check_fact TEXT NOT NULL DEFAULT ''" },
];

function sqliteV1(db: Database.Database): void {
  db.exec(SQLITE_V1);
  addMissingColumns(db, SQLITE_ADDED_COLUMNS);
}

/**
 * Version 2: schedule fires, and the journal's outbox. The outbox lists, in write order, the
 * rows a replica has not yet acknowledged (filled by triggers only when the file is the
 * local journal of a PostgreSQL store); journal_meta holds the journal's stable identity.
 */
const SQLITE_V2 = `
CREATE TABLE IF NOT EXISTS schedule_fires (
  id INTEGER PRIMARY KEY AUTOINCREMENT, experiment TEXT NOT NULL, test TEXT NOT NULL,
  schedule TEXT NOT NULL, due_at TEXT NOT NULL, run_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, row_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/**
 * Version 3: a result's transfer timeline, the token audiences and scopes it used, the agent that
 * ran each run and result, and the outputs tests publish for their consumers (kept locally).
 */
const V3_COLUMNS: { table: string; column: string; ddl: string }[] = [
  // A file transfer's timeline (queued, active, ended, retried failures) as JSON; '' when none was seen.
  { table: 'op_results', column: 'transfer', ddl: "transfer TEXT NOT NULL DEFAULT ''" },
  // The token audiences and scopes a result used ('' for none or recorded before).
  { table: 'op_results', column: 'token_use', ddl: "token_use TEXT NOT NULL DEFAULT ''" },
  // The agent that ran it ('' for a process started without --agent).
  { table: 'op_results', column: 'agent', ddl: "agent TEXT NOT NULL DEFAULT ''" },
  { table: 'runs', column: 'agent', ddl: "agent TEXT NOT NULL DEFAULT ''" },
];

function addMissingColumns(db: Database.Database, columns: { table: string; column: string; ddl: string; backfill?: string }[]): void {
  for (const { table, column, ddl, backfill } of columns) {
    const have = (db.prepare(`PRAGMA table_info(${table})`).all() as Row[]).some((c) => c.name === column);
    if (have) continue;
    db.exec(`ALTER TABLE ${table} ADD COLUMN ${ddl}`);
    if (backfill) db.exec(backfill);
  }
}

function sqliteV3(db: Database.Database): void {
  addMissingColumns(db, V3_COLUMNS);
  db.exec(OUTPUTS_SCHEMA);
}

export const SQLITE_MIGRATIONS: ((db: Database.Database) => void)[] = [sqliteV1, (db) => db.exec(SQLITE_V2), sqliteV3];

/**
 * PostgreSQL version 1: the same tables. Rows written by an agent's journal carry the
 * journal's identity (`origin`) and its local id, so a row shipped twice is one row.
 */
const PG_V1 = `
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY, plan_name TEXT NOT NULL, plan_file TEXT NOT NULL,
  started_at TEXT NOT NULL, finished_at TEXT, total INTEGER, failed INTEGER,
  state TEXT NOT NULL DEFAULT 'running', pid INTEGER, host TEXT NOT NULL DEFAULT '', origin TEXT NOT NULL DEFAULT ''
);
CREATE TABLE op_results (
  origin TEXT NOT NULL, id BIGINT NOT NULL,
  run_id TEXT NOT NULL, experiment TEXT NOT NULL, test TEXT NOT NULL, scenario TEXT NOT NULL,
  operation TEXT NOT NULL, rse TEXT NOT NULL, src_rse TEXT NOT NULL, dst_rse TEXT NOT NULL,
  protocol TEXT NOT NULL, auth_method TEXT NOT NULL, identity_role TEXT NOT NULL,
  bytes BIGINT NOT NULL, size_class TEXT NOT NULL, start TEXT NOT NULL, duration_ms DOUBLE PRECISION NOT NULL,
  outcome TEXT NOT NULL, error_class TEXT, error_message TEXT NOT NULL,
  rule_id TEXT NOT NULL, request_id TEXT NOT NULL, severity TEXT NOT NULL DEFAULT 'info',
  check_fact TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (origin, id)
);
CREATE INDEX op_results_run ON op_results (run_id, experiment);
CREATE INDEX op_results_start ON op_results (start);
CREATE TABLE run_plans (run_id TEXT PRIMARY KEY, plan_hash TEXT NOT NULL, snapshot TEXT NOT NULL);
CREATE TABLE load_summaries (run_id TEXT PRIMARY KEY, tool TEXT NOT NULL, script TEXT NOT NULL, summary TEXT NOT NULL);
CREATE TABLE ledger (
  origin TEXT NOT NULL, id BIGINT NOT NULL,
  run_id TEXT NOT NULL, kind TEXT NOT NULL, rse TEXT NOT NULL, target TEXT NOT NULL,
  auth_method TEXT NOT NULL, created_at TEXT NOT NULL, state TEXT NOT NULL, did TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (origin, id)
);
`;

const PG_V2 = `
CREATE TABLE schedule_fires (
  origin TEXT NOT NULL, id BIGINT NOT NULL, experiment TEXT NOT NULL, test TEXT NOT NULL,
  schedule TEXT NOT NULL, due_at TEXT NOT NULL, run_id TEXT NOT NULL,
  PRIMARY KEY (origin, id)
);
`;

/** PostgreSQL version 3: the columns of SQLite's version 3 (test outputs stay in each agent's journal). */
const PG_V3 = `
ALTER TABLE op_results ADD COLUMN transfer TEXT NOT NULL DEFAULT '';
ALTER TABLE op_results ADD COLUMN token_use TEXT NOT NULL DEFAULT '';
ALTER TABLE op_results ADD COLUMN agent TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN agent TEXT NOT NULL DEFAULT '';
`;

export const PG_MIGRATIONS: string[] = [PG_V1, PG_V2, PG_V3];

/** The newest schema version this build knows (the same for both back ends). */
export const SCHEMA_VERSION = SQLITE_MIGRATIONS.length;

const VERSION_TABLE = 'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)';

function tooNew(have: number, where: string): Error {
  return new Error(`${where} has schema version ${have}, newer than this lakeprobe knows (${SCHEMA_VERSION}): upgrade lakeprobe`);
}

/** Applies the missing SQLite versions; returns the version the file is now at. */
export function migrateSqlite(db: Database.Database, where: string): number {
  db.exec(VERSION_TABLE);
  const have = Number((db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as Row).v ?? 0);
  if (have > SCHEMA_VERSION) throw tooNew(have, where);
  for (let v = have + 1; v <= SCHEMA_VERSION; v++) {
    db.transaction(() => {
      (SQLITE_MIGRATIONS[v - 1] as (d: Database.Database) => void)(db);
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(v, new Date().toISOString());
    })();
  }
  return SCHEMA_VERSION;
}

/** An arbitrary constant: the advisory lock that serialises agents migrating one database at once. */
const MIGRATION_LOCK = 4_210_021;

/** Applies the missing PostgreSQL versions (one agent at a time); returns the version now in place. */
export async function migratePostgres(pool: pg.Pool, where: string): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(VERSION_TABLE);
    const have = Number((await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version')).rows[0]?.v ?? 0);
    if (have > SCHEMA_VERSION) throw tooNew(have, where);
    for (let v = have + 1; v <= SCHEMA_VERSION; v++) {
      await client.query(PG_MIGRATIONS[v - 1] as string);
      await client.query('INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)', [v, new Date().toISOString()]);
    }
    await client.query('COMMIT');
    return SCHEMA_VERSION;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
