// The local journal and its replicator against a real PostgreSQL: an outage loses nothing and
// doubles nothing, a batch shipped twice is one copy, a journal left unshipped by one process
// is shipped by the next, and connections follow libpq's conventions (PGPASSFILE,
// sslmode=verify-full with a CA file) without a password in any message.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { openResultsStore } from '../../src/results/open.js';
import { journalOrigin } from '../../src/results/journal.js';
import { journalLockKey } from '../../src/results/replicator.js';
import { openPool, storeLabel } from '../../src/results/postgres.js';
import { opResult } from '../helpers/op-result.js';
import { describeWithTools } from '../helpers/tools.js';
import { pgRows, POSTGRES, PG_USER, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { OpensslPki } from '../helpers/openssl-pki.js';

/** One row in PostgreSQL, counted with a connection of the test's own. */
const recount = async (url: string, sql: string): Promise<Record<string, unknown>> => (await pgRows(url, sql))[0] as Record<string, unknown>;

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeWithTools([POSTGRES, { command: 'openssl', debianPackage: 'openssl' }], 'the journal replicator with a real PostgreSQL', () => {
  let server: TestPostgres;
  let dir: string;
  let pki: OpensslPki;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lakeprobe-replicator-'));
    pki = new OpensslPki();
    const ca = pki.ca('ca', '/O=lakeprobe/CN=store CA');
    const cert = pki.server('pg', ca);
    server = await startPostgres({ ssl: { certPem: cert.certPem, keyPem: cert.keyPem } });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    pki?.remove();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('keeps running while PostgreSQL is down, says so, and ships every row once, in order, when it is back', async () => {
    const url = await server.createDatabase('outage');
    const lines: string[] = [];
    const opened = openResultsStore(url, { journal: join(dir, 'outage.sqlite'), intervalMs: 50, log: (l) => lines.push(l) });
    try {
      for (let i = 0; i < 300; i++) opened.store.onResult(opResult({ runId: 'before', requestId: `b${i}` }));
      expect(await opened.flush(60_000)).toBe(true);
      await server.stop();
      for (let i = 0; i < 300; i++) opened.store.onResult(opResult({ runId: 'during', requestId: `d${i}` }));
      const ledger = opened.store.intend({ runId: 'during', kind: 'rule', rse: 'SITE_A', target: '', authMethod: 'token' });
      opened.store.created(ledger, 'rule-1');
      await until(() => opened.replica()?.unreachableSince !== null, 'the store to be seen unreachable');
      const away = opened.replica();
      expect(away?.backlog).toBe(302);
      expect(away?.target).toBe(storeLabel(url));
      expect(away?.target).not.toContain(server.password);
      expect(lines.join('\n')).toMatch(/unreachable .*kept in the local journal/);
      await server.start();
      expect(await opened.flush(120_000)).toBe(true);
      expect(opened.replica()).toMatchObject({ backlog: 0, unreachableSince: null });
      expect(lines.join('\n')).toMatch(/reachable again after \d+ s/);
      const counted = await recount(url, `SELECT COUNT(*)::int AS n, COUNT(DISTINCT id)::int AS ids, MIN(id)::int AS lo, MAX(id)::int AS hi,
        COUNT(*) FILTER (WHERE run_id = 'during')::int AS during FROM op_results`);
      expect(counted).toEqual({ n: 600, ids: 600, lo: 1, hi: 600, during: 300 });
      expect(await recount(url, "SELECT target, state FROM ledger WHERE run_id = 'during'")).toEqual({ target: 'rule-1', state: 'created' });
      for (const line of lines) expect(line).not.toContain(server.password);
    } finally {
      await server.start();
      await opened.close();
    }
  }, 240_000);

  it('makes a batch shipped again (a crash between commit and acknowledgement) one copy', async () => {
    const url = await server.createDatabase('again');
    const opened = openResultsStore(url, { journal: join(dir, 'again.sqlite'), intervalMs: 50 });
    try {
      opened.store.onBegin({ runId: 'r', planName: 'p', planFile: 'p.yaml', startedAt: '2024-01-01T00:00:00.000Z' });
      for (let i = 0; i < 150; i++) opened.store.onResult(opResult({ runId: 'r' }));
      expect(await opened.flush(60_000)).toBe(true);
      // What the outbox held before the acknowledgement, put back.
      opened.store.sqlite.exec("INSERT INTO outbox (tbl, row_key) SELECT 'op_results', id FROM op_results");
      opened.store.sqlite.exec("INSERT INTO outbox (tbl, row_key) SELECT 'runs', run_id FROM runs");
      expect(await opened.flush(60_000)).toBe(true);
      expect(await recount(url, 'SELECT COUNT(*)::int AS n FROM op_results')).toEqual({ n: 150 });
      expect(await recount(url, 'SELECT COUNT(*)::int AS n FROM runs')).toEqual({ n: 1 });
    } finally {
      await opened.close();
    }
  }, 120_000);

  it('leaves what it could not ship in the journal, and the next process with the same journal ships it', async () => {
    const url = await server.createDatabase('handover');
    const journal = join(dir, 'handover.sqlite');
    const lines: string[] = [];
    await server.stop();
    try {
      const first = openResultsStore(url, { journal, intervalMs: 50, flushMs: 500, log: (l) => lines.push(l) });
      for (let i = 0; i < 40; i++) first.store.onResult(opResult({ runId: 'kept' }));
      await first.close();
      expect(lines.join('\n')).toMatch(/40 journal entries not shipped yet; they stay in .*handover\.sqlite/);
    } finally {
      await server.start();
    }
    const second = openResultsStore(url, { journal, intervalMs: 50 });
    try {
      expect(await second.flush(60_000)).toBe(true);
      expect(await recount(url, 'SELECT COUNT(*)::int AS n FROM op_results')).toEqual({ n: 40 });
    } finally {
      await second.close();
    }
  }, 120_000);

  it('ships a journal two processes share in lock order, so an older run state never lands over a newer one', async () => {
    const url = await server.createDatabase('shared_journal');
    const journal = join(dir, 'shared.sqlite');
    // Two processes with one --journal; their own shipping loops stay idle (the test ships).
    const a = openResultsStore(url, { journal, intervalMs: 600_000 });
    const b = openResultsStore(url, { journal, intervalMs: 600_000 });
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      const run = { runId: 'r', planName: 'p', planFile: 'p.yaml', startedAt: '2024-01-01T00:00:00.000Z' };
      a.store.onBegin(run);
      // Another process is shipping a batch of this journal: it holds the journal's lock.
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1::bigint)', [journalLockKey(journalOrigin(a.store.sqlite))]);
      const shipping = a.flush(60_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(await recount(url, 'SELECT COUNT(*)::int AS n FROM runs')).toEqual({ n: 0 });
      // Meanwhile the other process finishes the run.
      for (let i = 0; i < 20; i++) b.store.onResult(opResult({ runId: 'r', requestId: `x${i}` }));
      b.store.onEnd(run, { total: 20, failed: 0, finishedAt: '2024-01-01T00:01:00.000Z', scenarioCrashes: 0 });
      await holder.query('COMMIT');
      expect(await shipping).toBe(true);
      expect(await recount(url, "SELECT state, total::int AS total FROM runs WHERE run_id = 'r'")).toEqual({ state: 'finished', total: 20 });
      // Both shipping at once, while both write: every row once, the run's last state last.
      const writes = (store: typeof a.store, tag: string): void => {
        for (let i = 0; i < 500; i++) store.onResult(opResult({ runId: 'r2', requestId: `${tag}${i}` }));
      };
      const run2 = { ...run, runId: 'r2' };
      a.store.onBegin(run2);
      const both = Promise.all([a.flush(60_000), b.flush(60_000)]);
      writes(a.store, 'a');
      writes(b.store, 'b');
      b.store.onEnd(run2, { total: 1000, failed: 0, finishedAt: '2024-01-01T00:02:00.000Z', scenarioCrashes: 0 });
      await both;
      expect(await a.flush(60_000)).toBe(true);
      expect(await recount(url, `SELECT COUNT(*)::int AS n, COUNT(DISTINCT (origin, id))::int AS ids FROM op_results WHERE run_id = 'r2'`))
        .toEqual({ n: 1000, ids: 1000 });
      expect(await recount(url, "SELECT state FROM runs WHERE run_id = 'r2'")).toEqual({ state: 'finished' });
    } finally {
      await holder.end().catch(() => {});
      await a.close();
      await b.close();
    }
  }, 120_000);

  it('takes the password from PGPASSFILE and checks the server against a CA file with sslmode=verify-full', async () => {
    const passfile = join(dir, 'pgpass');
    writeFileSync(passfile, `127.0.0.1:${server.port}:*:${PG_USER}:${server.password}\n`, { mode: 0o600 });
    const ca = join(pki.dir, 'ca.pem');
    const bare = `postgresql://${PG_USER}@127.0.0.1:${server.port}/postgres`;
    const pools: pg.Pool[] = [];
    const ask = async (url: string, env: Record<string, string | undefined> = {}): Promise<unknown> => {
      const pool = openPool(url, { env: { PGPASSFILE: passfile, ...env } });
      pools.push(pool);
      return (await pool.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0];
    };
    try {
      expect(await ask(bare)).toEqual({ ssl: false });
      // Without the file, no password: the server refuses.
      await expect(openPool(bare, { env: {} }).query('SELECT 1')).rejects.toThrow(/password/);
      expect(await ask(`${bare}?sslmode=verify-full&sslrootcert=${ca}`)).toEqual({ ssl: true });
      expect(await ask(bare, { PGSSLMODE: 'verify-full', PGSSLROOTCERT: ca })).toEqual({ ssl: true });
      // Another CA: the server is refused.
      const other = pki.ca('other', '/O=elsewhere/CN=other CA');
      await expect(ask(`${bare}?sslmode=verify-full&sslrootcert=${other.certFile}`)).rejects.toThrow(/certificate/i);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  }, 120_000);
});
