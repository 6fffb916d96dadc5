import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/jobs/daemon.js';
import { ResultsStore } from '../../src/results/store.js';
import type { ChallengeReport } from '../../src/report/schema.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { startTestLake } from '../integration/lake-fixture.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const plan = (extraTest = ''): string => `name: daemon-it
lake: { sandbox: true }
experiments:
  - name: DAEMON
    tests:
      - name: up
        scenario: upload
        auth: [x509, token]
        rses: { names: [SANDBOX-FAST] }
        params: { size: 2048, download: false }
        schedule: { cron: "*/2 * * * * *" }
      - name: broken
        scenario: upload
        auth: [token]
        rses: { names: [NO-SUCH-RSE] }
        params: { size: 1024 }
        schedule: { cron: "*/2 * * * * *", offset_seconds: 1 }
${extraTest}`;

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const metricValue = (text: string, line: RegExp): number | undefined => {
  const m = text.split('\n').find((l) => line.test(l));
  return m === undefined ? undefined : Number(m.slice(m.lastIndexOf(' ') + 1));
};

describe('the daemon against the sandbox', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let dir: string;
  let planFile: string;
  let daemon: Daemon;
  let browser: Browser | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    env = await startTestLake();
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-daemon-'));
    planFile = join(dir, 'plan.yaml');
    await writeFile(planFile, plan());
    daemon = await startDaemon({
      planFile, env: env.lake.env, uid: 4_000_002, registry: builtinScenarios(), dbPath: join(dir, 'r.db'),
      port: 0, log: (l) => lines.push(l), statusRefreshSeconds: 1, stopGraceMs: 20_000,
      outDir: join(dir, 'reports'), reportFormats: ['md', 'json'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the scheduled tests and exports their metrics', async () => {
    const text = await until('two runs of each test', async () => {
      const t = await (await fetch(`${daemon.url}/metrics`)).text();
      const ok = (metricValue(t, /^lakeprobe_schedule_runs_total\{experiment="DAEMON",test="up"\}/) ?? 0) >= 2
        && (metricValue(t, /^lakeprobe_schedule_runs_total\{experiment="DAEMON",test="broken"\}/) ?? 0) >= 2
        && metricValue(t, /^lakeprobe_test_success\{experiment="DAEMON",test="up"\}/) !== undefined;
      return ok && t;
    });
    expect(metricValue(text, /^lakeprobe_test_success\{experiment="DAEMON",test="up"\}/)).toBe(1);
    expect(metricValue(text, /^lakeprobe_test_success\{experiment="DAEMON",test="broken"\}/)).toBe(0);
    expect(metricValue(text, /^lakeprobe_config_last_reload_successful /)).toBe(1);
    expect(metricValue(text, /^lakeprobe_credential_expiry_timestamp_seconds\{auth_method="x509"\}/)).toBeGreaterThan(Date.now() / 1000);
    expect(metricValue(text, /^lakeprobe_credential_lifetime_seconds\{auth_method="x509"\}/)).toBeGreaterThan(0);
    expect(metricValue(text, /^lakeprobe_schedule_next_run_timestamp_seconds\{experiment="DAEMON",test="up"\}/)).toBeGreaterThan(Date.now() / 1000 - 5);
    expect(text).toMatch(/lakeprobe_failures_total\{[^}]*test="broken"[^}]*error_class="not_found"[^}]*severity="error"\} \d/);
    // The failed-operations gauge is the last run's, not a sum over the daemon's life.
    expect(metricValue(text, /^lakeprobe_test_failed_operations\{experiment="DAEMON",test="broken"\}/)).toBe(1);
    const health = await fetch(`${daemon.url}/healthz`);
    expect(health.status).toBe(200);
  }, 60_000);

  it('shows recent runs, failures with class and remedy, and credential lifetimes on a page that refreshes itself', async () => {
    await until('a passed run of DAEMON/up', () => daemon.history.runs.some((r) => r.test === 'up' && r.outcome === 'passed'));
    await until('a failure of DAEMON/broken', () => daemon.history.failures.some((f) => f.test === 'broken'));
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    let loads = 0;
    page.on('load', () => { loads++; });
    await page.goto(`${daemon.url}/`);
    expect(await page.title()).toBe('lakeprobe daemon — daemon-it');
    const runs = await page.locator('#runs tbody tr').allInnerTexts();
    expect(runs.some((r) => r.includes('DAEMON/up') && r.includes('passed')), runs.join('\n')).toBe(true);
    const failure = (await page.locator('#failures tbody tr', { hasText: 'DAEMON/broken' }).first().innerText());
    expect(failure).toContain('DAEMON/broken');
    expect(failure).toContain('not_found');
    expect(failure).toContain('check the name');
    const creds = await page.locator('#credentials tbody tr').allInnerTexts();
    expect(creds.map((c) => c.split('\t')[0])).toEqual(['x509', 'token']);
    for (const c of creds) expect(c).toMatch(/\d+ (d|h|min)/);
    await until('the page to reload itself', () => loads >= 2, 10_000);
    expect(await page.locator('#reload').innerText()).toContain('last plan load: ok');
  }, 60_000);

  it('keeps the old plan running when a reload fails, and adopts a good one on file change', async () => {
    await writeFile(planFile, plan().replace('scenario: upload', 'scenario: uplaod'));
    expect(await daemon.reload()).toBe(false);
    let text = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metricValue(text, /^lakeprobe_config_last_reload_successful /)).toBe(0);
    const before = metricValue(text, /^lakeprobe_schedule_runs_total\{experiment="DAEMON",test="up"\}/) ?? 0;
    await until('runs under the old plan', async () => {
      const t = await (await fetch(`${daemon.url}/metrics`)).text();
      return (metricValue(t, /^lakeprobe_schedule_runs_total\{experiment="DAEMON",test="up"\}/) ?? 0) > before;
    });
    await writeFile(planFile, plan(`      - name: added
        scenario: upload
        auth: [token]
        rses: { names: [SANDBOX-FAST] }
        params: { size: 1024, download: false }
        schedule: { cron: "*/3 * * * * *" }
`));
    text = await until('the watcher to reload the plan', async () => {
      const t = await (await fetch(`${daemon.url}/metrics`)).text();
      return metricValue(t, /^lakeprobe_config_last_reload_successful /) === 1 && t.includes('test="added"') && t;
    });
    expect(text).toMatch(/lakeprobe_schedule_next_run_timestamp_seconds\{experiment="DAEMON",test="added"\}/);
    expect(lines.some((l) => /^\S+Z warning: plan reload failed/.test(l))).toBe(true);
  }, 60_000);

  it('judges each run by its own stored plan, writes its report under --out, and logs with times and reasons', async () => {
    const finished = await until('a finished run of DAEMON/broken', () =>
      lines.map((l) => /^(\S+) DAEMON\/broken: run (\S+) finished: (.*)$/.exec(l)).find(Boolean));
    const [, stamp, runId, rest] = finished!;
    expect(new Date(stamp!).toISOString()).toBe(stamp);
    // The verdict and its reason, as the run's report gives them.
    const json = JSON.parse(await readFile(join(dir, 'reports', runId!, 'report.json'), 'utf8')) as ChallengeReport;
    const t = json.experiments[0]!.tests[0]!;
    expect(json.experiments.map((e) => e.tests.map((x) => x.test))).toEqual([['broken']]);
    expect(t.verdict).not.toBe('Completed');
    expect(rest).toBe(`${t.operations} operations, ${t.failures} failed — ${t.verdict}: ${t.reasons.join('; ')}`);
    expect(t.reasons.join(' ')).toMatch(/\S/);
    expect(lines.some((l) => l.includes(`DAEMON/broken: report of run ${runId}: ${join(dir, 'reports', runId!)}`))).toBe(true);
    // Every line of the daemon carries its time.
    for (const l of lines) expect(l.split('\n')[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
    // The stored plan is the run's own: the one test it ran, with that test's criteria.
    const store = new ResultsStore(join(dir, 'r.db'));
    try {
      const snapshot = store.plan(runId!)?.snapshot;
      expect(snapshot?.experiments.map((e) => [e.name, e.tests.map((x) => [x.name, x.scenario])])).toEqual([['DAEMON', [['broken', 'upload']]]]);
      const up = store.runs().find((r) => store.results(r.runId).some((x) => x.test === 'up'));
      expect(store.plan(up!.runId)?.snapshot.experiments[0]?.tests.map((x) => x.name)).toEqual(['up']);
    } finally {
      store.close();
    }
  }, 60_000);

  it('stops gracefully: in-flight runs finish, every run is recorded and the ledger has nothing pending', async () => {
    const report = await daemon.stop();
    expect(report.abandoned).toEqual([]);
    const store = new ResultsStore(join(dir, 'r.db'));
    try {
      const runs = store.runs();
      expect(runs.length).toBeGreaterThanOrEqual(4);
      for (const r of runs) expect(r.finishedAt, r.runId).not.toBeNull();
      expect(store.pending()).toEqual([]);
    } finally {
      store.close();
    }
    expect((await fetch(`${daemon.url}/healthz`).catch(() => null))).toBeNull();
  }, 60_000);
});
