import type { OpResult, RunInfo, RunSummary, Sink } from '../engine/op-result.js';
import { remedyFor, type ErrorClass } from '../engine/taxonomy.js';
import { CurrentState, failedService } from './current-state.js';

export interface RunRecord {
  runId: string;
  experiment: string;
  test: string;
  startedAt: string;
  finishedAt?: string;
  operations: number;
  failed: number;
  /** The cycled parameter, e.g. "size=5GB". */
  cycle?: string;
  outcome: 'running' | 'passed' | 'failed' | 'abandoned';
}

export interface FailureRecord {
  at: string;
  experiment: string;
  test: string;
  operation: string;
  rse: string;
  errorClass: string;
  severity: string;
  remedy: string;
  /** Already redacted by the engine. */
  message: string;
}

/** Bounded memory of the last runs and failures, for the status page. Results are redacted before they get here. */
export class RecentHistory implements Sink {
  readonly runs: RunRecord[] = [];
  readonly failures: FailureRecord[] = [];
  /** What is failing now, per RSE and auth method (the status page's top). */
  readonly current = new CurrentState();
  private readonly byRun = new Map<string, RunRecord>();

  constructor(private readonly limit = 50) {}

  begin(record: RunRecord): void {
    this.runs.unshift(record);
    this.byRun.set(record.runId, record);
    while (this.runs.length > this.limit) this.byRun.delete(this.runs.pop()!.runId);
  }

  onBegin(run: RunInfo): void {
    const r = this.byRun.get(run.runId);
    if (r) r.startedAt = run.startedAt;
  }

  onResult(r: OpResult): void {
    this.current.onResult(r);
    const record = this.byRun.get(r.runId);
    if (record) { record.operations++; if (r.outcome === 'failed') record.failed++; }
    if (r.outcome !== 'failed') return;
    const cls = (r.errorClass ?? 'unknown') as ErrorClass;
    this.failures.unshift({
      at: new Date(Date.parse(r.start) + r.durationMs).toISOString(), experiment: r.experiment, test: r.test,
      operation: r.operation, rse: r.rse || r.dstRse || '-', errorClass: cls, severity: r.severity,
      remedy: remedyFor(cls, failedService(r)), message: r.errorMessage.slice(0, 500),
    });
    if (this.failures.length > this.limit) this.failures.length = this.limit;
  }

  end(runId: string, summary: RunSummary | null, abandoned = false): void {
    const r = this.byRun.get(runId);
    if (!r) return;
    r.finishedAt = summary?.finishedAt ?? new Date().toISOString();
    r.outcome = abandoned ? 'abandoned' : r.failed === 0 && !summary?.scenarioCrashes ? 'passed' : 'failed';
  }
}
