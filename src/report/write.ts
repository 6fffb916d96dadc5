import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpResult } from '../engine/op-result.js';
import { renderCsv } from './csv.js';
import { renderMarkdown } from './markdown.js';
import { buildExperimentReport, type ExperimentReport, type SuccessCriteria } from './model.js';

export interface WrittenReport {
  experiment: string;
  markdown: string;
  csv: string;
  report: ExperimentReport;
}

/** Writes <outDir>/<runId>/<experiment>.md and .csv for every experiment that has results. */
export async function writeReports(
  outDir: string, runId: string, results: OpResult[],
  criteria: Record<string, Record<string, SuccessCriteria | undefined>> = {},
): Promise<WrittenReport[]> {
  const dir = join(outDir, runId);
  await mkdir(dir, { recursive: true });
  const written: WrittenReport[] = [];
  for (const experiment of [...new Set(results.map((r) => r.experiment))].sort()) {
    const report = buildExperimentReport(runId, experiment, results, criteria[experiment]);
    const base = join(dir, experiment.replace(/[^A-Za-z0-9_.-]/g, '_'));
    await writeFile(`${base}.md`, renderMarkdown(report));
    await writeFile(`${base}.csv`, renderCsv(report));
    written.push({ experiment, markdown: `${base}.md`, csv: `${base}.csv`, report });
  }
  return written;
}
