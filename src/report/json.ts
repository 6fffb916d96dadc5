import { challengeReportSchema, experimentReportSchema, type ChallengeReport, type ExperimentReport } from './schema.js';

/** report.json: the whole report, checked against its own schema before it is written. */
export function renderJson(report: ChallengeReport): string {
  return `${JSON.stringify(challengeReportSchema.parse(report), null, 2)}\n`;
}

/** <experiment>.json: one experiment of the report (the `experiments[]` item of the schema). */
export function renderExperimentJson(e: ExperimentReport): string {
  return `${JSON.stringify(experimentReportSchema.parse(e), null, 2)}\n`;
}
