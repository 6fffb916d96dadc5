import { resolve } from 'node:path';
import type { Options } from 'yargs';

/** Where lakeprobe keeps its results store and reports unless told otherwise. */
export const DEFAULTS = {
  db: 'reports/lakeprobe.db',
  out: 'reports',
  sandboxDir: '.lakeprobe/sandbox',
};

export const storeOptions = {
  db: { type: 'string', default: DEFAULTS.db, describe: 'results store (SQLite file)' },
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

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}
