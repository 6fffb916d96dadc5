import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { ERROR_CLASSES, ERROR_CLASS_NAMES } from '../../src/engine/taxonomy.js';
import { buildChallengeReport } from '../../src/report/challenge.js';
import { formatBytes, formatDuration, formatRate } from '../../src/report/format.js';
import { renderCsv, renderCsvTables, renderSummaryCsv } from '../../src/report/csv.js';
import { renderMarkdown, renderSummaryMarkdown } from '../../src/report/markdown.js';
import { snapshotPlan } from '../../src/results/plan-snapshot.js';
import { opResult } from '../helpers/op-result.js';
import { KNOWN_RESULTS, MiB, knownPlan } from './known-store.js';

const REF = { runId: 'run-1', planName: 'dac-mini', planHash: 'ab'.repeat(32), startedAt: '', finishedAt: '', state: 'finished' as const };

function reportOf(results: OpResult[], state: 'finished' | 'interrupted' = 'finished') {
  const report = buildChallengeReport({
    name: 'dac-mini', runs: [{ ...REF, state }], plans: new Map([['run-1', snapshotPlan(knownPlan())]]), results, slotSeconds: 300,
  });
  return { report, ska: report.experiments[0]! };
}

/** The lines of one `## ` section, heading excluded. */
function section(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

describe('renderMarkdown', () => {
  const { report, ska } = reportOf(KNOWN_RESULTS);
  const md = renderMarkdown(report, ska);

  it('opens with the experiment, the runs, the window, the plan hash and the verdict', () => {
    expect(md.split('\n')[0]).toBe('# SKA — challenge report');
    expect(md).toContain('Runs `run-1`; from 2026-03-01T10:00:00.000Z to 2026-03-01T10:30:00.200Z; plan `abababababab`. Verdict: **Partially**.');
    expect(md).toContain('SKA data challenge, March');
  });

  it('has one row per test with description, criteria met or missed, volume and verdict with its reasons', () => {
    const tests = section(md, 'Tests');
    expect(tests).toContain('| upload | upload 1 MiB files to every RSE | QOS=FAST | ✓ ≥ 75 % of transfers succeeded (6 of 8 succeeded (75.0 %)) | 10 | 3 | 6 | 6.0 MiB | 6.54 kB/s | SITE_A, SITE_B | Completed |');
    expect(tests).toContain('| embargo | outsiders cannot read embargoed data | – | ✗ no operation failed (1 of 4 failed (25.0 %)) | 4 | 1 | 1 | 1.0 MiB | 103 kB/s | SITE_A | Failed: 1 critical result; no operation failed: 1 of 4 failed (25.0 %) |');
  });

  it('has the daily table per RSE, as sites post it', () => {
    expect(section(md, 'Per RSE and day (storage operations ok / all)')).toEqual(['', '| RSE | 2026-03-01 |', '|---|---|',
      '| SITE_A | 6/7 (85.7 %) |', '| SITE_B | 5/8 (62.5 %) |', '| SITE_C | 2/2 (100.0 %) |', '']);
  });

  it('has the link matrix with sources down and destinations across', () => {
    expect(section(md, 'Link matrix (source ↓ × destination →)')).toEqual(['', '| source | SITE_B | SITE_C |', '|---|---|---|',
      '| SITE_A | 75.0 % ok · 1.35 MB/s · p50 4 s / p95 8 s | 100.0 % ok · 1.05 MB/s · p50 1 s / p95 1 s |', '']);
  });

  it('lists the observations, critical first', () => {
    const obs = section(md, 'Observations').filter((l) => l.startsWith('- '));
    expect(obs[0]).toMatch(/^- \*\*critical\*\* Embargo violated on SITE_A/);
    expect(obs.at(-1)).toMatch(/^- \*\*info\*\* Fastest link SITE_A→SITE_B/);
  });

  it('says "auth failed" with the class for a method whose login failed, one table per test', () => {
    const auth = section(md, 'RSE × auth method');
    expect(auth).toContain('One table per test; a cell counts that test\'s operations on the RSE with the method (per operation in the CSV).');
    const upload = auth.slice(auth.indexOf('### upload'));
    expect(upload).toContain('| RSE | token | x509 |');
    expect(upload).toContain('| SITE_A | **auth failed (auth_invalid)** | ok (4 ops) |');
    expect(upload).toContain('| SITE_B | **auth failed (auth_invalid)** | **2/4 failed: upload 2/4 (connection_refused)** |');
    expect(auth.join('\n')).not.toContain('not run');
  });

  it('says "not run" for a method that logged in but never reached the RSE', () => {
    const rs = [
      opResult({ experiment: 'SKA', test: 'upload', rse: 'SITE_A' }),
      opResult({ experiment: 'SKA', test: 'upload', operation: 'auth', rse: '', authMethod: 'token' }),
    ];
    const r = reportOf(rs);
    expect(section(renderMarkdown(r.report, r.ska), 'RSE × auth method')).toContain('| SITE_A | not run | ok (1 ops) |');
  });

  it('explains failures grouped by class and normalised message, with where they happened, largest group first', () => {
    const why = section(md, 'Why things failed');
    const headings = why.filter((l) => l.startsWith('### '));
    expect(headings).toEqual(['### `embargo_violation` — 1× (critical)', '### `connection_refused` — 2×', '### `auth_invalid` — 1×', '### `rule_stuck` — 1×']);
    expect(why).toContain(`${ERROR_CLASSES.connection_refused.meaning}. **What to do:** ${ERROR_CLASSES.connection_refused.remedy}.`);
    expect(why).toContain('- 2× upload [x509] on SITE_B, from 2026-03-01T10:06:01.000Z to 2026-03-01T10:11:01.007Z');
    expect(why).toContain('- 1× auth [token], from 2026-03-01T10:00:01.000Z to 2026-03-01T10:00:01.030Z');
    expect(why).toContain('- message: `PUT <url> connect ECONNREFUSED <address>`');
    expect(why.join('\n')).not.toContain(' on -');
  });

  it('escapes pipes in names inside table cells, and has no "why" section when nothing failed', () => {
    const r = reportOf([opResult({ experiment: 'SKA', test: 'a|b', rse: 'X|Y' })]);
    const text = renderMarkdown(r.report, r.ska);
    // An RSE "name" with a pipe is an expression: RSE lists name RSEs only.
    expect(text).toContain('| a\\|b | – | – | ✓ no operation failed (0 of 1 failed (0.0 %)) | 1 | 0 | 0 | 0 B | – | – | Completed |');
    expect(text).not.toContain('Why things failed');
  });

  it('marks an interrupted run in the header and the verdicts', () => {
    const r = reportOf(KNOWN_RESULTS, 'interrupted');
    const text = renderMarkdown(r.report, r.ska);
    expect(text).toContain('Runs `run-1` (interrupted);');
    expect(text).toContain('Verdict: **Interrupted**.');
    expect(section(text, 'Observations').join('\n')).toContain('**warning** Run run-1 was interrupted');
  });
});

describe('renderSummaryMarkdown', () => {
  it('is the DAC21-style challenge table', () => {
    const { report } = reportOf(KNOWN_RESULTS);
    const lines = renderSummaryMarkdown(report).split('\n');
    expect(lines).toContain('| experiment | test | description | success metric | volume | data rate | QoS | RSEs | completed |');
    expect(lines).toContain('| SKA | upload | upload 1 MiB files to every RSE | ≥ 75 % of transfers succeeded | 6 files / 6.0 MiB | 6.54 kB/s | QOS=FAST | SITE_A, SITE_B | Completed |');
  });
});

describe('formatRate, formatDuration, formatBytes: one formatter for every writer', () => {
  it('prints rates in decimal units with three significant figures, and a dash for nothing moved', () => {
    expect(formatRate(493.6470588235294)).toBe('494 B/s');
    expect(formatRate(2.5e6)).toBe('2.50 MB/s');
    expect(formatRate(12_345)).toBe('12.3 kB/s');
    expect(formatRate(0)).toBe('–');
    expect(formatRate(Infinity)).toBe('–');
  });

  it('prints durations from milliseconds to hours, and whole seconds at the catalogue\'s resolution', () => {
    expect([3.25, 250, 4200, 42_000, 185_000, 7_620_000].map((ms) => formatDuration(ms))).toEqual(['3.3 ms', '250 ms', '4.20 s', '42.0 s', '3 min 05 s', '2 h 07 min']);
    expect([0, 400, 2600, 61_000].map((ms) => formatDuration(ms, 1000))).toEqual(['< 1 s', '< 1 s', '3 s', '1 min 01 s']);
  });

  it('prints sizes in binary units, whole bytes below 1 KiB', () => {
    expect([493.64, 1049, 2.5 * MiB].map(formatBytes)).toEqual(['494 B', '1.0 KiB', '2.5 MiB']);
  });
});

describe('CSV', () => {
  const { report, ska } = reportOf(KNOWN_RESULTS);

  it('keeps the per RSE × operation table with one column per error class', () => {
    const lines = renderCsv(report, ska).split('\n');
    expect(lines[0]).toBe(['run_id', 'experiment', 'rse', 'operation', 'auth_method', 'protocol', 'count', 'failures', 'p50_ms', 'p95_ms', 'bytes', 'throughput_bytes_per_second', ...ERROR_CLASS_NAMES.map((c) => `failures_${c}`)].join(','));
    const refused = lines.find((l) => l.startsWith('run-1,SKA,SITE_B,upload,'))!.split(',');
    expect(refused.slice(0, 12)).toEqual(['run-1', 'SKA', 'SITE_B', 'upload', 'x509', 'davs', '4', '2', '7.000', '1000.000', String(2 * MiB), String(MiB)]);
    expect(refused[12 + ERROR_CLASS_NAMES.indexOf('connection_refused')]).toBe('2');
  });

  it('has a CSV for every table, quoting fields with commas and quotes', () => {
    const t = renderCsvTables(ska);
    expect(Object.keys(t).sort()).toEqual(['auth', 'availability-rse', 'availability-test', 'daily', 'embargo', 'failures', 'in-flight', 'link-sizes', 'links', 'observations', 'success-over-time', 'tests', 'time-to-replicate', 'time-to-replicate-per-rule']);
    expect(t.links).toBe(`src_rse,dst_rse,attempts,successes,success_rate,p50_ms,p95_ms,bytes,mb_per_s\nSITE_A,SITE_B,4,3,0.7500,4000,8000,${18 * MiB},1.348\nSITE_A,SITE_C,2,2,1.0000,1000,1000,${2 * MiB},1.049\n`);
    expect(t.auth).toContain('upload,token,,auth,1,1,auth_invalid\n');
    expect(t['link-sizes']).toContain('SITE_A,SITE_B,16MiB,1,1,2.097,true\n');
    expect(renderSummaryCsv(report)).toContain('SKA,replicate,replicate from SITE_A,no operation failed; 3 files replicated within 600 s,5 files / 20.0 MiB,16.6 kB/s,–,"SITE_A, SITE_B, SITE_C",1,Partially,5,20971520,16644\n');
  });
});
