// Coordination through a real PostgreSQL: advisory locks die with their session, heartbeats
// carry the clock offset, a stale agent is marked down and its runs interrupted.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Coordination } from '../../src/agents/coordination.js';
import { lockKey } from '../../src/results/postgres.js';
import { PG_USER, startPostgres, type TestPostgres } from '../helpers/postgres.js';

describe('coordination through PostgreSQL', () => {
  let server: TestPostgres;
  beforeAll(async () => { server = await startPostgres(); }, 180_000);
  afterAll(async () => { await server?.close(); }, 60_000);

  it('connects as the results store does: the password from PGPASSFILE, for its queries and its lock session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-coord-pgpass-'));
    const passfile = join(dir, 'pgpass');
    writeFileSync(passfile, `127.0.0.1:${server.port}:*:${PG_USER}:${server.password}\n`, { mode: 0o600 });
    const saved = { PGPASSFILE: process.env.PGPASSFILE, PGPASSWORD: process.env.PGPASSWORD };
    process.env.PGPASSFILE = passfile;
    delete process.env.PGPASSWORD;
    const warnings: string[] = [];
    const onWarning = (w: Error): void => { warnings.push(w.message); };
    process.on('warning', onWarning);
    const c = new Coordination(`postgresql://${PG_USER}@127.0.0.1:${server.port}/postgres`);
    try {
      await c.ensureSchema();
      expect(await c.tryAcquire(['link:P->Q'])).not.toBeNull();
      expect(c.description).not.toContain(server.password);
      // pg's own password-file lookup (deprecated, and not libpq's rules) is never the one used.
      expect(warnings.filter((w) => /pgpass/i.test(w))).toEqual([]);
    } finally {
      await c.close();
      process.off('warning', onWarning);
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('holds a resource in one session at a time, and frees it when the holder\'s session dies', async () => {
    const a = new Coordination(server.url());
    const b = new Coordination(server.url());
    try {
      await a.ensureSchema();
      const release = await a.tryAcquire(['link:A->B', 'link:A->C']);
      expect(release).not.toBeNull();
      // All or nothing: B wants A->C and D->E; it gets neither, and D->E stays free for others.
      expect(await b.tryAcquire(['link:D->E', 'link:A->C'])).toBeNull();
      const observer = new pg.Client({ connectionString: server.url() });
      await observer.connect();
      const held = async (): Promise<string[]> => (await observer.query(
        "SELECT ((classid::bigint << 32) | objid::bigint)::text AS key FROM pg_locks WHERE locktype = 'advisory' AND granted ORDER BY 1",
      )).rows.map((r: { key: string }) => r.key);
      // The keys recomputed here: sha256 of the namespaced name, first 8 bytes as a signed 64-bit integer.
      const key = (name: string): string => createHash('sha256').update(`lakeprobe:${name}`).digest().readBigInt64BE(0).toString();
      expect(await held()).toEqual([key('link:A->B'), key('link:A->C')].sort());
      expect(lockKey('link:A->B')).toBe(key('link:A->B'));
      await release?.();
      expect(await held()).toEqual([]);
      expect(await b.tryAcquire(['link:A->C'])).not.toBeNull();
      // The holder's connection ends (a killed agent): the lock goes with it.
      await b.close();
      expect(await held()).toEqual([]);
      const again = await a.tryAcquire(['link:A->C']);
      expect(again).not.toBeNull();
      await again?.();
      await observer.end();
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);

  it('records heartbeats with the clock offset and marks a stale agent down with its runs interrupted', async () => {
    const c = new Coordination(server.url());
    try {
      await c.ensureSchema();
      const startedAt = new Date();
      const offset = await c.heartbeat({ name: 'site-a', startedAt, planHash: 'h1', tests: ['E/t1'] });
      await c.heartbeat({ name: 'site-b', startedAt, planHash: 'h1', tests: ['E/t2'] });
      // The database and this test share one clock: the offset is the round trip's error only.
      expect(Math.abs(offset)).toBeLessThan(2000);
      await c.runStarted({ runId: 'r1', agent: 'site-a', experiment: 'E', test: 't1', startedAt });
      await c.runStarted({ runId: 'r2', agent: 'site-b', experiment: 'E', test: 't2', startedAt });
      // site-a stops heartbeating: its last heartbeat is moved 2 minutes back.
      const raw = new pg.Client({ connectionString: server.url() });
      await raw.connect();
      await raw.query("UPDATE agents SET last_heartbeat = now() - interval '2 minutes' WHERE name = 'site-a'");
      const down = await c.markStale(60_000);
      expect(down.map((a) => a.name)).toEqual(['site-a']);
      const runs = (await raw.query('SELECT run_id, state FROM agent_runs ORDER BY run_id')).rows as { run_id: string; state: string }[];
      expect(runs).toEqual([{ run_id: 'r1', state: 'interrupted' }, { run_id: 'r2', state: 'running' }]);
      const rows = (await raw.query("SELECT name, state, down_since = last_heartbeat AS since_last FROM agents ORDER BY name")).rows;
      expect(rows).toEqual([{ name: 'site-a', state: 'down', since_last: true }, { name: 'site-b', state: 'running', since_last: null }]);
      // Seen once: a second look reports nobody new.
      expect(await c.markStale(60_000)).toEqual([]);
      await raw.end();
    } finally {
      await c.close();
    }
  }, 60_000);
});
