import { stringify } from 'csv-stringify/sync';
import { ERROR_CLASS_NAMES } from '../engine/taxonomy.js';
import type { ExperimentReport } from './model.js';

/** One CSV row per RSE × operation × auth × protocol, with a column per error class. */
export function renderCsv(report: ExperimentReport): string {
  const header = [
    'run_id', 'experiment', 'rse', 'operation', 'auth_method', 'protocol', 'count', 'failures',
    'p50_ms', 'p95_ms', 'bytes', 'throughput_bytes_per_second', ...ERROR_CLASS_NAMES.map((c) => `failures_${c}`),
  ];
  const rows = report.rows.map((r) => [
    report.runId, report.experiment, r.rse, r.operation, r.authMethod, r.protocol, r.count, r.failures,
    r.p50Ms.toFixed(3), r.p95Ms.toFixed(3), r.bytes, r.throughputBps.toFixed(0),
    ...ERROR_CLASS_NAMES.map((c) => r.failuresByClass[c] ?? 0),
  ]);
  return stringify([header, ...rows]);
}
