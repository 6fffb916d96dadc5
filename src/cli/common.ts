import { resolve } from 'node:path';
import type { Options } from 'yargs';
import { isPostgresUrl } from '../results/postgres.js';

/** Where lakeprobe keeps its results store and reports unless told otherwise. */
export const DEFAULTS = {
  db: 'reports/lakeprobe.db',
  out: 'reports',
  sandboxDir: '.lakeprobe/sandbox',
};

/** `--db`, with no default of its own: `storeDb` resolves an absent one. */
export const dbOption = {
  type: 'string',
  describe: `results store: a SQLite file, or postgresql://user@host:port/db (libpq conventions); default $LAKEPROBE_DB, else the plan's results.db, else ${DEFAULTS.db}`,
} satisfies Options;

export const storeOptions = {
  db: dbOption,
  out: { type: 'string', default: DEFAULTS.out, describe: 'folder for reports' },
} satisfies Record<string, Options>;

export function processEnv(): Record<string, string | undefined> {
  return { ...process.env };
}

export function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

export function abs(path: string): string {
  return resolve(process.cwd(), path);
}

/** A `--db` value as the jobs take it: a PostgreSQL URL as given, a file as an absolute path. */
export function dbArg(db: string): string {
  return isPostgresUrl(db) ? db : abs(db);
}

/** The results store of a command: --db, else $LAKEPROBE_DB, else the plan's `results.db`, else the default file. */
export function storeDb(given: string | undefined, plan?: { results?: { db?: string } }): string {
  return dbArg(given ?? (process.env.LAKEPROBE_DB || undefined) ?? plan?.results?.db ?? DEFAULTS.db);
}

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}
