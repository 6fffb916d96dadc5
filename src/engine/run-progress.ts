// Live counters of a run for progress displays: operations in flight, done,
// bytes moved, and the expected total when every started scenario declared its
// operation count (RunContext.expectOperations). Display is the sinks' business.
import type { OpResult } from './op-result.js';

/** Operations whose bytes crossed the wire (a verify's bytes are the file's size, not traffic). */
const MOVES_DATA = new Set(['upload', 'download', 'replicate']);

export interface ProgressSnapshot {
  inFlight: number;
  done: number;
  failed: number;
  /** Total operations the run will perform, null while unknown. */
  expected: number | null;
  bytes: number;
  /** Milliseconds since the run began. */
  elapsedMs: number;
}

export class RunProgress {
  private inFlight = 0;
  private done = 0;
  private failed = 0;
  private bytes = 0;
  private declared = 0;
  /** Scenario runs started that have not declared their operation count. */
  private undeclared = 0;
  private unitsLeft: number;
  private readonly started: number;

  constructor(
    /** (test, auth method) runs the plan will start; the total is unknown until all have started. */
    units: number,
    /** Called after each change (operation started or finished). */
    private readonly changed: (snapshot: ProgressSnapshot) => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.unitsLeft = units;
    this.started = now();
  }

  /** A (test, auth method) run starts; its scenario has not declared anything yet. */
  unitStarted(): void {
    this.unitsLeft = Math.max(0, this.unitsLeft - 1);
    this.undeclared++;
  }

  /** A (test, auth method) run ended; one that never declared no longer keeps the total unknown. */
  unitFinished(declared: boolean): void {
    if (!declared) this.undeclared = Math.max(0, this.undeclared - 1);
    this.changed(this.snapshot());
  }

  /** The run's own operations (auth, list) are known as they start. */
  expectOwn(n: number): void {
    this.declared += n;
  }

  /** A scenario run declares how many operations it will record; the first call ends its "unknown" state. */
  expect(n: number, first: boolean): void {
    this.declared += n;
    if (first) this.undeclared = Math.max(0, this.undeclared - 1);
  }

  opStarted(): void {
    this.inFlight++;
    this.changed(this.snapshot());
  }

  opFinished(result: OpResult): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.done++;
    if (result.outcome === 'failed') this.failed++;
    if (MOVES_DATA.has(result.operation)) this.bytes += result.bytes;
    this.changed(this.snapshot());
  }

  snapshot(): ProgressSnapshot {
    const known = this.unitsLeft === 0 && this.undeclared === 0;
    return {
      inFlight: this.inFlight, done: this.done, failed: this.failed,
      expected: known ? Math.max(this.declared, this.done + this.inFlight) : null,
      bytes: this.bytes, elapsedMs: Math.max(0, this.now() - this.started),
    };
  }
}
