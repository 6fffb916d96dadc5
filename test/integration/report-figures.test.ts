// A run against the sandbox with a known number of files, bytes and links and a known number of
// injected failures (an RSE down): its report states exactly those numbers in every format.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type JobResult } from '../../src/job.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { SANDBOX_RSES } from '../../src/sandbox/config.js';
import { challengeReportSchema, type ChallengeReport } from '../../src/report/schema.js';
import { csvRows } from '../helpers/csv-rows.js';
import { startTestLake } from './lake-fixture.js';

const UP = { files: 4, size: 3000 };
const REP = { files: 3, size: 20_000, destinations: ['SANDBOX-NONDET', 'SANDBOX-SAFE'] };
const DOWN = { files: 2, size: 1500 };

const PLAN = `
name: known-figures
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: FIG
    description: known files, bytes, links and failures
    tests:
      - name: up
        scenario: upload
        auth: [x509]
        params: { files: ${UP.files}, size: ${UP.size}, download: false }
      - name: rep
        scenario: replication
        auth: [x509]
        params: { files: ${REP.files}, size: ${REP.size}, poll_seconds: 0.2, timeout_seconds: 60, verify: false,
                  rules: [${REP.destinations.map((d) => `{ expression: ${d} }`).join(', ')}] }
      - name: down
        scenario: upload
        auth: [x509]
        rses: { names: [SANDBOX-DOWN] }
        params: { files: ${DOWN.files}, size: ${DOWN.size}, download: false }
`;

/** Binary units, one decimal, as the README states sizes are written. */
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

describe('report of a sandbox run with known figures (builtin storage)', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let result: JobResult;
  let json: ChallengeReport;
  const file = (name: string): string => readFileSync(join(result.reportDir, name), 'utf8');
  beforeAll(async () => {
    env = await startTestLake('builtin', { rses: [...SANDBOX_RSES, { name: 'SANDBOX-DOWN', deterministic: true, attributes: {} }] });
    env.lake.faults.add({ kind: 'rse_down', rse: 'SANDBOX-DOWN' });
    await env.lake.faults.settled();
    const planFile = join(env.dir, 'plan.yaml');
    await writeFile(planFile, PLAN);
    result = await runJob({
      planFile, env: env.lake.env, uid: 4_000_001, registry: builtinScenarios(),
      dbPath: join(env.dir, 'results.db'), outDir: join(env.dir, 'reports'), reporters: [], log: () => {},
    });
    json = challengeReportSchema.parse(JSON.parse(file('report.json')));
  }, 240_000);
  afterAll(() => env?.stop());

  it('JSON: files and bytes per test, links, times per file and per rule, the injected failures', () => {
    const e = json.experiments[0]!;
    const test = (name: string) => e.tests.find((t) => t.test === name)!;
    expect([test('up').files, test('up').bytes]).toEqual([UP.files, UP.files * UP.size]);
    const copies = REP.files * REP.destinations.length;
    expect([test('rep').files, test('rep').bytes]).toEqual([copies, copies * REP.size]);
    expect([test('down').files, test('down').bytes]).toEqual([0, 0]);
    expect(e.links.map((l) => [l.src, l.dst, l.attempts, l.successes, l.bytes])).toEqual(
      REP.destinations.map((d) => ['SANDBOX-FAST', d, REP.files, REP.files, REP.files * REP.size]),
    );
    expect(e.linkSizes.map((s) => s.sizeClass)).toEqual(['16KiB', '16KiB']);
    expect(e.replication.map((r) => [r.dst, r.count])).toEqual(REP.destinations.map((d) => [d, REP.files]));
    // Per file from the catalogue's timestamps: whole seconds.
    for (const r of e.replication) for (const ms of [r.p50Ms, r.p95Ms, r.maxMs]) expect(ms % 1000).toBe(0);
    expect(e.replicationPerRule.map((r) => [r.dst, r.attempts, r.count])).toEqual(REP.destinations.map((d) => [d, 1, 1]));
    const failed = e.failures.filter((g) => g.errorClass === 'connection_refused');
    expect(failed.map((g) => [g.count, g.places])).toEqual([[DOWN.files, 1]]);
    expect(e.failures.reduce((n, g) => n + g.count, 0)).toBe(DOWN.files);
    expect(test('down').failures).toBe(DOWN.files);
  });

  it('CSV: the same numbers, raw, in their own columns', () => {
    const tests = csvRows(file('FIG.tests.csv'));
    expect(tests.map((t) => [t.test, Number(t.files), Number(t.bytes), Number(t.failures)])).toEqual([
      ['up', UP.files, UP.files * UP.size, 0], ['rep', 6, 6 * REP.size, 0], ['down', 0, 0, DOWN.files],
    ]);
    const summary = csvRows(file('summary.csv'));
    expect(summary.map((s) => [s.test, Number(s.files), Number(s.bytes)])).toEqual([['up', 4, 12_000], ['rep', 6, 120_000], ['down', 0, 0]]);
    expect(csvRows(file('FIG.links.csv')).map((l) => [l.dst_rse, Number(l.attempts), Number(l.successes), Number(l.bytes)]))
      .toEqual(REP.destinations.map((d) => [d, 3, 3, 60_000]));
    expect(csvRows(file('FIG.time-to-replicate.csv')).map((r) => [r.dst_rse, Number(r.count)])).toEqual(REP.destinations.map((d) => [d, 3]));
    expect(csvRows(file('FIG.time-to-replicate-per-rule.csv')).map((r) => [r.dst_rse, Number(r.count)])).toEqual(REP.destinations.map((d) => [d, 1]));
    expect(csvRows(file('FIG.failures.csv')).map((f) => [f.error_class, Number(f.count)])).toEqual([['connection_refused', DOWN.files]]);
  });

  it('Markdown: the tests table, the links, both times to replicate and one failure section', () => {
    const md = file('FIG.md');
    const row = (test: string): string => md.split('\n').find((l) => l.startsWith(`| ${test} |`)) ?? '';
    expect(row('up')).toContain(`| ${UP.files} | ${kib(12_000)} |`);
    expect(row('rep')).toContain(`| 6 | ${kib(120_000)} |`);
    expect(row('down')).toContain(`| ${DOWN.files} | 0 | 0 B |`);
    for (const d of REP.destinations) expect(md).toContain(`| SANDBOX-FAST | ${d} | 3 | 100.0 % |`);
    expect(md).toContain('## Time to replicate, per file');
    expect(md).toContain('## Time to replicate, per rule');
    for (const d of REP.destinations) expect(md).toMatch(new RegExp(`\\| SANDBOX-FAST \\| ${d} \\| 3 \\| 3 \\| (< 1 s|\\d+ s) \\|`));
    expect(md.match(/^### `[a-z_]+` — .*$/gm)).toEqual([`### \`connection_refused\` — ${DOWN.files}×`]);
    expect(file('summary.md')).toContain(`| 6 files / ${kib(120_000)} |`);
    expect(file('summary.md')).toContain(`| 4 files / ${kib(12_000)} |`);
  });

  it('HTML: the same numbers on the experiment page and the summary page', () => {
    const html = file('FIG.html');
    expect(html).toContain(`<td>up</td>`);
    expect(html).toContain(`<td class="num">${UP.files}</td><td>${kib(12_000)}</td>`);
    expect(html).toContain(`<td class="num">6</td><td>${kib(120_000)}</td>`);
    for (const d of REP.destinations) expect(html).toContain(`<td>SANDBOX-FAST</td><td>${d}</td><td class="num">3</td><td class="ok">100.0 %</td>`);
    expect(html.match(/<h3 class="sev-error"><code>[a-z_]+<\/code> — \d+×<\/h3>/g)).toEqual([`<h3 class="sev-error"><code>connection_refused</code> — ${DOWN.files}×</h3>`]);
    const summary = file('summary.html');
    expect(summary).toContain(`<td>6 files / ${kib(120_000)}</td>`);
    expect(summary).toContain(`<td>4 files / ${kib(12_000)}</td>`);
  });
});
