// The daemon's status page opens with what is wrong now. A daemon runs an upload test on two
// sandbox RSEs every few seconds; one RSE stops listening (the rse_down fault). The page, fetched
// over HTTP and rendered in headless Chromium, shows that RSE failing since the first failure of
// the streak, with its class and the storage's remedy, and the other RSE and the auth method OK;
// once the fault is removed it shows the RSE OK again since it recovered. Both times are recounted
// here from the results store.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/jobs/daemon.js';
import type { OpResult } from '../../src/engine/op-result.js';
import { ERROR_CLASSES } from '../../src/engine/taxonomy.js';
import { ResultsStore } from '../../src/results/store.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { startTestLake, STORAGE_KINDS, type TestLake } from './lake-fixture.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DOWN = 'SANDBOX-SAFE';
const UP = 'SANDBOX-FAST';

const PLAN = `name: status-now
lake: { sandbox: true }
experiments:
  - name: NOW
    tests:
      - name: up
        scenario: upload
        auth: [x509]
        rses: { names: [${UP}, ${DOWN}] }
        params: { files: 1, size: 1024, download: false }
        schedule: { cron: "*/3 * * * * *" }
`;

interface Row {
  state: string;
  since: string;
  /** subject, state, since, class, service, remedy, failing operations, latest failure, last result */
  cells: string[];
}

const decode = (s: string): string => s.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));

/** The rows of one of the page's state tables, by subject, read from the HTML as served. */
function stateRows(html: string, table: string): Map<string, Row> {
  const body = new RegExp(`<table id="${table}">([\\s\\S]*?)</table>`).exec(html)?.[1] ?? '';
  const rows = new Map<string, Row>();
  for (const m of body.matchAll(/<tr class="\w+" data-subject="([^"]*)" data-state="(\w+)" data-since="([^"]*)">([\s\S]*?)<\/tr>/g)) {
    const cells = [...(m[4] as string).matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => decode(c[1] as string));
    rows.set(decode(m[1] as string), { state: m[2] as string, since: m[3] as string, cells });
  }
  return rows;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const endMs = (r: OpResult): number => Date.parse(r.start) + r.durationMs;
const onRse = (r: OpResult, rse: string): boolean => (r.rse || r.dstRse) === rse;
const opKey = (r: OpResult): string => `${r.experiment}/${r.test} ${r.operation} ${r.protocol} ${r.authMethod} ${r.identityRole}`;

describe.each(STORAGE_KINDS)('the status page says what is wrong now (%s storage)', (storage) => {
  let env: TestLake;
  let dir: string;
  let daemon: Daemon;

  beforeAll(async () => {
    env = await startTestLake(storage);
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-now-'));
    await writeFile(join(dir, 'plan.yaml'), PLAN);
    daemon = await startDaemon({
      planFile: join(dir, 'plan.yaml'), env: env.lake.env, uid: 4_000_003, registry: builtinScenarios(), dbPath: join(dir, 'r.db'),
      port: 0, log: () => {}, statusRefreshSeconds: 2, stopGraceMs: 30_000, watch: false,
    });
  }, 120_000);
  afterAll(async () => {
    await daemon?.stop();
    await env?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const page = async (): Promise<string> => (await fetch(`${daemon.url}/`)).text();
  const stored = (): OpResult[] => {
    const store = new ResultsStore(join(dir, 'r.db'));
    try {
      return store.resultsBetween('0', '9');
    } finally {
      store.close();
    }
  };

  it('shows the RSE that stops listening failing since its first failure, with class and remedy, and then recovered', async () => {
    await until('both RSEs and x509 OK', async () => {
      const html = await page();
      const rses = stateRows(html, 'now-rses');
      const auth = stateRows(html, 'now-auth');
      return rses.get(UP)?.state === 'ok' && rses.get(DOWN)?.state === 'ok' && auth.get('x509')?.state === 'ok' ? true : undefined;
    }, 90_000);

    const faultAt = Date.now();
    const fault = env.lake.faults.add({ kind: 'rse_down', rse: DOWN });
    await env.lake.faults.settled();
    // An operation in flight when the storage went away may see the connection drop (connection_reset);
    // the page shows the latest failure's class, and the streak keeps its first failure's time.
    const failingHtml = await until(`${DOWN} failing with connection_refused`, async () => {
      const html = await page();
      const row = stateRows(html, 'now-rses').get(DOWN);
      return row?.state === 'failing' && row.cells[3] === 'connection_refused' ? html : undefined;
    }, 90_000);

    // Recount: the first failure on the RSE ended the healthy streak.
    const failures = stored().filter((r) => onRse(r, DOWN) && r.outcome === 'failed');
    const firstFailure = Math.min(...failures.map(endMs));
    const since = new Date(firstFailure).toISOString();
    expect(firstFailure).toBeGreaterThanOrEqual(faultAt);
    const down = stateRows(failingHtml, 'now-rses').get(DOWN) as Row;
    expect(down.since).toBe(since);
    const [, state, sinceText, errorClass, service, remedy, failing] = down.cells;
    expect([state, errorClass, service, remedy]).toEqual(['FAILING', 'connection_refused', 'storage', ERROR_CLASSES.connection_refused.remedy]);
    expect(sinceText).toMatch(new RegExp(`^${since.replace(/\./g, '\\.')} \\(\\d+ min ago\\)$`));
    expect(failing).toMatch(/^NOW\/up \w+ \w+ x509: connection_refused/);
    expect(stateRows(failingHtml, 'now-rses').get(UP)?.state).toBe('ok');
    expect(stateRows(failingHtml, 'now-auth').get('x509')?.state).toBe('ok');
    expect(failingHtml).toContain(`Failing now: ${DOWN} (connection_refused since ${since})`);

    // Rendered, the failing RSE is on the first screen, above the details.
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await tab.goto(`${daemon.url}/`);
      const row = tab.locator(`#now-rses tr[data-subject="${DOWN}"]`);
      const text = await row.innerText();
      expect(text).toContain('FAILING');
      expect(text).toContain('connection_refused');
      const box = await row.boundingBox();
      expect(box && box.y + box.height).toBeLessThanOrEqual(800);
      const details = await tab.locator('h2', { hasText: 'Recent runs' }).boundingBox();
      expect(box && details && box.y < details.y).toBe(true);
    } finally {
      await browser.close();
    }

    env.lake.faults.remove(fault);
    await env.lake.faults.settled();
    const recoveredHtml = await until(`${DOWN} OK again`, async () => {
      const html = await page();
      return stateRows(html, 'now-rses').get(DOWN)?.state === 'ok' ? html : undefined;
    }, 90_000);

    // Recount: OK again once each operation that failed had succeeded after its last failure.
    const results = stored().filter((r) => onRse(r, DOWN) && r.outcome !== 'skipped');
    const failedKeys = new Set(results.filter((r) => r.outcome === 'failed').map(opKey));
    const cleared = [...failedKeys].map((key) => {
      const mine = results.filter((r) => opKey(r) === key);
      const lastFailure = Math.max(...mine.filter((r) => r.outcome === 'failed').map(endMs));
      return Math.min(...mine.filter((r) => r.outcome === 'ok' && endMs(r) > lastFailure).map(endMs));
    });
    const recovered = new Date(Math.max(...cleared)).toISOString();
    const back = stateRows(recoveredHtml, 'now-rses').get(DOWN) as Row;
    expect(back.since).toBe(recovered);
    expect(Date.parse(back.since)).toBeGreaterThan(firstFailure);
    expect(back.cells.slice(1, 4)).toEqual(['OK', expect.stringMatching(/^\S+ \(\d+ min ago\)$/), '']);
    expect(stateRows(recoveredHtml, 'now-rses').get(UP)?.state).toBe('ok');
    expect(recoveredHtml).toContain('Nothing is failing now: 2 RSEs and 1 auth methods OK');
  }, 300_000);
});
