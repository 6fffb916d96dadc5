import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderAgentsCsv, renderCsv, renderCsvTables, renderSummaryCsv } from './csv.js';
import { renderHtml, renderSummaryHtml } from './html.js';
import { renderExperimentJson, renderJson } from './json.js';
import { junitFromReport } from './junit.js';
import { renderMarkdown, renderSummaryMarkdown } from './markdown.js';
import type { ChallengeReport, ExperimentReport } from './schema.js';

export const REPORT_FORMATS = ['md', 'html', 'csv', 'json', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface WrittenReport {
  experiment: string;
  /** Paths of the files written for this experiment ('' for a format not asked for). */
  markdown: string;
  html: string;
  csv: string;
  json: string;
  junit: string;
  report: ExperimentReport;
}

export interface WrittenReportSet {
  dir: string;
  /** Every file written, relative to dir. */
  files: string[];
  experiments: WrittenReport[];
  /** Set when `dir` is not the folder asked for, because that one holds a different report. */
  divertedFrom?: string;
}

export const fileBase = (experiment: string): string => experiment.replace(/[^A-Za-z0-9_.-]/g, '_');

/** All files of a report, by name, in memory: rendering is deterministic, so equal stores give equal files. */
export function renderReportFiles(report: ChallengeReport, formats: readonly ReportFormat[] = REPORT_FORMATS): Map<string, string> {
  const want = new Set(formats);
  const files = new Map<string, string>();
  if (want.has('md')) files.set('summary.md', renderSummaryMarkdown(report));
  if (want.has('csv')) files.set('summary.csv', renderSummaryCsv(report));
  if (want.has('csv') && report.agents.length) files.set('summary.agents.csv', renderAgentsCsv(report));
  if (want.has('html')) files.set('summary.html', renderSummaryHtml(report, (e) => `${fileBase(e)}.html`));
  if (want.has('json')) files.set('report.json', renderJson(report));
  if (want.has('junit')) files.set('junit.xml', junitFromReport(report));
  for (const e of report.experiments) {
    const base = fileBase(e.name);
    if (want.has('md')) files.set(`${base}.md`, renderMarkdown(report, e));
    if (want.has('html')) files.set(`${base}.html`, renderHtml(report, e));
    if (want.has('csv')) {
      files.set(`${base}.csv`, renderCsv(report, e));
      for (const [suffix, text] of Object.entries(renderCsvTables(e))) files.set(`${base}.${suffix}.csv`, text);
    }
    if (want.has('json')) files.set(`${base}.json`, renderExperimentJson(e));
    if (want.has('junit')) files.set(`${base}.junit.xml`, junitFromReport(report, [e]));
  }
  return files;
}

/** Whether writing these files into dir would replace a file that says something else. */
function conflicts(dir: string, files: Map<string, string>): boolean {
  for (const [name, text] of files) {
    const path = join(dir, name);
    if (existsSync(path) && readFileSync(path, 'utf8') !== text) return true;
  }
  return false;
}

const MAX_DIVERSIONS = 1000;

/**
 * Writes the report into `dir`. A report already there is never overwritten by a different one:
 * the new one goes to `<dir>.<short hash of its content>` instead, and the result says so.
 */
export async function writeReportSet(dir: string, report: ChallengeReport, formats: readonly ReportFormat[] = REPORT_FORMATS): Promise<WrittenReportSet> {
  const files = renderReportFiles(report, formats);
  let target = dir;
  if (conflicts(dir, files)) {
    const digest = createHash('sha256');
    for (const [name, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) digest.update(name).update('\0').update(text).update('\0');
    const hash = digest.digest('hex').slice(0, 10);
    target = `${dir}.${hash}`;
    for (let i = 2; conflicts(target, files); i++) {
      if (i > MAX_DIVERSIONS) throw new Error(`cannot find a free folder for the report next to ${dir}`);
      target = `${dir}.${hash}.${i}`;
    }
  }
  await mkdir(target, { recursive: true });
  for (const [name, text] of files) await writeFile(join(target, name), text);
  const path = (name: string): string => (files.has(name) ? join(target, name) : '');
  const experiments = report.experiments.map((e): WrittenReport => {
    const base = fileBase(e.name);
    return {
      experiment: e.name, report: e, markdown: path(`${base}.md`), html: path(`${base}.html`), csv: path(`${base}.csv`),
      json: path(`${base}.json`), junit: path(`${base}.junit.xml`),
    };
  });
  return { dir: target, files: [...files.keys()], experiments, ...(target !== dir ? { divertedFrom: dir } : {}) };
}
