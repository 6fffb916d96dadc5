// The daemon writing to a shared PostgreSQL store that goes away for 30 s and comes back: runs
// go on, the status page and the metrics say the store is away while it lasts, and at the end
// PostgreSQL holds every result exactly once (recounted here against the journal and the runs'
// own totals), with the password of the --db URL in no line the daemon printed.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describeWithTools } from '../helpers/tools.js';
import { runCli } from '../helpers/cli-process.js';
import { POSTGRES, startPostgres, type TestPostgres } from '../helpers/postgres.js';

const BIN = resolve('dist/src/cli/bin.js');
const OUTAGE_MS = 30_000;

const PLAN = `name: outage
lake: { sandbox: true }
experiments:
  - name: OUT
    tests:
      - name: up
        scenario: upload
        auth: [token]
        rses: { names: [SANDBOX-FAST] }
        params: { size: 1024, download: false }
        schedule: { cron: "*/2 * * * * *" }
`;

describeWithTools([POSTGRES], 'lakeprobe daemon --db postgresql://… through a store outage', () => {
  let dir: string;
  let server: TestPostgres;
  let child: ChildProcessWithoutNullStreams | undefined;
  let stdout = '';
  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-store-outage-'));
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const got = await probe();
      if (got !== undefined) return got;
      if (child?.exitCode !== null) throw new Error(`daemon exited (${child?.exitCode}) before ${what}:\n${stdout}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const finishedRuns = (): number => (stdout.match(/OUT\/up: run \S+ finished/g) ?? []).length;

  it('loses nothing, doubles nothing, and says the store is away while it is', async () => {
    const url = await server.createDatabase('outage');
    const planFile = join(dir, 'plan.yaml');
    const journal = join(dir, 'journal.db');
    await writeFile(planFile, PLAN);
    child = spawn(process.execPath, [BIN, 'daemon', planFile, '--port', '0', '--db', url, '--no-report', '--out', join(dir, 'reports'),
      '--sandbox-dir', join(dir, 'sandbox'), '--stop-grace-seconds', '20'], {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LAKEPROBE_JOURNAL: journal },
    }) as ChildProcessWithoutNullStreams;
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stdout += d.toString(); });
    const base = await waitFor('the listening line', () => /listening: (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1]);
    const page = async (): Promise<string> => (await fetch(`${base}/`)).text();
    await waitFor('a first finished run', () => (finishedRuns() >= 1 ? true : undefined));
    expect(await page()).toMatch(/id="store" class="passed">results store postgresql:\/\/lakeprobe@127\.0\.0\.1:\d+\/outage: reachable/);

    await server.stop();
    const before = finishedRuns();
    const awayPage = await waitFor('the status page to say the store is away', async () => {
      const html = await page();
      return /id="store" class="failed">results store \S+: UNREACHABLE since/.test(html) ? html : undefined;
    });
    expect(awayPage).toMatch(/\d+ journal entries kept locally/);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(Number(/^lakeprobe_store_unreachable_since_timestamp_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const duringOutage = finishedRuns() - before;
    expect(duringOutage).toBeGreaterThanOrEqual(2);

    await server.start();
    await waitFor('the store to be reachable again', async () => (/id="store" class="passed">/.test(await page()) ? true : undefined));
    expect(stdout).toMatch(/results store \S+ reachable again after \d+ s/);
    await waitFor('a run finished after the outage', () => (finishedRuns() > before + duringOutage ? true : undefined));

    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).not.toContain(server.password);

    // The runs' own counts, from the daemon's lines.
    const totals = new Map([...stdout.matchAll(/OUT\/up: run (\S+) finished: (\d+) operations/g)].map((m) => [m[1] as string, Number(m[2])]));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const perRun = new Map(((await client.query("SELECT run_id, COUNT(*)::int AS n FROM op_results WHERE outcome != 'skipped' GROUP BY run_id"))
        .rows as { run_id: string; n: number }[]).map((r) => [r.run_id, r.n]));
      expect(perRun).toEqual(totals);
      const all = (await client.query('SELECT COUNT(*)::int AS n, COUNT(DISTINCT (origin, id))::int AS keys, COUNT(DISTINCT origin)::int AS origins FROM op_results')).rows[0];
      const runs = (await client.query("SELECT COUNT(*)::int AS n, COUNT(*) FILTER (WHERE state = 'finished')::int AS finished FROM runs")).rows[0];
      const local = new Database(journal, { readonly: true });
      try {
        const journalCount = (local.prepare('SELECT COUNT(*) AS n, MAX(id) AS hi FROM op_results').get() as { n: number; hi: number });
        expect(all).toEqual({ n: journalCount.n, keys: journalCount.n, origins: 1 });
        // No gap: local ids are 1..n and all of them are in PostgreSQL.
        expect(journalCount.hi).toBe(journalCount.n);
        expect((local.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n).toBe(0);
      } finally {
        local.close();
      }
      expect(runs).toEqual({ n: totals.size, finished: totals.size });
    } finally {
      await client.end();
    }

    // The coordinator's report, read from PostgreSQL, counts what the runs counted.
    const report = await runCli(['report', '--db', url, '--from', '2000-01-01', '--format', 'json', '--out', join(dir, 'challenge'), '--name', 'all'],
      { cwd: dir });
    expect(report.code, report.stdout + report.stderr).toBe(0);
    expect(report.stdout + report.stderr).not.toContain(server.password);
    const json = JSON.parse(await readFile(join(dir, 'challenge', 'all', 'report.json'), 'utf8')) as {
      selection: { runs: unknown[] }; experiments: { tests: { operations: number }[] }[];
    };
    expect(json.selection.runs).toHaveLength(totals.size);
    expect(json.experiments.flatMap((e) => e.tests).reduce((n, t) => n + t.operations, 0)).toBe([...totals.values()].reduce((a, b) => a + b, 0));
  }, 300_000);
});
