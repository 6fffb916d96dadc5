// scitokens-cpp fetches an issuer's keys over HTTPS trusting only the system CA bundle,
// which never holds the sandbox CA. Writing the keys into its cache ahead of time lets
// xrootd verify sandbox tokens without touching system files.
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ServiceUser } from './run-dir.js';

/** Keys stay valid this long; the issuer's keys live no longer than one sandbox run anyway. */
const CACHE_LIFETIME_SECONDS = 30 * 24 * 3600;

/** Where scitokens-cpp 0.7 looks for its cache under `$XDG_CACHE_HOME`. */
export function keyCachePath(cacheHome: string): string {
  return join(cacheHome, 'scitokens', 'scitokens_cpp.sqllite');
}

/** Stores `jwks` as the issuer's current keys in the cache under `cacheHome`, owned by `owner`. */
export async function seedKeyCache(cacheHome: string, issuer: string, jwks: object, owner: ServiceUser): Promise<string> {
  const dir = join(cacheHome, 'scitokens');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const d of [cacheHome, dir]) await chown(d, owner.uid, owner.gid);
  const path = keyCachePath(cacheHome);
  const now = Math.floor(Date.now() / 1000);
  const expires = now + CACHE_LIFETIME_SECONDS;
  // The schema scitokens-cpp itself creates (CREATE TABLE IF NOT EXISTS keeps ours).
  const db = new Database(path);
  try {
    db.exec('CREATE TABLE IF NOT EXISTS keycache (issuer text UNIQUE PRIMARY KEY NOT NULL, keys text NOT NULL)');
    db.prepare('INSERT OR REPLACE INTO keycache (issuer, keys) VALUES (?, ?)').run(
      issuer,
      JSON.stringify({ jwks, next_update: expires, expires }),
    );
  } finally {
    db.close();
  }
  await chown(path, owner.uid, owner.gid);
  return path;
}
