// A PostgreSQL server of the caller's own (the store tests, the store benchmark): Debian's binaries, a data directory in a temp folder,
// loopback on a free port, password authentication over TCP (scram), fsync off (a test
// server). initdb and postgres refuse to run as root, so under root (as CI runs) they run as
// the `postgres` system user the Debian package creates; as anyone else, as that user itself.
// stop()/start() take the same server down and back up on the same port and data.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../src/sandbox/xrootd/ports.js';

/** The newest installed major version's binaries. */
function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return join(base, versions[0] ?? '15', 'bin');
}

/** The server binary, and the Debian package that ships it. */
export const POSTGRES = { command: join(binDir(), 'postgres'), debianPackage: 'postgresql-15' };
const START_TIMEOUT_MS = 60_000;
export const PG_USER = 'lakeprobe';

export interface TestPostgres {
  /** postgresql://lakeprobe:PASSWORD@127.0.0.1:PORT/DB */
  url(database?: string): string;
  password: string;
  port: number;
  dir: string;
  /** Creates a database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (the server's own, clean); the data stays. */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port (nothing when it runs). */
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  close(): Promise<void>;
}

/** Under root: the uid/gid of the postgres system user, for the server's processes. */
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${log().slice(-800)}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`postgres not ready within ${START_TIMEOUT_MS} ms: ${(e as Error).message}: ${log().slice(-800)}`);
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export interface StartOptions {
  /** false: keep fsync on (a benchmark's realistic server). Default: off (a test server). */
  fsyncOff?: boolean;
  /** Serve TLS with this certificate and key (PEM) as well as plain connections. */
  ssl?: { certPem: string; keyPem: string };
}

export async function startPostgres(o: StartOptions = {}): Promise<TestPostgres> {
  const as = runAs();
  // Under root the server's user must reach its folder: /tmp is open to all, a private TMPDIR may not be.
  const dir = mkdtempSync(join(as ? '/tmp' : tmpdir(), 'lakeprobe-pg-'));
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (as) {
    chownSync(dir, as.uid, as.gid);
    chownSync(pwfile, as.uid, as.gid);
  }
  const bin = binDir();
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', PG_USER, `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--no-instructions'], {
    stdio: ['ignore', 'ignore', 'pipe'], ...as, timeout: START_TIMEOUT_MS,
  });
  rmSync(pwfile);
  const tls: string[] = [];
  if (o.ssl) {
    const cert = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    writeFileSync(cert, o.ssl.certPem);
    writeFileSync(key, o.ssl.keyPem, { mode: 0o600 });
    if (as) for (const f of [cert, key]) chownSync(f, as.uid, as.gid);
    tls.push('-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`);
  }
  const port = await freePort();
  const url = (database = 'postgres'): string => `postgresql://${PG_USER}:${password}@127.0.0.1:${port}/${database}`;
  let child: ChildProcess | undefined;
  let log = '';
  const start = async (): Promise<void> => {
    if (child) return;
    log = '';
    const settings = ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'max_connections=200', ...tls];
    if (o.fsyncOff !== false) settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    const c = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), ...settings], { stdio: ['ignore', 'ignore', 'pipe'], ...as });
    child = c;
    c.stderr?.setEncoding('utf8');
    c.stderr?.on('data', (chunk: string) => { if (log.length < 64 * 1024) log += chunk; });
    try {
      await waitReady(url(), c, () => log);
    } catch (e) {
      c.kill('SIGKILL');
      await exited(c);
      child = undefined;
      throw e;
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c) return;
    // SIGINT: PostgreSQL's fast shutdown (clients disconnected, data checkpointed).
    c.kill('SIGINT');
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    await exited(c);
    clearTimeout(timer);
  };
  try {
    await start();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url, password, port, dir, start, stop,
    createDatabase: async (name) => {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
