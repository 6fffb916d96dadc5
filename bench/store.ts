// The results store, PostgreSQL against SQLite, on a server of the benchmark's own (Debian's
// PostgreSQL, loopback, fsync on):
//  1. write rate with 50 simulated agents writing at once: into one shared SQLite file (each
//     agent its own connection), and into PostgreSQL through each agent's local journal and
//     replicator (rate = results in PostgreSQL per second, from the first write to the last commit);
//  2. the time to build the challenge report over N results (default 1,000,000, each naming one
//     of the 50 agents, so the per-agent tables are built too): from the
//     SQLite file, and from PostgreSQL (read into memory, then the same report job).
// The agents run in this one process (interleaved), as the database servers do on their own.
// Usage: node dist/bench/store.js [results for the report, default 1000000] [results per agent, default 2000]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpResult } from '../src/engine/op-result.js';
import { reportJob } from '../src/jobs/report.js';
import { ResultsStore } from '../src/results/store.js';
import { Replicator } from '../src/results/replicator.js';
import { openPool } from '../src/results/postgres.js';
import { loadForReport, PgReader } from '../src/results/reader.js';
import type { PlanSnapshot } from '../src/results/plan-snapshot.js';
import { startPostgres } from './postgres-server.js';

const REPORT_RESULTS = Math.min(2_000_000, Math.max(10_000, Number(process.argv[2] ?? 1_000_000)));
const PER_AGENT = Math.min(100_000, Math.max(100, Number(process.argv[3] ?? 2_000)));
const AGENTS = 50;
const RUNS = 50;
const TESTS = ['upload', 'download', 'replicate', 'delete'] as const satisfies readonly OpResult['operation'][];
const RSES = ['SITE_A', 'SITE_B', 'SITE_C', 'SITE_D', 'SITE_E'];

function result(runId: string, i: number): OpResult {
  const test = TESTS[i % TESTS.length] as string;
  const failed = i % 97 === 0;
  return {
    runId, experiment: `EXP${i % 3}`, test, scenario: test, operation: test as OpResult['operation'], rse: RSES[i % RSES.length] as string,
    // A replication is a file copy over a link, as the link tables count it.
    srcRse: test === 'replicate' ? RSES[(i + 1) % RSES.length] as string : '', dstRse: test === 'replicate' ? RSES[i % RSES.length] as string : '',
    protocol: 'davs', authMethod: 'token', identityRole: 'default', bytes: 1_048_576, sizeClass: '1MiB',
    start: new Date(Date.UTC(2026, 0, 1) + i * 10).toISOString(), durationMs: 50 + (i % 400),
    outcome: failed ? 'failed' : 'ok', severity: failed ? 'error' : 'info', errorClass: failed ? 'timeout' : null,
    errorMessage: failed ? 'PUT timed out after 30 s' : '', ruleId: '', requestId: `req-${i}`,
  };
}

const snapshot: PlanSnapshot = {
  planName: 'bench', planFile: 'bench.yaml', rses: { names: RSES },
  experiments: [0, 1, 2].map((e) => ({
    name: `EXP${e}`, description: '',
    tests: TESTS.map((t) => ({ name: t, scenario: t, description: t, auth: ['token'], params: '{}', success: { minSuccessRate: 0.95 } })),
  })),
};

const rate = (n: number, ms: number): string => `${Math.round(n / (ms / 1000)).toLocaleString('en')} results/s`;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** 50 agents writing one result at a time, interleaved, into one SQLite file. */
async function sqliteWrites(dir: string): Promise<number> {
  const stores = Array.from({ length: AGENTS }, () => new ResultsStore(join(dir, 'shared.db')));
  for (const s of stores) s.sqlite.pragma('busy_timeout = 10000');
  const t0 = performance.now();
  await Promise.all(stores.map(async (s, a) => {
    for (let i = 0; i < PER_AGENT; i++) {
      s.onResult(result(`agent-${a}`, i));
      if (i % 20 === 19) await tick();
    }
  }));
  const ms = performance.now() - t0;
  for (const s of stores) s.close();
  return ms;
}

/** 50 agents, each with its journal and replicator, into one PostgreSQL database. */
async function postgresWrites(dir: string, url: string): Promise<{ ms: number; journalMs: number }> {
  const agents = Array.from({ length: AGENTS }, (_, a) => {
    const store = new ResultsStore(join(dir, `journal-${a}.db`), { journal: true });
    const pool = openPool(url, { max: 1 });
    return { store, pool, replicator: new Replicator(store, pool, url, { intervalMs: 100 }) };
  });
  await agents[0]?.replicator.drain();
  const t0 = performance.now();
  for (const a of agents) a.replicator.start();
  await Promise.all(agents.map(async ({ store }, a) => {
    for (let i = 0; i < PER_AGENT; i++) {
      store.onResult(result(`agent-${a}`, i));
      if (i % 20 === 19) await tick();
    }
  }));
  const journalMs = performance.now() - t0;
  for (const a of agents) await a.replicator.stop();
  await Promise.all(agents.map((a) => a.replicator.flush(600_000)));
  const ms = performance.now() - t0;
  for (const a of agents) {
    a.store.close();
    await a.pool.end();
  }
  return { ms, journalMs };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-bench-store-'));
  const server = await startPostgres({ fsyncOff: false });
  try {
    console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const total = AGENTS * PER_AGENT;
    const sqliteMs = await sqliteWrites(dir);
    console.log(`write, ${AGENTS} agents × ${PER_AGENT} results, one SQLite file: ${(sqliteMs / 1000).toFixed(1)} s, ${rate(total, sqliteMs)}`);
    const writesUrl = await server.createDatabase('writes');
    const pgw = await postgresWrites(dir, writesUrl);
    console.log(`write, ${AGENTS} agents × ${PER_AGENT} results, PostgreSQL via journals: all in PostgreSQL after ${(pgw.ms / 1000).toFixed(1)} s, ${rate(total, pgw.ms)} (journals alone: ${rate(total, pgw.journalMs)})`);

    // The report's data: one journal file (a complete SQLite store), shipped to PostgreSQL.
    const journal = new ResultsStore(join(dir, 'report.db'), { journal: true });
    const runIds = Array.from({ length: RUNS }, (_, r) => `run-${String(r).padStart(3, '0')}`);
    let t0 = performance.now();
    journal.sqlite.transaction(() => {
      for (const [r, runId] of runIds.entries()) {
        journal.onBegin({ runId, planName: 'bench', planFile: 'bench.yaml', startedAt: new Date(Date.UTC(2026, 0, 1) + r).toISOString() });
        journal.savePlan(runId, snapshot);
      }
      // Each result names one of the agents that ran it, so the report builds its per-agent tables too.
      for (let i = 0; i < REPORT_RESULTS; i++) journal.onResult({ ...result(runIds[i % RUNS] as string, i), agent: `agent-${i % AGENTS}` });
      for (const runId of runIds) journal.onEnd({ runId, planName: 'bench', planFile: 'bench.yaml', startedAt: '' }, { total: REPORT_RESULTS / RUNS, failed: 0, finishedAt: '2026-01-02T00:00:00.000Z' });
    })();
    console.log(`fill: ${REPORT_RESULTS.toLocaleString('en')} results into SQLite in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const reportUrl = await server.createDatabase('report');
    const pool = openPool(reportUrl, { max: 2, statementTimeoutMs: 600_000 });
    const replicator = new Replicator(journal, pool, reportUrl, { batch: 5_000 });
    t0 = performance.now();
    await replicator.flush(3_600_000);
    const shipMs = performance.now() - t0;
    console.log(`ship: the journal's ${REPORT_RESULTS.toLocaleString('en')} results to PostgreSQL in ${(shipMs / 1000).toFixed(1)} s, ${rate(REPORT_RESULTS, shipMs)}`);

    t0 = performance.now();
    const fromSqlite = await reportJob({ store: journal, outDir: dir, runs: runIds, write: false });
    const sqliteReportMs = performance.now() - t0;
    journal.close();
    t0 = performance.now();
    const memory = await loadForReport(await new PgReader(pool, reportUrl).open(), { runs: runIds });
    const loadMs = performance.now() - t0;
    const fromPg = await reportJob({ store: memory, outDir: dir, runs: runIds, write: false });
    const pgReportMs = performance.now() - t0;
    memory.close();
    await pool.end();
    const ops = (r: typeof fromPg.report): number => r.experiments.reduce((n, e) => n + e.tests.reduce((m, t) => m + t.operations, 0), 0);
    console.log(`report over ${REPORT_RESULTS.toLocaleString('en')} results: SQLite ${(sqliteReportMs / 1000).toFixed(1)} s; PostgreSQL ${(pgReportMs / 1000).toFixed(1)} s (of which reading into memory ${(loadMs / 1000).toFixed(1)} s)`);
    console.log(`check: both reports count ${ops(fromSqlite.report).toLocaleString('en')} / ${ops(fromPg.report).toLocaleString('en')} operations; heap peak ${Math.round(process.memoryUsage().rss / 1024 ** 2)} MB RSS`);
    console.log(`load average at end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
