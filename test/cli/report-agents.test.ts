// `lakeprobe report --db postgresql://…` over a challenge two agents ran: the results name the
// agent that ran them (per-agent link matrix), and the agent the coordination marked down shows as
// "agent down since T" against its test. A store no agent ever joined reports without agents.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Coordination } from '../../src/agents/coordination.js';
import { openResultsStore } from '../../src/results/open.js';
import type { ChallengeReport } from '../../src/report/schema.js';
import { BIN, runCli } from '../helpers/cli-process.js';
import { opResult } from '../helpers/op-result.js';
import { describeWithTools } from '../helpers/tools.js';
import { pgRows, POSTGRES, startPostgres, type TestPostgres } from '../helpers/postgres.js';

/** One run per agent, recorded through its own journal as an agent records it. */
async function record(url: string, dir: string, agent: string, test: string, runId: string, start: string): Promise<void> {
  const opened = openResultsStore(url, { journal: join(dir, `journal-${agent}.db`), agent, intervalMs: 50 });
  try {
    const run = { runId, planName: 'multi', planFile: '/plans/multi.yaml', startedAt: start };
    opened.store.onBegin(run);
    opened.store.onResult(opResult({ runId, experiment: 'EXP', test, scenario: 'replicate', operation: 'replicate', rse: 'SITE_B',
      srcRse: 'SITE_A', dstRse: 'SITE_B', bytes: 1_000_000, sizeClass: '976KiB', start, durationMs: 2000, requestId: `${runId}-1` }));
    opened.store.onEnd(run, { total: 1, failed: 0, finishedAt: start });
    expect(await opened.flush(60_000)).toBe(true);
  } finally {
    await opened.close();
  }
}

const readReport = async (dir: string): Promise<ChallengeReport> => JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as ChallengeReport;

describeWithTools([POSTGRES], 'lakeprobe report --db postgresql://… of a challenge run by agents', () => {
  let dir: string;
  let server: TestPostgres;
  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-report-agents-'));
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('states per agent links and the down agent of a test', async () => {
    const url = await server.createDatabase('agents_down');
    await record(url, dir, 'site-a', 't1', 'run-a', '2026-06-01T00:00:00.000Z');
    await record(url, dir, 'site-b', 't2', 'run-b', '2026-06-01T00:00:10.000Z');
    await record(url, dir, 'site-c', 't3', 'run-c', '2026-06-01T00:00:20.000Z');
    const coordination = new Coordination(url);
    try {
      await coordination.ensureSchema();
      const startedAt = new Date();
      await coordination.heartbeat({ name: 'site-a', startedAt, planHash: 'h', tests: ['EXP/t1'] });
      await coordination.heartbeat({ name: 'site-b', startedAt, planHash: 'h', tests: ['EXP/t2'] });
      await new Promise((done) => setTimeout(done, 50));
      // Both heartbeats are stale now; site-b heartbeats again and is up, site-a stays down.
      await coordination.markStale(1);
      await coordination.heartbeat({ name: 'site-b', startedAt, planHash: 'h', tests: ['EXP/t2'] });
      // site-c died when nobody was left to see it: its heartbeat is stale, its row still says running.
      await coordination.heartbeat({ name: 'site-c', startedAt, planHash: 'h', tests: ['EXP/t3'] });
      const silent = await pgRows(url, "UPDATE agents SET last_heartbeat = now() - interval '10 minutes' WHERE name = 'site-c' RETURNING last_heartbeat");
      const silentSince = (silent[0]!.last_heartbeat as Date).toISOString().replace(/\.\d+Z$/, 'Z');
      const downSince = (await coordination.agents()).find((a) => a.name === 'site-a')?.downSince;
      expect(downSince).toBeInstanceOf(Date);

      const out = await runCli(['report', '--db', url, '--run', 'run-a', 'run-b', 'run-c', '--format', 'md,csv,json', '--out', dir, '--name', 'down']);
      expect(out.code, out.stdout + out.stderr).toBe(0);
      expect(out.stdout + out.stderr).not.toContain(server.password);
      const folder = join(dir, 'down');
      const report = await readReport(folder);
      const expected = `site-a: agent down since ${downSince!.toISOString().replace(/\.\d+Z$/, 'Z')}`;
      const tests = Object.fromEntries(report.experiments[0]!.tests.map((t) => [t.test, t.agentStatus]));
      expect(tests).toEqual({ t1: expected, t2: '', t3: `site-c: agent down since ${silentSince}` });
      expect(report.agents.map((a) => [a.agent, a.state])).toEqual([['site-a', 'down'], ['site-b', 'running'], ['site-c', 'down']]);
      // The report only reads: site-c's row is left for an agent or the coordinator to mark.
      expect((await pgRows(url, "SELECT state FROM agents WHERE name = 'site-c'"))[0]).toEqual({ state: 'running' });
      expect(report.experiments[0]!.linksByAgent.map((l) => [l.agent, l.src, l.dst, l.attempts])).toEqual([
        ['site-a', 'SITE_A', 'SITE_B', 1], ['site-b', 'SITE_A', 'SITE_B', 1], ['site-c', 'SITE_A', 'SITE_B', 1],
      ]);
      expect(await readFile(join(folder, 'summary.md'), 'utf8')).toContain(expected);
      expect(await readFile(join(folder, 'EXP.md'), 'utf8')).toContain('## Links per agent');
      expect(existsSync(join(folder, 'summary.agents.csv'))).toBe(true);
    } finally {
      await coordination.close();
    }
  }, 120_000);

  it('reports a shared store no agent ever joined, without agents', async () => {
    const url = await server.createDatabase('no_agents');
    const opened = openResultsStore(url, { journal: join(dir, 'journal-none.db'), intervalMs: 50 });
    try {
      opened.store.onBegin({ runId: 'solo', planName: 'solo', planFile: '/plans/solo.yaml', startedAt: '2026-06-01T00:00:00.000Z' });
      opened.store.onResult(opResult({ runId: 'solo', experiment: 'EXP', test: 't1', start: '2026-06-01T00:00:00.000Z' }));
      expect(await opened.flush(60_000)).toBe(true);
    } finally {
      await opened.close();
    }
    const out = await runCli(['report', '--db', url, '--format', 'json', '--out', dir, '--name', 'solo']);
    expect(out.code, out.stdout + out.stderr).toBe(0);
    const report = await readReport(join(dir, 'solo'));
    expect(report.agents).toEqual([]);
    expect(report.experiments[0]!.linksByAgent).toEqual([]);
    expect(report.experiments[0]!.tests[0]!.agentStatus).toBe('');
  }, 120_000);
});
