// Connecting to the shared PostgreSQL results store with libpq's conventions, so a site
// configures lakeprobe like psql: the URL (postgresql://user@host:port/db?sslmode=…), then
// PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE (~/.pgpass), PGSSLMODE and
// PGSSLROOTCERT for what the URL leaves out. sslmode follows libpq's meaning (verify-full
// checks the chain against sslrootcert and the host name). A password in the URL never
// leaves this module in a message: `storeLabel` is what gets printed.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { passTarget, pgpassPassword } from './pgpass.js';

/** `--db` values naming a PostgreSQL store rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** A signed 64-bit advisory-lock key for a resource name, namespaced to lakeprobe. */
export function lockKey(resource: string): string {
  return createHash('sha256').update(`lakeprobe:${resource}`).digest().readBigInt64BE(0).toString();
}

/** The URL as it may be printed: no password (in the authority or as a parameter). */
export function storeLabel(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.searchParams.delete('password');
    return u.toString();
  } catch {
    return url.replace(/\/\/([^/:@\s]*):[^/@\s]*@/, '//$1@').replace(/([?&]password=)[^&]*/gi, '$1');
  }
}

/** The password a URL carries ('' for none). */
export function urlPassword(url: string): string {
  try {
    const u = new URL(url);
    return decodeURIComponent(u.password) || u.searchParams.get('password') || '';
  } catch {
    return '';
  }
}

/** The password as it may appear in a message (decoded, and as the URL spells it): a run's secrets. */
export function urlSecrets(url: string): string[] {
  const plain = urlPassword(url);
  if (!plain) return [];
  let raw = plain;
  try {
    raw = new URL(url).password || plain;
  } catch { /* the plain form only */ }
  return [...new Set([plain, raw])];
}

/**
 * The connection string pg is given: the URL plus the SSL settings of the environment it
 * does not state itself (PGSSLMODE, PGSSLROOTCERT), read with libpq's semantics.
 */
export function connectionString(url: string, env: Record<string, string | undefined> = process.env): string {
  const u = new URL(url);
  const params = u.searchParams;
  if (!params.has('sslmode') && env.PGSSLMODE) params.set('sslmode', env.PGSSLMODE);
  if (!params.has('sslrootcert') && env.PGSSLROOTCERT && params.has('sslmode') && params.get('sslmode') !== 'disable') {
    params.set('sslrootcert', env.PGSSLROOTCERT);
  }
  if (params.has('sslmode')) params.set('uselibpqcompat', 'true');
  return u.toString();
}

/**
 * What pg is given for the store at `url`, wherever lakeprobe connects (results store, agents'
 * coordination): libpq's environment applied and, when the URL has none, the password from
 * PGPASSWORD, then the password file, as libpq looks (never pg's own password-file lookup).
 */
export function resolvedConnectionString(url: string, env: Record<string, string | undefined> = process.env): string {
  const u = new URL(connectionString(url, env));
  const password = u.password || u.searchParams.has('password') ? '' : env.PGPASSWORD ?? pgpassPassword(passTarget(url, env), env);
  if (password) u.password = encodeURIComponent(password);
  return u.toString();
}

export interface PoolOptions {
  /** At most this many connections (default 4). */
  max?: number;
  /** A connection attempt gives up after this long (default 5 s). */
  connectTimeoutMs?: number;
  /** A statement is cancelled by the server after this long (default 60 s). */
  statementTimeoutMs?: number;
  env?: Record<string, string | undefined>;
}

/**
 * A pg Pool for the store at `url`. An idle connection the server drops (a restart) is
 * an event, not a crash: the pool discards it and the next query reconnects.
 */
export function openPool(url: string, o: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: resolvedConnectionString(url, o.env),
    max: o.max ?? 4,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 5_000,
    statement_timeout: o.statementTimeoutMs ?? 60_000,
    idleTimeoutMillis: 30_000,
    application_name: 'lakeprobe',
  });
  pool.on('error', () => { /* the broken client is removed by the pool; the next query says why */ });
  return pool;
}

/** An error from pg, with any password of `url` removed, for a message. */
export function pgErrorText(e: unknown, url: string): string {
  const text = e instanceof Error ? e.message : String(e);
  const clean = text.split(url).join(storeLabel(url));
  return urlSecrets(url).reduce((t, secret) => t.split(secret).join('***'), clean);
}
