// Account usage as Rucio keeps it (lib/rucio/core/account_counter.py): creating or removing a lock only
// queues a delta (increase/decrease -> updated_account_counters); the abacus-account daemon
// (daemons/abacus/account.py run_once -> update_account_counter) folds the deltas into account_usage,
// which is what usage views and the rule engine's quota checks read (core/account.py get_usage,
// get_all_rse_usages_per_account). Until abacus runs, a client sees the usage of its last run.
import type { Catalogue } from './context.js';
import type { Db } from './db.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS updated_account_counters (
  id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, rse_id TEXT NOT NULL, files INTEGER NOT NULL,
  bytes INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS account_usage (
  account TEXT NOT NULL, rse_id TEXT NOT NULL, files INTEGER NOT NULL, bytes INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (account, rse_id));
CREATE TABLE IF NOT EXISTS account_global_limits (
  account TEXT NOT NULL, rse_expression TEXT NOT NULL, bytes INTEGER NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (account, rse_expression));
`;

/** Rucio's abacus-account default sleep_time (daemons/abacus/account.py account_update). */
export const DEFAULT_ABACUS_SECONDS = 10;
/** The longest interval a sandbox accepts: usage never lags by more than an hour. */
export const MAX_ABACUS_SECONDS = 3600;

/** When abacus-account runs: every intervalMs from the catalogue's start; 0 runs before every request. */
export interface AbacusSchedule {
  intervalMs: number;
  startedAt: number;
  /** The time of the last run folded in (epoch ms). */
  lastRun: number;
}

export function ensureCounterTables(db: Db): void {
  db.exec(SCHEMA);
}

export function abacusSchedule(intervalSeconds: number | undefined, now: number): AbacusSchedule {
  const seconds = intervalSeconds ?? DEFAULT_ABACUS_SECONDS;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_ABACUS_SECONDS) {
    throw new RangeError(`abacus interval ${seconds} s is outside 0..${MAX_ABACUS_SECONDS} s`);
  }
  return { intervalMs: Math.round(seconds * 1000), startedAt: now, lastRun: now };
}

/** account_counter.increase/decrease: one queued delta for (account, RSE). */
export function queueCounterDelta(cat: Catalogue, account: string, rseId: string, files: number, bytes: number): void {
  cat.db.prepare('INSERT INTO updated_account_counters (account, rse_id, files, bytes, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(account, rseId, files, bytes, cat.now());
}

/** One abacus-account pass over the deltas queued up to `upTo` (update_account_counter for each pair). */
export function runAbacus(cat: Catalogue, upTo: number = cat.now()): number {
  const db = cat.db;
  const pending = db.prepare(`SELECT account, rse_id, SUM(files) AS files, SUM(bytes) AS bytes, MAX(id) AS last FROM updated_account_counters
                              WHERE created_at <= ? GROUP BY account, rse_id`).all(upTo) as
    { account: string; rse_id: string; files: number; bytes: number; last: number }[];
  for (const p of pending) {
    db.prepare(`INSERT INTO account_usage (account, rse_id, files, bytes, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (account, rse_id) DO UPDATE SET files = files + excluded.files, bytes = bytes + excluded.bytes,
                updated_at = excluded.updated_at`).run(p.account, p.rse_id, p.files, p.bytes, upTo);
    db.prepare('DELETE FROM updated_account_counters WHERE account = ? AND rse_id = ? AND created_at <= ? AND id <= ?')
      .run(p.account, p.rse_id, upTo, p.last);
  }
  return pending.length;
}

/**
 * Brings the counters to what the daemon would have done by now: the passes scheduled since the last
 * one fold every delta queued before them. Called before each request, so a client sees usage as of the
 * latest scheduled run, never later than one interval behind.
 */
export function catchUpAbacus(cat: Catalogue): void {
  const s = cat.abacus;
  const now = cat.now();
  if (s.intervalMs === 0) {
    runAbacus(cat, now);
    s.lastRun = now;
    return;
  }
  const due = s.startedAt + Math.floor((now - s.startedAt) / s.intervalMs) * s.intervalMs;
  if (due <= s.lastRun) return;
  runAbacus(cat, due);
  s.lastRun = due;
}

export interface Usage {
  bytes: number;
  files: number;
}

/** core/account.py get_usage: the counter of (account, RSE), zero without one. */
export function accountUsage(db: Db, account: string, rseId: string): Usage {
  const row = db.prepare('SELECT bytes, files FROM account_usage WHERE account = ? AND rse_id = ?').get(account, rseId) as Usage | undefined;
  return row ?? { bytes: 0, files: 0 };
}

/** core/account.py get_all_rse_usages_per_account: rse_id -> counter. */
export function allAccountUsages(db: Db, account: string): Map<string, Usage> {
  const rows = db.prepare('SELECT rse_id, bytes, files FROM account_usage WHERE account = ?').all(account) as (Usage & { rse_id: string })[];
  return new Map(rows.map((r) => [r.rse_id, { bytes: r.bytes, files: r.files }]));
}

/** core/account_limit.py get_rse_account_usage's source: every account's counter on one RSE. */
export function rseAccountCounters(db: Db, rseId: string): Map<string, Usage> {
  const rows = db.prepare('SELECT account, bytes, files FROM account_usage WHERE rse_id = ?').all(rseId) as (Usage & { account: string })[];
  return new Map(rows.map((r) => [r.account, { bytes: r.bytes, files: r.files }]));
}
