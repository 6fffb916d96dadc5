import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { ERROR_CLASSES, ERROR_CLASS_NAMES, type ErrorClass } from '../../src/engine/taxonomy.js';
import { renderCsv } from '../../src/report/csv.js';
import { formatThroughput, renderMarkdown } from '../../src/report/markdown.js';
import { buildExperimentReport } from '../../src/report/model.js';
import { writeReports } from '../../src/report/write.js';
import { opResult } from '../helpers/op-result.js';

const MiB = 1024 * 1024;

const result = (overrides: Partial<OpResult>): OpResult => opResult({ runId: 'run-7', ...overrides });

const DENIED = 'PUT https://se.example/a|b: 403 permission denied';
const QUOTA = 'no quota | left on SITE_A';

/** One auth, two failed rules (quota), three uploads of which one was denied. */
const RESULTS: OpResult[] = [
  result({ operation: 'auth', rse: '', protocol: 'rucio', durationMs: 40 }),
  result({ operation: 'upload', bytes: 2 * MiB, durationMs: 1000 }),
  result({ operation: 'upload', bytes: 2 * MiB, durationMs: 3000 }),
  result({ operation: 'upload', bytes: 2 * MiB, durationMs: 200, outcome: 'failed', errorClass: 'auth_denied', errorMessage: DENIED }),
  result({ operation: 'rule', protocol: 'rucio', durationMs: 30, outcome: 'failed', errorClass: 'quota', errorMessage: QUOTA }),
  result({ operation: 'rule', protocol: 'rucio', durationMs: 50, outcome: 'failed', errorClass: 'quota', errorMessage: QUOTA }),
];

/** The lines of one `## ` section, heading excluded. */
function section(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

describe('renderMarkdown', () => {
  const markdown = renderMarkdown(buildExperimentReport('run-7', 'ska', RESULTS));
  const lines = markdown.split('\n');

  it('opens with the experiment, the run and the overall verdict', () => {
    expect(lines[0]).toBe('# ska — challenge report');
    expect(markdown).toContain('Run `run-7`, started 2024-03-01T10:00:00.000Z. Verdict: **FAILED**.');
  });

  it('has one verdict row per test with count, failure rate, p95 and the reason', () => {
    // 6 operations, 3 failed; durations 30 40 50 200 1000 3000 → p95 is the 6th.
    expect(section(markdown, 'Tests')).toContain('| upload | upload | 6 | 3 | 50.0% | 3000.0 | failed: failure rate 50.0% > 0.0% |');
  });

  it('has one row per RSE × operation × auth × protocol, in order', () => {
    const table = section(markdown, 'Per RSE and operation').filter((l) => l.startsWith('| ') && !l.startsWith('| RSE |'));
    expect(table).toEqual([
      '| - | auth | x509 | rucio | 1 | 0 | – | 40.0 | 40.0 | – |',
      '| SITE_A | rule | x509 | rucio | 2 | 2 | quota×2 | 30.0 | 50.0 | – |',
      // 4 MiB moved by the two successful uploads in 4 s.
      '| SITE_A | upload | x509 | davs | 3 | 1 | auth_denied×1 | 1000.0 | 3000.0 | 1.0 MiB/s |',
    ]);
  });

  it('explains each failure class with its meaning and remedy, most frequent first', () => {
    const why = section(markdown, 'Why things failed').join('\n');
    const quota = why.indexOf('### `quota`');
    const denied = why.indexOf('### `auth_denied`');
    expect(quota).toBeGreaterThan(0);
    expect(denied).toBeGreaterThan(quota);
    expect(why).toContain(`${ERROR_CLASSES.quota.meaning}. **What to do:** ${ERROR_CLASSES.quota.remedy}.`);
    expect(why).toContain(`${ERROR_CLASSES.auth_denied.meaning}. **What to do:** ${ERROR_CLASSES.auth_denied.remedy}.`);
  });

  it('lists failure samples with their count, messages in code spans so <redacted> survives rendering', () => {
    const why = section(markdown, 'Why things failed');
    expect(why).toContain('- 2× rule on SITE_A: `no quota | left on SITE_A`');
    expect(why).toContain('- 1× upload on SITE_A: `PUT https://se.example/a|b: 403 permission denied`');
    expect(why.join('\n')).toContain(`\`${QUOTA}\``);
    expect(why.join('\n')).toContain(`\`${DENIED}\``);
  });

  it('escapes pipes in test names and RSE names inside table cells', () => {
    const md = renderMarkdown(buildExperimentReport('run-7', 'ska', [result({ test: 'a|b', rse: 'X|Y' })]));
    expect(md).toContain('| a\\|b | upload | 1 | 0 | 0.0% | 100.0 | passed |');
    expect(section(md, 'Per RSE and operation')).toContain('| X\\|Y | upload | x509 | davs | 1 | 0 | – | 100.0 | 100.0 | – |');
  });

  it('says PASSED and has no "why" section when nothing failed', () => {
    const md = renderMarkdown(buildExperimentReport('run-7', 'ska', [result({})]));
    expect(md).toContain('Verdict: **PASSED**.');
    expect(md).not.toContain('Why things failed');
    expect(md.endsWith('|\n')).toBe(true);
  });

  it('says PASSED when failures stay within the criteria, and still explains them', () => {
    const md = renderMarkdown(buildExperimentReport('run-7', 'ska', RESULTS, { upload: { maxFailureRate: 0.5 } }));
    expect(md).toContain('Verdict: **PASSED**.');
    expect(md).toContain('| upload | upload | 6 | 3 | 50.0% | 3000.0 | passed |');
    expect(md).toContain('## Why things failed');
  });
});

describe('formatThroughput', () => {
  it('prints bytes per second in binary units, and a dash for nothing moved', () => {
    expect(formatThroughput(2.5 * MiB)).toBe('2.5 MiB/s');
    expect(formatThroughput(512)).toBe('512 B/s');
    expect(formatThroughput(0)).toBe('–');
  });
});

function classColumns(counts: Partial<Record<ErrorClass, number>>): string {
  return ERROR_CLASS_NAMES.map((c) => counts[c] ?? 0).join(',');
}

describe('renderCsv', () => {
  const csv = renderCsv(buildExperimentReport('run-7', 'ska', RESULTS));
  const lines = csv.split('\n');

  it('has a header with the row keys, the figures and one column per error class', () => {
    const header = lines[0]?.split(',') ?? [];
    expect(header.slice(0, 12)).toEqual([
      'run_id', 'experiment', 'rse', 'operation', 'auth_method', 'protocol', 'count', 'failures',
      'p50_ms', 'p95_ms', 'bytes', 'throughput_bytes_per_second',
    ]);
    expect(header.slice(12)).toEqual(ERROR_CLASS_NAMES.map((c) => `failures_${c}`));
    expect(header).toContain('failures_quota');
    expect(header).toContain('failures_gridmap_unmapped');
  });

  it('has exactly one line per report row, with the figures computed by the model', () => {
    expect(csv.endsWith('\n')).toBe(true);
    expect(lines.slice(1)).toEqual([
      `run-7,ska,-,auth,x509,rucio,1,0,40.000,40.000,0,0,${classColumns({})}`,
      `run-7,ska,SITE_A,rule,x509,rucio,2,2,30.000,50.000,0,0,${classColumns({ quota: 2 })}`,
      `run-7,ska,SITE_A,upload,x509,davs,3,1,1000.000,3000.000,${4 * MiB},${MiB},${classColumns({ auth_denied: 1 })}`,
      '',
    ]);
    const width = lines[0]?.split(',').length;
    for (const line of lines.slice(1, -1)) expect(line.split(',')).toHaveLength(width ?? -1);
  });

  it('quotes fields that contain commas or quotes', () => {
    const out = renderCsv(buildExperimentReport('run-7', 'ska, "low"', [result({ experiment: 'ska, "low"' })]));
    expect(out.split('\n')[1]?.startsWith('run-7,"ska, ""low""",SITE_A,upload,')).toBe(true);
  });

  it('writes only the header for an experiment without results', () => {
    expect(renderCsv(buildExperimentReport('run-7', 'ska', [])).split('\n')).toEqual([lines[0], '']);
  });
});

describe('writeReports', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'lakeprobe-report-'));
  });
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('writes <out>/<run>/<experiment>.md and .csv per experiment, with that experiment\'s criteria', async () => {
    const results = [...RESULTS, result({ experiment: 'cta/north', test: 'probe' })];
    const written = await writeReports(out, 'run-7', results, { ska: { upload: { maxFailureRate: 0.5 } } });

    expect(written.map((w) => w.experiment)).toEqual(['cta/north', 'ska']);
    expect(readdirSync(join(out, 'run-7')).sort()).toEqual(['cta_north.csv', 'cta_north.md', 'ska.csv', 'ska.md']);
    const ska = written[1];
    expect(ska?.markdown).toBe(join(out, 'run-7', 'ska.md'));
    expect(ska?.report.tests[0]?.passed).toBe(true);
    expect(readFileSync(join(out, 'run-7', 'ska.md'), 'utf8')).toBe(renderMarkdown(ska!.report));
    expect(readFileSync(join(out, 'run-7', 'ska.csv'), 'utf8')).toBe(renderCsv(ska!.report));
    expect(readFileSync(join(out, 'run-7', 'cta_north.md'), 'utf8')).toContain('# cta/north — challenge report');
  });
});
