// The catalogue's SQLite schema. Times are epoch milliseconds; enum-like
// columns hold Rucio's names (rule/lock/request states) or one-letter replica codes.
import Database from 'better-sqlite3';

export type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  name TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'ACTIVE', email TEXT,
  admin INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS identities (
  kind TEXT NOT NULL, identity TEXT NOT NULL, account TEXT NOT NULL, salt TEXT, password_hash TEXT,
  is_default INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, PRIMARY KEY (kind, identity, account));
CREATE TABLE IF NOT EXISTS tokens (
  token TEXT PRIMARY KEY, account TEXT NOT NULL, identity TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rses (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, rse_type TEXT NOT NULL DEFAULT 'DISK',
  deterministic INTEGER NOT NULL DEFAULT 1, volatile INTEGER NOT NULL DEFAULT 0, staging_area INTEGER NOT NULL DEFAULT 0,
  availability_read INTEGER NOT NULL DEFAULT 1, availability_write INTEGER NOT NULL DEFAULT 1,
  availability_delete INTEGER NOT NULL DEFAULT 1, city TEXT, region_code TEXT, country_name TEXT, continent TEXT,
  time_zone TEXT, isp TEXT, asn TEXT, longitude REAL, latitude REAL, qos_class TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rse_attributes (
  rse_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (rse_id, key));
CREATE TABLE IF NOT EXISTS rse_protocols (
  rse_id TEXT NOT NULL, scheme TEXT NOT NULL, hostname TEXT NOT NULL, port INTEGER NOT NULL, prefix TEXT NOT NULL,
  impl TEXT NOT NULL, domains TEXT NOT NULL, extended_attributes TEXT,
  PRIMARY KEY (rse_id, scheme, hostname, port));
CREATE TABLE IF NOT EXISTS account_limits (
  account TEXT NOT NULL, rse_id TEXT NOT NULL, bytes INTEGER NOT NULL, PRIMARY KEY (account, rse_id));
CREATE TABLE IF NOT EXISTS scopes (scope TEXT PRIMARY KEY, account TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dids (
  scope TEXT NOT NULL, name TEXT NOT NULL, did_type TEXT NOT NULL, account TEXT NOT NULL,
  is_open INTEGER, monotonic INTEGER NOT NULL DEFAULT 0, bytes INTEGER, md5 TEXT, adler32 TEXT, guid TEXT,
  expired_at INTEGER, meta TEXT NOT NULL DEFAULT '{}', closed_at INTEGER, length INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (scope, name));
CREATE INDEX IF NOT EXISTS dids_expired ON dids (expired_at);
CREATE TABLE IF NOT EXISTS contents (
  scope TEXT NOT NULL, name TEXT NOT NULL, child_scope TEXT NOT NULL, child_name TEXT NOT NULL,
  child_type TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (scope, name, child_scope, child_name));
CREATE INDEX IF NOT EXISTS contents_child ON contents (child_scope, child_name);
CREATE TABLE IF NOT EXISTS contents_history (
  scope TEXT NOT NULL, name TEXT NOT NULL, child_scope TEXT NOT NULL, child_name TEXT NOT NULL, did_type TEXT NOT NULL,
  child_type TEXT NOT NULL, bytes INTEGER, adler32 TEXT, md5 TEXT, guid TEXT, did_created_at INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, deleted_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS contents_history_did ON contents_history (scope, name);
CREATE TABLE IF NOT EXISTS deleted_dids (
  scope TEXT NOT NULL, name TEXT NOT NULL, did_type TEXT NOT NULL, account TEXT NOT NULL,
  is_open INTEGER, monotonic INTEGER NOT NULL DEFAULT 0, bytes INTEGER, md5 TEXT, adler32 TEXT, guid TEXT,
  expired_at INTEGER, meta TEXT NOT NULL DEFAULT '{}', closed_at INTEGER, length INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, deleted_at INTEGER NOT NULL, PRIMARY KEY (scope, name));
CREATE TABLE IF NOT EXISTS dids_followed (
  scope TEXT NOT NULL, name TEXT NOT NULL, account TEXT NOT NULL, did_type TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (scope, name, account));
CREATE TABLE IF NOT EXISTS replicas (
  rse_id TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL, bytes INTEGER NOT NULL, md5 TEXT, adler32 TEXT,
  state TEXT NOT NULL, path TEXT, tombstone INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (rse_id, scope, name));
CREATE INDEX IF NOT EXISTS replicas_did ON replicas (scope, name);
CREATE TABLE IF NOT EXISTS rules (
  id TEXT PRIMARY KEY, account TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL, did_type TEXT NOT NULL,
  state TEXT NOT NULL, error TEXT, rse_expression TEXT NOT NULL, rse_ids TEXT NOT NULL, copies INTEGER NOT NULL,
  expires_at INTEGER, weight TEXT, locked INTEGER NOT NULL DEFAULT 0, grouping TEXT NOT NULL, activity TEXT NOT NULL,
  notification TEXT NOT NULL, source_replica_expression TEXT, purge_replicas INTEGER NOT NULL DEFAULT 0,
  ignore_availability INTEGER NOT NULL DEFAULT 0, ignore_account_limit INTEGER NOT NULL DEFAULT 0,
  priority INTEGER NOT NULL DEFAULT 3, comments TEXT, meta TEXT, child_rule_id TEXT, subscription_id TEXT,
  split_container INTEGER NOT NULL DEFAULT 0, eol_at INTEGER, stuck_at INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS rules_did ON rules (scope, name);
CREATE TABLE IF NOT EXISTS locks (
  rule_id TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL, rse_id TEXT NOT NULL, state TEXT NOT NULL,
  bytes INTEGER NOT NULL, account TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (rule_id, scope, name, rse_id));
CREATE INDEX IF NOT EXISTS locks_replica ON locks (scope, name, rse_id);
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY, rule_id TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL, dest_rse_id TEXT NOT NULL,
  source_rse_id TEXT, state TEXT NOT NULL, bytes INTEGER NOT NULL, md5 TEXT, adler32 TEXT, account TEXT NOT NULL,
  activity TEXT NOT NULL, priority INTEGER NOT NULL, attributes TEXT NOT NULL, err_msg TEXT, external_id TEXT,
  external_host TEXT, transfertool TEXT, dest_url TEXT, retry_count INTEGER NOT NULL DEFAULT 0, previous_attempt_id TEXT,
  submitted_at INTEGER, started_at INTEGER, transferred_at INTEGER, archived_at INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS requests_did ON requests (scope, name, dest_rse_id);
CREATE TABLE IF NOT EXISTS bad_replicas (
  scope TEXT NOT NULL, name TEXT NOT NULL, rse_id TEXT NOT NULL, reason TEXT, state TEXT NOT NULL, account TEXT NOT NULL,
  bytes INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (scope, name, rse_id, state, created_at));
CREATE TABLE IF NOT EXISTS distances (
  src_rse_id TEXT NOT NULL, dest_rse_id TEXT NOT NULL, distance INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (src_rse_id, dest_rse_id));
`;

export function openDatabase(path: string): Db {
  const db = new Database(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.exec(SCHEMA);
  // A database written before collections stored their length gains the column.
  const columns = db.prepare("SELECT name FROM pragma_table_info('dids')").all() as { name: string }[];
  if (!columns.some((c) => c.name === 'length')) db.exec('ALTER TABLE dids ADD COLUMN length INTEGER');
  const requestColumns = db.prepare("SELECT name FROM pragma_table_info('requests')").all() as { name: string }[];
  if (!requestColumns.some((c) => c.name === 'archived_at')) db.exec('ALTER TABLE requests ADD COLUMN archived_at INTEGER');
  if (!requestColumns.some((c) => c.name === 'previous_attempt_id')) db.exec('ALTER TABLE requests ADD COLUMN previous_attempt_id TEXT');
  return db;
}
