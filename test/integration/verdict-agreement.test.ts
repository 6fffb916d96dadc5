// One verdict: a scaled run on the sandbox with a Completed, a Partially and a Not verified test;
// the console lines, the exit code, and the Markdown, HTML, JSON, JUnit and CSV files all state the
// same verdict for each test and for the run, the console gives the reason of each test not
// completed, and every one of them states the scale factor with the scaled and full-scale targets.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type JobResult } from '../../src/job.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { runExitCode, summaryLines } from '../../src/cli/commands/run.js';
import type { ChallengeReport } from '../../src/report/schema.js';
import { startTestLake } from './lake-fixture.js';

describe('one verdict in the console, the exit code and every report format', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let dir: string;
  let result: JobResult;
  const file = (name: string): Promise<string> => readFile(join(result.reportDir, name), 'utf8');

  beforeAll(async () => {
    env = await startTestLake('builtin');
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-verdicts-'));
    env.lake.faults.add({ kind: 'rse_down', rse: 'SANDBOX-SAFE' });
    await env.lake.faults.settled();
    const planFile = join(dir, 'agree.yaml');
    await writeFile(planFile, `
name: agree
lake: { sandbox: true }
experiments:
  - name: E
    tests:
      - name: ok
        scenario: upload
        description: two files of 4 KiB to the fast RSE
        auth: [token]
        rses: { names: [SANDBOX-FAST] }
        params: { files: 2, size: 4096 }
        success: { max_failure_rate: 0, min_bytes: 8KiB }
      - name: partial
        scenario: upload
        auth: [token]
        rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
        params: { size: 2048 }
      - name: unverified
        scenario: replicate
        auth: [token]
        rses: { names: [SANDBOX-FAST] }
`);
    result = await runJob({
      planFile, env: env.lake.env, uid: 4_000_002, registry: builtinScenarios(), scale: 0.5,
      dbPath: join(dir, 'agree.db'), outDir: join(dir, 'reports'), reporters: [], log: () => {},
    });
  }, 120_000);
  afterAll(async () => {
    env.lake.faults.clear();
    await env.lake.faults.settled();
    await env.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('judges each test as the lake behaved, and the run by them', () => {
    const tests = result.report.experiments[0]?.tests ?? [];
    expect(tests.map((t) => [t.test, t.verdict])).toEqual([['ok', 'Completed'], ['partial', 'Partially'], ['unverified', 'Not verified']]);
    expect(result.report.verdict).toBe('Partially');
    expect(result.passed).toBe(false);
    expect(runExitCode(result)).toBe(EXIT.testsFailed);
  });

  it('prints the run\'s verdict, the scale and the reason of every test not completed on the console', () => {
    const lines = summaryLines(result).filter(Boolean);
    const tests = result.report.experiments[0]?.tests ?? [];
    expect(lines[0]).toMatch(new RegExp(`^run ${result.run.runId}: \\d+ operations, \\d+ failed — Partially$`));
    expect(lines[1]).toMatch(/^ {2}Rehearsal at --scale 0\.5: /);
    for (const t of tests.filter((x) => x.verdict !== 'Completed')) {
      expect(lines).toContain(`  E/${t.test}: ${t.verdict}: ${t.reasons.join('; ')}`);
      expect(t.reasons.length).toBeGreaterThan(0);
    }
    expect(lines.some((l) => l.startsWith('  E/ok:'))).toBe(false);
    expect(lines.find((l) => l.startsWith('  E/unverified:'))).toBe('  E/unverified: Not verified: nothing could be checked: no replication was made');
  });

  it('writes the same verdicts into report.json, the Markdown, the HTML, the CSV and JUnit', async () => {
    const json = JSON.parse(await file('report.json')) as ChallengeReport;
    const verdicts = Object.fromEntries((json.experiments[0]?.tests ?? []).map((t) => [t.test, t.verdict]));
    expect(verdicts).toEqual({ ok: 'Completed', partial: 'Partially', unverified: 'Not verified' });
    expect(json.verdict).toBe('Partially');
    expect(json.experiments[0]?.verdict).toBe('Partially');

    const summaryMd = await file('summary.md');
    expect(summaryMd).toContain('Verdict: **Partially**.');
    const md = await file('E.md');
    expect(md).toContain('Verdict: **Partially**.');
    const csv = await file('summary.csv');
    const html = await file('E.html');
    const summaryHtml = await file('summary.html');
    expect(summaryHtml).toContain('<span class="verdict bad">Partially</span>');
    const junit = await file('junit.xml');
    for (const [test, verdict] of Object.entries(verdicts)) {
      // The summary table's last column, the experiment's tests table, the CSV row, the HTML cell.
      expect(summaryMd.split('\n').find((l) => l.startsWith(`| E | ${test} |`))?.endsWith(`| ${verdict} |`)).toBe(true);
      expect(md.split('\n').find((l) => l.startsWith(`| ${test} |`))).toMatch(new RegExp(`\\| ${verdict}(: [^|]+)? \\|$`));
      // The verdict column, then the raw files, bytes and data rate columns.
      expect(csv.split('\n').find((l) => l.startsWith(`E,${test},`))).toMatch(new RegExp(`,${verdict},\\d+,\\d+,\\d*$`));
      expect(html).toMatch(new RegExp(`<td[^>]*>${verdict}(: [^<]*)?</td>`));
      const testcase = new RegExp(`<testcase name="${test}"[^>]*?(/>|>[\\s\\S]*?</testcase>)`).exec(junit)?.[0] ?? '';
      expect(testcase).not.toBe('');
      expect(testcase.includes('<failure')).toBe(verdict !== 'Completed');
      if (verdict !== 'Completed') expect(testcase).toContain(`message="${verdict}: `);
    }
    expect(junit).toMatch(/<testcase name="unverified"[\s\S]*?<failure type="not_verified"/);
    expect(junit).toContain('<property name="report verdict" value="Partially"/>');
  });

  it('states the scale factor and both targets of a scaled criterion in every format', async () => {
    const json = JSON.parse(await file('report.json')) as ChallengeReport;
    expect(json.scale).toMatch(/^Rehearsal at --scale 0\.5: /);
    expect(json.selection.runs[0]?.scale).toBe(0.5);
    // 2 files of 4096 B at full scale; at 0.5 each is 2048 B: min_bytes 8 KiB becomes 4 KiB.
    const c = json.experiments[0]?.tests[0]?.criteria.find((x) => x.text.includes('uploaded'));
    expect(c).toMatchObject({ text: '4.0 KiB uploaded', fullScale: '8.0 KiB uploaded', status: 'met', actual: '2 files / 4.0 KiB' });
    for (const name of ['summary.md', 'E.md', 'summary.html', 'E.html', 'junit.xml', 'E.junit.xml']) {
      const text = await file(name);
      expect(text, name).toContain('Rehearsal at --scale 0.5');
      expect(text, name).toContain('full scale: 8.0 KiB uploaded');
    }
    expect(await file('summary.csv')).toContain('full scale: 8.0 KiB uploaded');
    expect((await file('summary.csv')).split('\n')[0]).toMatch(/,scale,completed,files,bytes,data_rate_bytes_per_second$/);
    expect((await file('summary.csv')).split('\n').find((l) => l.startsWith('E,ok,'))).toMatch(/,0\.5,Completed,\d+,\d+,\d*$/);
    expect((JSON.parse(await file('E.json')) as { scale: string }).scale).toMatch(/^Rehearsal at --scale 0\.5: /);
  });
});
