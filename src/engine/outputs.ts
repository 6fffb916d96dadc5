// What tests publish for other tests to consume (a dataset, a container, a rule) and the
// bounded wait of a consumer for its upstream's complete output. Within a run the board
// holds the outputs live; across runs (a daemon fires each test on its own schedule) the
// results store answers with the upstream's latest complete output.
import type { AuthMethod } from './op-result.js';

export const OUTPUT_KINDS = ['dataset', 'container', 'rule'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** One output of one test and auth method, as it stood when published. */
export interface OutputRecord {
  runId: string;
  experiment: string;
  test: string;
  authMethod: AuthMethod;
  kind: OutputKind;
  /** The DID (for a rule: the DID it replicates). */
  scope: string;
  name: string;
  /** The rule that holds or replicates it ('' for none). */
  ruleId: string;
  /** Where the producer wrote its files ('' unknown). */
  rse: string;
  /** What the producer last saw, e.g. 'uploading', 'REPLICATING', 'OK', 'STUCK'. */
  state: string;
  /** Ready for a consumer: every file written and every rule OK. */
  complete: boolean;
  /** One line a consumer's starvation message quotes. */
  detail: string;
  at: string;
}

/** Where outputs outlive a run: the results store. */
export interface OutputStore {
  recordOutput(output: OutputRecord): void;
  /** The newest output of the test of this kind (only complete ones when `complete`). */
  latestOutput(experiment: string, test: string, kind: OutputKind, complete: boolean): OutputRecord | undefined;
}

/** A test's input from another test, as the runner hands it to the board. */
export interface Consumption {
  experiment: string;
  test: string;
  output: OutputKind;
  waitSeconds: number;
}

/** The upstream's output was not complete within the consumer's wait (class `upstream_starved`). */
export class StarvedError extends Error {
  override readonly name = 'StarvedError';
  constructor(readonly upstream: string, readonly upstreamState: string, message: string) {
    super(message);
  }
}

export interface BoardTest {
  experiment: string;
  test: string;
  /** Units (auth methods) of the test in this run. */
  units: number;
  consumes?: Consumption;
  /** Tests of the plan that consume this one's output, in this run or not. */
  consumedBy?: readonly { experiment: string; test: string }[];
}

const keyOf = (experiment: string, test: string): string => `${experiment}/${test}`;
const MAX_POLL_MS = 60_000;

export class OutputBoard {
  private readonly live = new Map<string, OutputRecord>();
  private readonly running = new Map<string, number>();
  private readonly consumersRunning = new Map<string, number>();
  private readonly consumers = new Map<string, { inRun: number; outside: number }>();
  private readonly waiters = new Set<() => void>();

  /** `pollMs`: how often a consumer of a test outside the run reads the store again. */
  constructor(private readonly store?: OutputStore, private readonly pollMs = 2000) {}

  /** The tests of this run: who runs, who consumes whom. */
  plan(tests: readonly BoardTest[]): void {
    const inRun = new Set(tests.map((t) => keyOf(t.experiment, t.test)));
    for (const t of tests) {
      const key = keyOf(t.experiment, t.test);
      this.running.set(key, t.units);
      const by = t.consumedBy ?? [];
      const here = by.filter((c) => inRun.has(keyOf(c.experiment, c.test))).length;
      this.consumers.set(key, { inRun: here, outside: by.length - here });
      if (t.consumes) {
        const up = keyOf(t.consumes.experiment, t.consumes.test);
        this.consumersRunning.set(up, (this.consumersRunning.get(up) ?? 0) + t.units);
      }
    }
  }

  /** Recorded only for a test some test of the plan consumes: others publish into nothing. */
  publish(output: OutputRecord): void {
    const consumers = this.consumers.get(keyOf(output.experiment, output.test));
    if (!consumers || consumers.inRun + consumers.outside === 0) return;
    this.live.set(`${keyOf(output.experiment, output.test)}#${output.kind}#${output.authMethod}`, output);
    this.store?.recordOutput(output);
    this.wake();
  }

  /** One unit (test × auth method) will publish no more: consumers still waiting for a complete output starve now. */
  producerDone(experiment: string, test: string): void {
    const key = keyOf(experiment, test);
    this.running.set(key, Math.max(0, (this.running.get(key) ?? 0) - 1));
    this.wake();
  }

  /** One consumer unit finished: its upstream stops holding its output for it. */
  consumerDone(consumes?: Consumption): void {
    if (consumes) {
      const up = keyOf(consumes.experiment, consumes.test);
      this.consumersRunning.set(up, Math.max(0, (this.consumersRunning.get(up) ?? 0) - 1));
    }
    this.wake();
  }

  /**
   * The upstream's complete output, waited for up to `waitSeconds`. Upstream in this run: its
   * output of this run, and an upstream that ended without one starves its consumer at once.
   * Upstream outside the run: the latest complete output the store holds.
   */
  async awaitOutput(c: Consumption, signal: AbortSignal): Promise<OutputRecord> {
    const up = keyOf(c.experiment, c.test);
    const inRun = this.running.has(up);
    const started = Date.now();
    const deadline = started + c.waitSeconds * 1000;
    for (;;) {
      const found = this.find(up, c.output, true, inRun);
      if (found) return found;
      const ended = inRun && (this.running.get(up) ?? 0) === 0;
      if (ended || Date.now() >= deadline) throw this.starved(c, inRun, ended, Date.now() - started);
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('the run was stopped');
      await this.sleep(Math.min(deadline - Date.now(), inRun ? MAX_POLL_MS : this.pollMs), signal);
    }
  }

  /**
   * Before a producer removes what it published: waits until its consumers in this run have
   * finished. `keep`: a consumer of the plan runs outside this run (a daemon's later fire), so the
   * output stays under its own lifetimes for it.
   */
  async consumersDone(experiment: string, test: string, signal: AbortSignal): Promise<{ keep: boolean }> {
    const key = keyOf(experiment, test);
    while ((this.consumersRunning.get(key) ?? 0) > 0 && !signal.aborted) await this.sleep(MAX_POLL_MS, signal);
    return { keep: (this.consumers.get(key)?.outside ?? 0) > 0 };
  }

  private find(up: string, kind: OutputKind, complete: boolean, inRun: boolean): OutputRecord | undefined {
    const live = [...this.live.values()]
      .filter((o) => keyOf(o.experiment, o.test) === up && o.kind === kind && (!complete || o.complete))
      .sort((a, b) => b.at.localeCompare(a.at))[0];
    if (live || inRun) return live;
    const [experiment, test] = up.split('/') as [string, string];
    return this.store?.latestOutput(experiment, test, kind, complete);
  }

  private starved(c: Consumption, inRun: boolean, ended: boolean, waitedMs: number): StarvedError {
    const up = keyOf(c.experiment, c.test);
    const last = this.find(up, c.output, false, inRun);
    const state = last ? last.state : 'never published';
    // Within the message bound (300 characters) what matters comes first: who, its state, what it saw; the DID last.
    const seen = last
      ? `${last.detail || last.state} at ${last.at}${inRun ? '' : ` in run ${last.runId}`}; ${c.output} ${last.scope}:${last.name}`
      : inRun ? `it published no ${c.output}` : `no ${c.output} of it is recorded in the results store`;
    const why = ended ? `ended without a complete ${c.output}`
      : `no complete ${c.output} after ${Math.round(waitedMs / 1000)} s (wait_seconds ${c.waitSeconds})`;
    return new StarvedError(up, state, `starved by ${up} (${state}): ${why}; ${seen}`);
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
