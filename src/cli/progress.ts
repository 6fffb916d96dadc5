import type { OpResult, RunInfo, RunSummary, Sink } from '../engine/op-result.js';
import type { ProgressSnapshot } from '../engine/run-progress.js';
import { formatBytes, formatDuration, formatRate } from '../report/format.js';

type Write = (text: string) => void;

/** Redraw the TTY status line at most this often; print a plain status line this often otherwise. */
const TTY_REDRAW_MS = 100;
const PLAIN_STATUS_MS = 10_000;

/** `12 in flight, 340/1000 done (2 failed), 1.1 GiB at 45.0 MB/s, ETA 2 min 10 s` — the ETA only when the total is known. */
export function progressLine(p: ProgressSnapshot): string {
  const seconds = p.elapsedMs / 1000;
  const parts = [
    `${p.inFlight} in flight`,
    `${p.done}${p.expected === null ? '' : `/${p.expected}`} done${p.failed ? ` (${p.failed} failed)` : ''}`,
    `${formatBytes(p.bytes)}${seconds > 0 ? ` at ${formatRate(p.bytes / seconds)}` : ''}`,
  ];
  if (p.expected !== null && p.done > 0 && seconds > 0) {
    const left = Math.max(0, p.expected - p.done);
    parts.push(`ETA ${formatDuration(Math.round(left / (p.done / seconds)) * 1000)}`);
  }
  return parts.join(', ');
}

/**
 * Progress on the terminal: one status line redrawn in place on a TTY (operations in flight,
 * done / total, bytes and rate, ETA) and a plain line per failed operation; on a non-TTY
 * (CI logs) a plain line per result and a plain status line every few seconds.
 */
export class ProgressSink implements Sink {
  private status = '';
  private drawnAt = -Infinity;

  constructor(
    private readonly write: Write,
    private readonly tty: boolean,
    private readonly now: () => number = () => performance.now(),
  ) {}

  onBegin(run: RunInfo): void {
    this.write(`run ${run.runId}: plan ${run.planName} (${run.planFile})\n`);
  }

  onResult(r: OpResult): void {
    const where = [r.experiment, r.test, r.authMethod, r.rse || '-'].join(' ');
    const line = `${r.outcome === 'ok' ? 'ok  ' : r.outcome === 'skipped' ? 'skip' : 'FAIL'} ${where} ${r.operation} ${r.durationMs.toFixed(0)}ms`
      + (r.errorClass ? ` ${r.errorClass}: ${r.errorMessage}` : r.outcome === 'skipped' ? ` ${r.errorMessage}` : '');
    if (!this.tty) {
      this.write(`${line}\n`);
      return;
    }
    if (r.outcome === 'failed') {
      this.write(`\r\x1b[2K${line}\n`);
      if (this.status) this.write(`\r\x1b[2K${this.status}`);
    }
  }

  onProgress(p: ProgressSnapshot): void {
    this.status = progressLine(p).slice(0, 150);
    const t = this.now();
    if (t - this.drawnAt < (this.tty ? TTY_REDRAW_MS : PLAIN_STATUS_MS)) return;
    this.drawnAt = t;
    this.write(this.tty ? `\r\x1b[2K${this.status}` : `progress: ${this.status}\n`);
  }

  onEnd(_run: RunInfo, summary: RunSummary): void {
    this.write(`${this.tty ? '\r\x1b[2K' : ''}${summary.total} operations, ${summary.failed} failed\n`);
  }
}
