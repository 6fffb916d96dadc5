// libpq's password file (PGPASSFILE, default ~/.pgpass): lines host:port:database:user:password,
// `*` matching anything, `\:` and `\\` escaped; the first matching line wins; ignored unless
// only its owner can read it (as libpq does).
import { readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

/** At most this many bytes of a password file are read. */
const MAX_FILE_BYTES = 1 << 20;

function fields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (c === ':' && out.length < 4) { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

export interface PassTarget { host: string; port: string; database: string; user: string }

/** The password for `target` from the password file, or undefined. */
export function pgpassPassword(target: PassTarget, env: Record<string, string | undefined> = process.env): string | undefined {
  const file = env.PGPASSFILE || join(env.HOME || homedir(), '.pgpass');
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile() || (st.mode & 0o077) !== 0 || st.size > MAX_FILE_BYTES) return undefined;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const want = [target.host, target.port, target.database, target.user];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const f = fields(line.replace(/\r$/, ''));
    if (f.length !== 5) continue;
    if (want.every((w, i) => f[i] === '*' || f[i] === w)) return f[4];
  }
  return undefined;
}

/** Host, port, database and user the way libpq fills them: the URL, then PG* variables, then defaults. */
export function passTarget(url: string, env: Record<string, string | undefined> = process.env): PassTarget {
  const u = new URL(url);
  const user = decodeURIComponent(u.username) || u.searchParams.get('user') || env.PGUSER || userInfo().username;
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || u.searchParams.get('host') || env.PGHOST || 'localhost',
    port: u.port || env.PGPORT || '5432',
    database: decodeURIComponent(u.pathname.slice(1)) || env.PGDATABASE || user,
    user,
  };
}
