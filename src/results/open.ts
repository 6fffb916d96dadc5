// Opens the results store a `--db` value names: a SQLite file, or a PostgreSQL URL. For
// PostgreSQL the writes go to a local journal (a SQLite file keyed by the URL) that a
// replicator ships to the database; every caller keeps the synchronous store it had.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type pg from 'pg';
import { ResultsStore } from './store.js';
import { Replicator, type ReplicaState } from './replicator.js';
import { isPostgresUrl, openPool, storeLabel } from './postgres.js';

export interface OpenedStore {
  /** Where every write lands first: the SQLite store, or the PostgreSQL store's local journal. */
  store: ResultsStore;
  /** The store as it may be printed (a file path, or the URL without its password). */
  label: string;
  /** The shared store's state; undefined for a SQLite store. */
  replica(): ReplicaState | undefined;
  /** Ships what is written so far, retrying until `timeoutMs`; true when the shared store has it all. */
  flush(timeoutMs: number): Promise<boolean>;
  /** Ships what is left (bounded wait), then closes the journal and the connections. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** The journal file of a PostgreSQL store (default: reports/journal-<hash of the URL>[-<agent>].db). */
  journal?: string;
  /** The agent recorded on every run and result (and in the default journal's name). */
  agent?: string;
  log?: (line: string) => void;
  env?: Record<string, string | undefined>;
  /** How long close() waits for the backlog to ship (default 30 s). */
  flushMs?: number;
  /** Pause between shipping attempts (default 1 s). */
  intervalMs?: number;
}

/** The default journal of a PostgreSQL store: one per database (user, host, port, name) and agent. */
export function defaultJournal(url: string, agent?: string): string {
  const u = new URL(url);
  const key = `${u.username}@${u.hostname}:${u.port}${u.pathname}`;
  return resolve('reports', `journal-${createHash('sha256').update(key).digest('hex').slice(0, 12)}${agent ? `-${agent}` : ''}.db`);
}

export function openResultsStore(db: string, o: OpenStoreOptions = {}): OpenedStore {
  if (!isPostgresUrl(db)) {
    const store = new ResultsStore(db, { agent: o.agent });
    return { store, label: db, replica: () => undefined, flush: () => Promise.resolve(true), close: () => Promise.resolve(store.close()) };
  }
  const log = o.log ?? (() => {});
  const label = storeLabel(db);
  const journalPath = o.journal ?? defaultJournal(db, o.agent);
  const store = new ResultsStore(journalPath, { journal: true, agent: o.agent });
  let pool: pg.Pool;
  try {
    pool = openPool(db, { env: o.env });
  } catch (e) {
    store.close();
    throw new Error(`results store ${label}: ${(e as Error).message}`);
  }
  const replicator = new Replicator(store, pool, db, { log, intervalMs: o.intervalMs });
  replicator.start();
  return {
    store, label,
    replica: () => replicator.state(),
    flush: (timeoutMs) => replicator.flush(timeoutMs),
    close: async () => {
      await replicator.stop();
      const done = await replicator.flush(o.flushMs ?? 30_000);
      if (!done) {
        log(`results store ${label}: ${replicator.state().backlog} journal entries not shipped yet; they stay in ${journalPath} and are shipped by the next lakeprobe process with this --db`);
      }
      store.close();
      await pool.end().catch(() => {});
    },
  };
}
