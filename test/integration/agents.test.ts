// Three agents as separate processes against one sandbox lake and one real PostgreSQL:
// each runs only its own tests, two contend for one link (never at once, judged from the
// run times each recorded in its own store), one is killed (its run interrupted, its tests
// "agent down since T" on the coordinator page, in its metrics and on the other agents' pages),
// and a plan published to the store reaches an agent without a restart.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli-process.js';
import { POSTGRES, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import type { ChallengeReport } from '../../src/report/schema.js';

const UPLOAD = (size: number, count = 1): string => `scenario: upload
        auth: [token]
        rses: { names: [SANDBOX-FAST] }
        params: { size: ${size}, files: ${count}, download: false }`;

const PLAN = (extra = ''): string => `name: sites
lake: { sandbox: true }
experiments:
  - name: SITES
    agent: site-a
    tests:
      - name: up-a
        ${UPLOAD(1024)}
        schedule: { cron: "*/2 * * * * *" }
      - name: up-b
        agent: site-b
        ${UPLOAD(1024)}
        schedule: { cron: "*/2 * * * * *" }
      - name: up-c
        agent: site-c
        ${UPLOAD(8_000_000, 4)}
        schedule: { cron: "*/3 * * * * *" }
      - name: sweep
        agent: [site-a, site-b]
        scenario: longhaul-sweep
        auth: [token]
        rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
        params: { links: [{ from: SANDBOX-FAST, to: SANDBOX-SAFE }], sizes: [20000], volume: 60000, poll_seconds: 0.2, timeout_seconds: 60 }
        schedule: { cron: "* * * * * *" }
      - name: far-away
        agent: site-z
        ${UPLOAD(1024)}
  - name: NOBODY
    tests:
      - name: unowned
        ${UPLOAD(1024)}
${extra}`;

const B2 = `  - name: LATER
    agent: site-b
    tests:
      - name: up-b2
        ${UPLOAD(1024)}
        schedule: { cron: "*/2 * * * * *" }
`;

interface Proc { child: ChildProcessWithoutNullStreams; out: string }

describe.skipIf(!existsSync(POSTGRES.command))('agents at three sites, one PostgreSQL store', () => {
  let dir: string;
  let sbx: string;
  let server: TestPostgres;
  let db: pg.Client;
  const procs = new Map<string, Proc>();

  function start(name: string, args: string[], env: Record<string, string> = {}): Proc {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } }) as ChildProcessWithoutNullStreams;
    const p: Proc = { child, out: '' };
    child.stdout.on('data', (d: Buffer) => { p.out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { p.out += d.toString(); });
    procs.set(name, p);
    return p;
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 120_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms:\n${[...procs].map(([n, p]) => `--- ${n}\n${p.out.slice(-3000)}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const output = (p: Proc, re: RegExp): Promise<RegExpMatchArray> => waitFor(String(re), () => p.out.match(re) ?? undefined);

  async function startAgent(name: string): Promise<{ proc: Proc; url: string }> {
    const home = join(dir, name);
    await mkdir(home, { recursive: true });
    // Each site has its own copy of the plan (the published version is written beside it).
    await writeFile(join(home, 'plan.yaml'), PLAN());
    const proc = start(name, ['daemon', join(home, 'plan.yaml'), '--agent', name, '--db', server.url(), '--out', join(home, 'reports'),
      '--sandbox-dir', sbx, '--port', '0', '--heartbeat-seconds', '1', '--stale-after-seconds', '5', '--no-report', '--stop-grace-seconds', '20'],
    // Each site's local journal of the shared store, where every write lands first.
    { LAKEPROBE_JOURNAL: join(home, 'reports', `${name}.db`) });
    const [, url] = await output(proc, /listening: (http:\/\/127\.0\.0\.1:\d+)/);
    return { proc, url: url as string };
  }

  /** Runs each agent recorded in its own local journal, read here with plain SQL. */
  function localRuns(name: string): { run_id: string; test: string; agent: string; started_at: string; finished_at: string | null; state: string }[] {
    const file = join(dir, name, 'reports', `${name}.db`);
    if (!existsSync(file)) return [];
    const sqlite = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return sqlite.prepare(`SELECT r.run_id, r.agent, r.started_at, r.finished_at, r.state,
        (SELECT test FROM op_results o WHERE o.run_id = r.run_id LIMIT 1) AS test FROM runs r`).all() as never;
    } finally {
      sqlite.close();
    }
  }

  const agents: Record<string, { proc: Proc; url: string }> = {};
  let coordinatorUrl = '';

  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-agents-'));
    sbx = join(dir, 'sandbox');
    server = await startPostgres();
    db = new pg.Client({ connectionString: server.url() });
    await db.connect();
    const up = await runCli(['sandbox', 'up', '--sandbox-dir', sbx]);
    expect(up.code, up.stderr).toBe(0);
    // The coordinator publishes the plan, then starts the agents and its own page.
    await writeFile(join(dir, 'plan.yaml'), PLAN());
    const published = await runCli(['publish-plan', join(dir, 'plan.yaml'), '--db', server.url()]);
    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout).toMatch(/published sites as version 1/);
    for (const name of ['site-a', 'site-b', 'site-c']) agents[name] = await startAgent(name);
    const coordinator = start('coordinator', ['coordinator', '--db', server.url(), '--port', '0', '--stale-after-seconds', '5']);
    coordinatorUrl = (await output(coordinator, /page (http:\/\/127\.0\.0\.1:\d+)\//))[1] as string;
  }, 300_000);

  afterAll(async () => {
    for (const p of procs.values()) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      const exited = new Promise((r) => p.child.once('exit', r));
      p.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 40_000))]);
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
    await db?.end().catch(() => {});
    if (sbx) await runCli(['sandbox', 'down', '--sandbox-dir', sbx]);
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 180_000);

  it('each agent heartbeats with its clock offset and runs only the tests assigned to it, recording itself on runs and results', async () => {
    const rows = await waitFor('three agents up', async () => {
      const r = (await db.query("SELECT name, state, clock_offset_ms, plan_hash, pid FROM agents WHERE state = 'running' ORDER BY name")).rows;
      return r.length === 3 ? r as { name: string; clock_offset_ms: number; plan_hash: string; pid: number }[] : undefined;
    });
    expect(rows.map((r) => r.name)).toEqual(['site-a', 'site-b', 'site-c']);
    const planHash = createHash('sha256').update(PLAN()).digest('hex');
    for (const r of rows) {
      // One machine, one clock: the offset is the round trip's error, well under a second.
      expect(Math.abs(r.clock_offset_ms)).toBeLessThan(1000);
      expect(r.plan_hash).toBe(planHash);
      expect(r.pid).toBe(procs.get(r.name)?.child.pid);
    }
    const mine: Record<string, string[]> = { 'site-a': ['up-a', 'sweep'], 'site-b': ['up-b', 'sweep'], 'site-c': ['up-c'] };
    for (const [name, tests] of Object.entries(mine)) {
      await waitFor(`a finished run on ${name}`, () => localRuns(name).some((r) => r.state === 'finished') || undefined);
      const runs = localRuns(name);
      for (const r of runs) {
        expect(r.agent).toBe(name);
        if (r.test) expect(tests).toContain(r.test);
      }
      const file = join(dir, name, 'reports', `${name}.db`);
      const sqlite = new Database(file, { readonly: true });
      const agentsOnResults = sqlite.prepare('SELECT DISTINCT agent FROM op_results').all() as { agent: string }[];
      sqlite.close();
      expect(agentsOnResults).toEqual([{ agent: name }]);
    }
    // The shared store holds every agent's results, each under its own name and only its own tests.
    const shared = await waitFor('every agent in the shared store', async () => {
      const rows = (await db.query<{ agent: string; test: string }>('SELECT DISTINCT agent, test FROM op_results')).rows;
      return Object.keys(mine).every((a) => rows.some((r) => r.agent === a)) ? rows : undefined;
    });
    for (const r of shared) expect(mine[r.agent]).toContain(r.test);
    // Every series an agent exports carries its name.
    const metrics = await (await fetch(`${agents['site-a']?.url}/metrics`)).text();
    const series = metrics.split('\n').filter((l) => l.startsWith('lakeprobe_operations_total{'));
    expect(series.length).toBeGreaterThan(0);
    for (const l of series) expect(l).toContain('agent="site-a"');
  }, 300_000);

  it('two agents sweeping one link never hold it at once', async () => {
    const sweeps = await waitFor('4 finished sweeps', () => {
      const all = ['site-a', 'site-b'].flatMap((n) => localRuns(n).filter((r) => r.test === 'sweep' && r.finished_at));
      return all.length >= 4 ? all : undefined;
    }, 240_000);
    const intervals = sweeps.map((r) => ({ agent: r.agent, from: Date.parse(r.started_at), to: Date.parse(r.finished_at as string) }))
      .sort((x, y) => x.from - y.from);
    for (let i = 1; i < intervals.length; i++) {
      const [before, after] = [intervals[i - 1], intervals[i]] as [typeof intervals[0], typeof intervals[0]];
      expect(after.from, `${after.agent} started while ${before.agent} swept`).toBeGreaterThanOrEqual(before.to);
    }
    // The cron fires every second on both: the one that found the link held skipped its fire.
    const skipped = ['site-a', 'site-b'].some((n) => /SITES\/sweep: run due \S+ skipped \(link_busy\)/.test(procs.get(n)?.out ?? ''));
    expect(skipped).toBe(true);
  }, 300_000);

  it('a killed agent is seen down: its run interrupted, its tests "agent down since T" on the pages, in the metrics and in the challenge report', async () => {
    const c = procs.get('site-c') as Proc;
    // Killed mid-run: wait until the store lists one of its runs as running.
    const running = await waitFor('a run of site-c in flight', async () =>
      (await db.query("SELECT run_id FROM agent_runs WHERE agent = 'site-c' AND state = 'running'")).rows[0] as { run_id: string } | undefined);
    c.child.kill('SIGKILL');
    const down = await waitFor('site-c down', async () =>
      (await db.query("SELECT state, down_since, last_heartbeat FROM agents WHERE name = 'site-c' AND state = 'down'")).rows[0] as { down_since: Date; last_heartbeat: Date } | undefined, 60_000);
    expect(down.down_since.getTime()).toBe(down.last_heartbeat.getTime());
    const run = (await db.query('SELECT state FROM agent_runs WHERE run_id = $1', [running.run_id])).rows[0] as { state: string };
    expect(run.state).toBe('interrupted');
    const since = down.down_since.toISOString().replace(/\.\d+Z$/, 'Z');

    await waitFor('the coordinator sees site-c down', async () => (await (await fetch(`${coordinatorUrl}/`)).text()).includes('agent down since') || undefined, 30_000);
    const page = await (await fetch(`${coordinatorUrl}/`)).text();
    const row = (test: string): string => page.match(new RegExp(`<tr[^>]*><td>${test}</td>.*?</tr>`))?.[0] ?? '';
    expect(row('SITES/up-c')).toContain(`site-c: agent down since ${since}`);
    expect(row('SITES/up-a')).toContain('running on site-a');
    expect(row('SITES/sweep')).toContain('running on site-a, site-b');
    expect(row('SITES/far-away')).toContain('no running agent (site-z never started or stopped)');
    expect(row('NOBODY/unowned')).toContain('assigned to no agent');
    const metrics = await (await fetch(`${coordinatorUrl}/metrics`)).text();
    expect(metrics).toContain('lakeprobe_agent_up{agent="site-c"} 0');
    expect(metrics).toContain('lakeprobe_agent_up{agent="site-a"} 1');
    expect(metrics).toContain(`lakeprobe_agent_down_since_timestamp_seconds{agent="site-c"} ${down.down_since.getTime() / 1000}`);
    expect(metrics).toContain('lakeprobe_test_without_running_agent{experiment="SITES",test="up-c"} 1');
    expect(metrics).toContain('lakeprobe_test_without_running_agent{experiment="SITES",test="up-a"} 0');
    // The agents that saw it say so, and their own status pages list it.
    await waitFor('an agent logging site-c down', () => ['site-a', 'site-b'].some((n) => procs.get(n)?.out.includes('agent site-c (')) || undefined, 30_000);
    const status = await (await fetch(`${agents['site-a']?.url}/`)).text();
    expect(status).toMatch(/<td>site-c<\/td>.*?agent down since/);

    // The coordinator's challenge report from the shared store says it too, with the agents' own columns.
    const reported = await runCli(['report', '--db', server.url(), '--from', '2000-01-01', '--format', 'md,json', '--out', dir, '--name', 'challenge']);
    expect(reported.code, reported.stdout + reported.stderr).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'challenge', 'report.json'), 'utf8')) as ChallengeReport;
    const sites = report.experiments.find((e) => e.name === 'SITES');
    const verdictNote = (test: string): string | undefined => sites?.tests.find((t) => t.test === test)?.agentStatus;
    expect(verdictNote('up-c')).toBe(`site-c: agent down since ${since}`);
    expect(verdictNote('up-a')).toBe('');
    expect(report.agents.find((a) => a.agent === 'site-c')?.status).toBe(`agent down since ${since}`);
    expect(await readFile(join(dir, 'challenge', 'summary.md'), 'utf8')).toContain(`site-c: agent down since ${since}`);
    // Per-agent columns: the agents the store holds file copies over a link and storage operations for, recounted there.
    const distinct = async (where: string): Promise<string[]> => ((await db.query(
      `SELECT DISTINCT agent FROM op_results WHERE experiment = 'SITES' AND agent <> '' AND ${where} ORDER BY agent`)).rows as { agent: string }[]).map((r) => r.agent);
    const copiers = await distinct("operation = 'replicate' AND protocol <> 'rucio' AND src_rse <> '' AND dst_rse <> ''");
    expect(copiers.length).toBeGreaterThan(0);
    expect([...new Set(sites?.linksByAgent.map((l) => l.agent))].sort()).toEqual(copiers);
    expect([...new Set(sites?.availabilityByAgent.map((a) => a.agent))].sort())
      .toEqual(await distinct("rse <> '' AND protocol <> 'rucio' AND operation NOT IN ('auth', 'list')"));
  }, 300_000);

  it('a plan published to the store reaches a running agent at its next heartbeat', async () => {
    await writeFile(join(dir, 'plan.yaml'), PLAN(B2));
    const published = await runCli(['publish-plan', join(dir, 'plan.yaml'), '--db', server.url()]);
    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout).toMatch(/as version 2 /);
    const b = procs.get('site-b') as Proc;
    await output(b, /plan version 2 \(\w+\) published at \S+: reloading/);
    await output(b, /LATER\/up-b2: run \S+ finished/);
    const hash = createHash('sha256').update(PLAN(B2)).digest('hex');
    await waitFor('site-b heartbeating the new plan', async () =>
      (await db.query("SELECT 1 FROM agents WHERE name = 'site-b' AND plan_hash = $1", [hash])).rowCount || undefined, 30_000);
  }, 300_000);
});
