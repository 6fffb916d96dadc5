import type { OpResult, RunInfo, RunSummary, Sink } from '../engine/op-result.js';

type Write = (text: string) => void;

/**
 * Progress on the terminal: one status line redrawn in place on a TTY, and a
 * plain line per failed operation; on a non-TTY (CI logs) a plain line per result.
 */
export class ProgressSink implements Sink {
  private ok = 0;
  private failed = 0;
  private last = '';

  constructor(private readonly write: Write, private readonly tty: boolean) {}

  onBegin(run: RunInfo): void {
    this.write(`run ${run.runId}: plan ${run.planName} (${run.planFile})\n`);
  }

  onResult(r: OpResult): void {
    if (r.outcome === 'ok') this.ok++;
    else this.failed++;
    const where = [r.experiment, r.test, r.authMethod, r.rse || '-'].join(' ');
    const line = `${r.outcome === 'ok' ? 'ok  ' : 'FAIL'} ${where} ${r.operation} ${r.durationMs.toFixed(0)}ms`
      + (r.errorClass ? ` ${r.errorClass}: ${r.errorMessage}` : '');
    if (!this.tty) {
      this.write(`${line}\n`);
      return;
    }
    if (r.outcome === 'failed') this.write(`\r\x1b[2K${line}\n`);
    this.last = `${this.ok} ok, ${this.failed} failed — ${where} ${r.operation}`;
    this.write(`\r\x1b[2K${this.last.slice(0, 150)}`);
  }

  onEnd(_run: RunInfo, summary: RunSummary): void {
    this.write(`${this.tty ? '\r\x1b[2K' : ''}${summary.total} operations, ${summary.failed} failed\n`);
  }
}
