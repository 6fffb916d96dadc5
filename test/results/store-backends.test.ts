// One store test suite, run against both back ends: the SQLite file, and PostgreSQL (a real
// server, written through the agent's local journal and its replicator). Each case writes
// through the store every caller uses, then reads back through the StoreReader interface.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { OpResult } from '../../src/engine/op-result.js';
import type { LoadSummary } from '../../src/load/k6-summary.js';
import { openResultsStore, type OpenedStore } from '../../src/results/open.js';
import { PgReader, SqliteReader, type StoreReader } from '../../src/results/reader.js';
import { openPool } from '../../src/results/postgres.js';
import { SCHEMA_VERSION } from '../../src/results/migrations.js';
import type { PlanSnapshot } from '../../src/results/plan-snapshot.js';
import { opResult } from '../helpers/op-result.js';
import { describeWithTools } from '../helpers/tools.js';
import { POSTGRES, startPostgres, type TestPostgres } from '../helpers/postgres.js';

interface Backend {
  /** A fresh, empty store: the writer every caller uses, and a reader over the same back end. */
  open(name: string): Promise<{ opened: OpenedStore; reader: StoreReader; close(): Promise<void> }>;
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'lakeprobe-backends-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const sqlite: Backend = {
  open(name) {
    const opened = openResultsStore(join(dir, `${name}.sqlite`));
    return Promise.resolve({ opened, reader: new SqliteReader(opened.store), close: () => opened.close() });
  },
};

function postgres(server: () => TestPostgres): Backend {
  return {
    async open(name) {
      const url = await server().createDatabase(name.toLowerCase());
      const opened = openResultsStore(url, { journal: join(dir, `${name}-journal.sqlite`), intervalMs: 50 });
      const pool = openPool(url);
      return {
        opened, reader: new PgReader(pool, url),
        close: async () => { await opened.close(); await pool.end(); },
      };
    },
  };
}

const snapshot: PlanSnapshot = {
  planName: 'dac', planFile: '/plans/dac.yaml', rses: { expression: 'tier=1' },
  experiments: [{ name: 'ska', description: 'SKA', tests: [{
    name: 'upload', scenario: 'upload', description: 'uploads', auth: ['x509'], params: '{"files":3}', success: { minSuccessRate: 0.9 },
  }] }],
};

const summary: LoadSummary = {
  tool: 'k6', durationMs: 61_000,
  metrics: [{ name: 'lakeprobe_op_duration', tags: { operation: 'upload' }, type: 'trend', contains: 'time', values: { 'p(95)': 812.5 } }],
  thresholds: [{ metric: 'lakeprobe_op_duration', expression: 'p(95)<1000', ok: true }, { metric: 'checks', expression: 'rate>0.99', ok: false }],
  checks: [{ name: 'status 201', passes: 99, fails: 1 }],
};

function storeSuite(backend: () => Backend): void {
  it('records runs and their results, every field, in order; a time window selects by start', async () => {
    const { opened, reader, close } = await backend().open('Runs');
    try {
      const { store } = opened;
      const results: OpResult[] = [
        opResult({ runId: 'r1', bytes: 5_000_000_000, durationMs: 12_345.678, requestId: 'req-1', start: '2024-03-01T10:00:00.000Z' }),
        opResult({ runId: 'r1', operation: 'rule', outcome: 'failed', severity: 'error', errorClass: 'quota', errorMessage: '409 quota',
          ruleId: 'abc', start: '2024-03-01T10:00:05.000Z', check: { kind: 'placement', target: 'tier=1', copies: 2 } }),
        opResult({ runId: 'r2', test: 'other', start: '2024-03-01T11:00:00.000Z' }),
      ];
      store.onBegin({ runId: 'r1', planName: 'dac', planFile: '/plans/dac.yaml', startedAt: '2024-03-01T10:00:00.000Z' });
      store.onResult(results[0] as OpResult);
      store.onResult(results[1] as OpResult);
      store.onEnd({ runId: 'r1', planName: 'dac', planFile: '/plans/dac.yaml', startedAt: '2024-03-01T10:00:00.000Z' },
        { total: 2, failed: 1, finishedAt: '2024-03-01T10:01:00.000Z' });
      store.onBegin({ runId: 'r2', planName: 'dac', planFile: '/plans/dac.yaml', startedAt: '2024-03-01T11:00:00.000Z' });
      store.onResult(results[2] as OpResult);
      store.interruptRun('r2');
      expect(await opened.flush(60_000)).toBe(true);

      expect(await reader.runs()).toEqual([
        { runId: 'r2', planName: 'dac', planFile: '/plans/dac.yaml', startedAt: '2024-03-01T11:00:00.000Z', finishedAt: null, total: 1, failed: 0, state: 'interrupted' },
        { runId: 'r1', planName: 'dac', planFile: '/plans/dac.yaml', startedAt: '2024-03-01T10:00:00.000Z', finishedAt: '2024-03-01T10:01:00.000Z', total: 2, failed: 1, state: 'finished' },
      ]);
      expect(await reader.results('r1')).toEqual(results.slice(0, 2));
      expect(await reader.resultsBetween('2024-03-01T10:00:01.000Z', '2024-03-01T12:00:00.000Z')).toEqual(results.slice(1));
    } finally {
      await close();
    }
  });

  it('keeps the first plan snapshot of a run and a load tool summary with its run', async () => {
    const { opened, reader, close } = await backend().open('Plans');
    try {
      opened.store.savePlan('r1', snapshot);
      opened.store.savePlan('r1', { ...snapshot, planName: 'changed' });
      const run = { runId: 'k6-1', planName: 'load', planFile: 'load.js', startedAt: '2024-03-02T00:00:00.000Z' };
      opened.store.saveLoadSummary(run, 'load.js', summary, '2024-03-02T00:01:01.000Z');
      expect(await opened.flush(60_000)).toBe(true);
      const back = await reader.plan('r1');
      expect(back?.snapshot).toEqual(snapshot);
      expect(back?.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(await reader.plan('none')).toBeUndefined();
      expect(await reader.loadSummary('k6-1')).toEqual({ tool: 'k6', script: 'load.js', summary });
      expect((await reader.runs()).find((r) => r.runId === 'k6-1')).toMatchObject({ total: 2, failed: 1, state: 'finished' });
    } finally {
      await close();
    }
  });

  it('holds the cleanup ledger: intents, creations and removals, the latest state of each', async () => {
    const { opened, reader, close } = await backend().open('Ledger');
    try {
      const { store } = opened;
      const a = store.intend({ runId: 'r1', kind: 'rule', rse: 'SITE_A', target: '', authMethod: 'token' });
      const b = store.intend({ runId: 'r1', kind: 'storage_file', rse: 'SITE_B', target: 'davs://b/x', authMethod: 'x509', did: 'user.x:f1' });
      const c = store.intend({ runId: 'r2', kind: 'did', rse: '', target: 'user.x:ds', authMethod: 'userpass' });
      store.created(a, 'rule-123');
      store.created(b);
      store.done(c);
      expect(await opened.flush(60_000)).toBe(true);
      const pending = await reader.pending();
      expect(pending.map(({ createdAt: _, id: __, ...rest }) => rest)).toEqual([
        { runId: 'r1', kind: 'rule', rse: 'SITE_A', target: 'rule-123', authMethod: 'token', state: 'created' },
        { runId: 'r1', kind: 'storage_file', rse: 'SITE_B', target: 'davs://b/x', authMethod: 'x509', state: 'created', did: 'user.x:f1' },
      ]);
      expect(await reader.pending('r2')).toEqual([]);
    } finally {
      await close();
    }
  });

  it('records schedule fires and knows its schema version', async () => {
    const { opened, reader, close } = await backend().open('Fires');
    try {
      const fires = [
        { experiment: 'ska', test: 'upload', schedule: '*/5 * * * *', dueAt: '2024-03-01T10:00:00.000Z', runId: 'r1' },
        { experiment: 'ska', test: 'upload', schedule: '*/5 * * * *', dueAt: '2024-03-01T10:05:00.000Z', runId: 'r2' },
      ];
      for (const f of fires) opened.store.recordFire(f);
      expect(await opened.flush(60_000)).toBe(true);
      expect(await reader.fires()).toEqual(fires);
      expect(await reader.fires(1)).toEqual(fires.slice(1));
      expect(await reader.schemaVersion()).toBe(SCHEMA_VERSION);
    } finally {
      await close();
    }
  });
}

describe('results store: SQLite', () => {
  storeSuite(() => sqlite);
});

describeWithTools([POSTGRES], 'results store: PostgreSQL', () => {
  let server: TestPostgres;
  beforeAll(async () => { server = await startPostgres(); }, 120_000);
  afterAll(async () => { await server?.close(); }, 60_000);
  storeSuite(() => postgres(() => server));

  it('applies each schema version once, whoever opens the database first', async () => {
    const url = await server.createDatabase('versions');
    const pools = [openPool(url), openPool(url), openPool(url)];
    try {
      await Promise.all(pools.map((p) => new PgReader(p, url).open()));
      const check = new pg.Client({ connectionString: url });
      await check.connect();
      const rows = (await check.query('SELECT version FROM schema_version ORDER BY version')).rows as { version: number }[];
      await check.end();
      expect(rows.map((r) => r.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  }, 60_000);
});
