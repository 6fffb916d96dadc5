import { AsyncLocalStorage } from 'node:async_hooks';
import { classify, MAX_MESSAGE, type Classified } from './classify.js';
import { forEachPool, Limiter } from './pool.js';
import type { RunProgress } from './run-progress.js';
import { redact } from './redact.js';
import { failureSeverity } from './taxonomy.js';
import type { CleanupLedger } from './ledger.js';
import type { AuthMethod, CheckFact, Operation, OpResult, TransferFact } from './op-result.js';
import { sizeClass } from './op-result.js';
import type { RucioClient } from '../lake/rucio/index.js';
import { collectRetryNotes } from '../lake/rucio/retry.js';
import { collectTokenUses, describeTokenUses } from '../lake/credentials/token-use.js';
import type { StorageDriver, StorageProtocol } from '../lake/storage/driver.js';
import type { IdentityFiles, IdentityRole } from '../plan/identities.js';
import type { ResolvedPlan } from '../plan/resolved.js';
import type { Consumption, OutputBoard, OutputKind, OutputRecord } from './outputs.js';

/** Credential files of another identity. */
export interface OtherIdentity {
  proxy?: string;
  tokenFile?: string;
}

/** A check's target is a name or an expression: bounded like one. */
const MAX_CHECK_TARGET = 500;

export interface OpSpec {
  operation: Operation;
  rse?: string;
  srcRse?: string;
  dstRse?: string;
  /** 'rucio' for catalogue calls (the default), else the storage protocol. */
  protocol?: string;
  /** Expected bytes moved (size class and throughput); can be corrected with rec.bytes(). */
  bytes?: number;
  /** The identity acting, when not the session's own (e.g. 'nonmember' in embargo tests). */
  role?: string;
  /** How that identity authenticates, when not as the session does (e.g. the outsider's x509 proxy). */
  authMethod?: AuthMethod;
  /** The fact this operation checks, for the success criteria that read it. */
  check?: CheckFact;
}

/** Lets an operation body attach facts learned while it runs. */
export interface OpRecorder {
  bytes(n: number): void;
  ruleId(id: string): void;
  requestId(id: string): void;
  /** The operation succeeded but needs attention (severity `warning`), e.g. a credential about to expire. */
  warn(message: string): void;
  /** The lake measured this operation itself (e.g. a transfer's submitted_at → transferred_at): record that duration. */
  duration(ms: number): void;
  /** When the lake says this operation began (e.g. the rule's creation, for a transfer it times): record that start. */
  start(ms: number): void;
  /** The protocol the lake reports it used (e.g. a transfer request's destination URL scheme). */
  protocol(name: string): void;
  /** The file's transfer as its request showed it: when it was queued, active, over, and its retried failures. */
  transfer(fact: TransferFact): void;
}

export type OpOutcome<T> =
  | { ok: true; value: T; result: OpResult }
  | { ok: false; error: unknown; result: OpResult };

export interface RunIdentity {
  runId: string;
  experiment: string;
  test: string;
  scenario: string;
  authMethod: AuthMethod;
  identityRole: string;
  account: string;
}

export interface RunContextDeps {
  identity: RunIdentity;
  rucio: RucioClient;
  storage: (protocol: StorageProtocol) => StorageDriver;
  /** A driver acting as another identity (same trust anchors), from credential files. */
  storageAs?: (protocol: StorageProtocol, identity: OtherIdentity) => Promise<StorageDriver>;
  rses: string[];
  /** Whether the runner listed the lake's RSEs to resolve the test's expression (a scenario need not list them again). */
  listedRses?: boolean;
  /** Credential files of other identities by role (e.g. the sandbox's non-member), from the plan's environment. */
  identities?: ResolvedPlan['identities'];
  ledger: CleanupLedger;
  emit: (result: OpResult) => Promise<void>;
  /** Secret values of this session, removed from any recorded message. */
  secrets: string[];
  signal: AbortSignal;
  log: (line: string) => void;
  now?: () => number;
  /** Slots an operation holds while it runs: the test's limit, then the plan-wide one. */
  limiters?: Limiter[];
  /** Live counters for progress displays. */
  progress?: RunProgress;
  /** Where the run's tests publish outputs and wait for their upstream's. */
  board?: OutputBoard;
  /** The upstream output this test reads (`consumes`). */
  consumes?: Consumption;
}

/** What a scenario publishes: its DID, the rule that holds it, and how far it got. */
export interface PublishedOutput {
  kind: OutputKind;
  did: { scope: string; name: string };
  ruleId?: string;
  rse?: string;
  state: string;
  complete: boolean;
  detail?: string;
}

/** Set while an operation body runs, so an operation nested in another never waits for a second slot. */
const insideOp = new AsyncLocalStorage<true>();

/** What a scenario sees: the lake clients, the selected RSEs, and op() to record each operation. */
export class RunContext {
  readonly runId: string;
  readonly experiment: string;
  readonly test: string;
  readonly scenario: string;
  readonly authMethod: AuthMethod;
  readonly identityRole: string;
  readonly account: string;
  readonly rucio: RucioClient;
  readonly rses: readonly string[];
  /** True when the runner's listing of the RSEs (to resolve an expression) is already recorded for this test. */
  readonly listedRses: boolean;
  readonly ledger: CleanupLedger;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
  /** Operations this test may have in flight (the test's `concurrency`, capped by the plan's limit). */
  readonly concurrency: number;
  private readonly deps: RunContextDeps;
  private declaredOps = false;
  private lastFailure: OpResult | undefined;
  private producing = true;

  constructor(deps: RunContextDeps) {
    this.deps = deps;
    ({ runId: this.runId, experiment: this.experiment, test: this.test, scenario: this.scenario,
      authMethod: this.authMethod, identityRole: this.identityRole, account: this.account } = deps.identity);
    this.rucio = deps.rucio;
    this.rses = deps.rses;
    this.listedRses = deps.listedRses ?? false;
    this.ledger = deps.ledger;
    this.signal = deps.signal;
    this.log = deps.log;
    this.concurrency = deps.limiters?.length ? Math.min(...deps.limiters.map((l) => l.limit)) : 1;
  }

  /** Credential files of another identity by role, as the lake in use names them; undefined when it names none. */
  identityFiles(role: IdentityRole): IdentityFiles | undefined {
    return this.deps.identities?.[role];
  }

  /** Whether the scenario declared its operation count (expectOperations). */
  get declared(): boolean {
    return this.declaredOps;
  }

  /**
   * Declares that this scenario run will record `n` more operations, so progress
   * can show done / total and an ETA. Call it as soon as a count is known; call it
   * again when more work becomes known (it adds up).
   */
  expectOperations(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`expected operation count must be a non-negative integer, got ${n}`);
    this.deps.progress?.expect(n, !this.declaredOps);
    this.declaredOps = true;
  }

  /**
   * Runs `body` for each item with at most `concurrency` bodies at once (abort-aware:
   * no new item starts once the run is aborted). A body should record its work with op().
   */
  forEach<T>(items: readonly T[], body: (item: T, index: number) => Promise<void>): Promise<void> {
    return forEachPool(items, this.concurrency, body, this.signal);
  }

  storage(protocol: StorageProtocol): StorageDriver {
    return this.deps.storage(protocol);
  }

  /** Storage as another identity, e.g. a non-member for embargo checks. Loading may fail (CredentialError). */
  storageAs(protocol: StorageProtocol, identity: OtherIdentity): Promise<StorageDriver> {
    if (!this.deps.storageAs) throw new Error('this run cannot act as other identities');
    return this.deps.storageAs(protocol, identity);
  }

  /**
   * Run one lake operation and record it as exactly one OpResult. Never throws:
   * a failure is a result (classified), and the scenario decides whether to go on.
   */
  async op<T>(spec: OpSpec, body: (rec: OpRecorder) => Promise<T>): Promise<OpOutcome<T>> {
    const outcome = await recordOp(this.deps, spec, body);
    if (!outcome.ok) this.lastFailure = outcome.result;
    return outcome;
  }

  /** The upstream output this test reads instead of writing its own input, when the plan says `consumes`. */
  get consumes(): Consumption | undefined {
    return this.deps.consumes;
  }

  /**
   * Waits (one `list` operation, up to the plan's `wait_seconds`) for the upstream's complete output.
   * A late, failed or stuck upstream fails it as `upstream_starved` naming the upstream and its state; null then.
   */
  async awaitInput(): Promise<OutputRecord | null> {
    const { consumes, board } = this.deps;
    if (!consumes || !board) return null;
    const got = await this.op({ operation: 'list' }, async (rec) => {
      const output = await board.awaitOutput(consumes, this.signal);
      if (output.ruleId) rec.ruleId(output.ruleId);
      return output;
    });
    return got.ok ? got.value : null;
  }

  /** Records how far an output of this test is, for the tests that consume it (in this run and, through the store, later). */
  publish(output: PublishedOutput): void {
    this.deps.board?.publish({
      runId: this.runId, experiment: this.experiment, test: this.test, authMethod: this.authMethod, kind: output.kind,
      scope: output.did.scope, name: output.did.name, ruleId: output.ruleId ?? '', rse: output.rse ?? '',
      state: output.state, complete: output.complete, detail: redact(output.detail ?? '', this.deps.secrets).slice(0, MAX_MESSAGE),
      at: new Date().toISOString(),
    });
  }

  /**
   * Call before removing what this test published: waits until the tests consuming it in this run
   * are done. `keep`: a consumer runs outside this run (a daemon's later fire), so leave the output
   * to its lifetimes (and the ledger, for `lakeprobe cleanup`).
   */
  async releaseOutputs(): Promise<{ keep: boolean }> {
    if (!this.deps.board) return { keep: false };
    this.finishProducing();
    return this.deps.board.consumersDone(this.experiment, this.test, this.signal);
  }

  /** This test will publish nothing more (the runner calls it at the end if the scenario did not). */
  finishProducing(): void {
    if (this.producing) this.deps.board?.producerDone(this.experiment, this.test);
    this.producing = false;
  }

  /** The last operation of this context that failed, if any: what a follow-on step names when it is skipped. */
  get failure(): OpResult | undefined {
    return this.lastFailure;
  }

  /** Records that an operation did not run because `upstream` failed (outcome `skipped`, not a second failure). */
  skip(spec: OpSpec, upstream: OpResult): Promise<OpResult> {
    return recordSkip(this.deps, spec, upstream);
  }
}

/** Shared by RunContext and the runner (which records auth before a context exists). */
export async function recordOp<T>(
  deps: Pick<RunContextDeps, 'identity' | 'emit' | 'secrets' | 'now' | 'limiters' | 'progress'> & { signal?: AbortSignal },
  spec: OpSpec,
  body: (rec: OpRecorder) => Promise<T>,
): Promise<OpOutcome<T>> {
  // Slots are taken in one fixed order (test, then plan) so two operations never wait on each other.
  const releases: (() => void)[] = [];
  if (!insideOp.getStore()) for (const limiter of deps.limiters ?? []) releases.push(await limiter.acquire());
  try {
    deps.progress?.opStarted();
    return await insideOp.run(true, () => timedOp(deps, spec, body));
  } finally {
    for (const release of releases.reverse()) release();
  }
}

/**
 * A failure that ends an operation of a stopped run is the stop's doing, not the lake's:
 * class `aborted`, with the time it really ran and what it saw.
 */
function abortedOr(failure: Classified, signal: AbortSignal | undefined, durationMs: number, secrets: readonly string[]): Classified {
  if (!signal?.aborted) return failure;
  const why = signal.reason instanceof Error ? signal.reason.message : 'the run was stopped';
  const message = redact(`aborted after ${(durationMs / 1000).toFixed(1)} s (${why}): ${failure.message}`, secrets);
  return { errorClass: 'aborted', message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message };
}

async function timedOp<T>(
  deps: Pick<RunContextDeps, 'identity' | 'emit' | 'secrets' | 'now' | 'progress'> & { signal?: AbortSignal },
  spec: OpSpec,
  body: (rec: OpRecorder) => Promise<T>,
): Promise<OpOutcome<T>> {
  const now = deps.now ?? (() => performance.timeOrigin + performance.now());
  const facts = {
    bytes: spec.bytes ?? 0, ruleId: '', requestId: '', warning: '', durationMs: -1, startMs: -1, protocol: spec.protocol ?? 'rucio',
    transfer: undefined as TransferFact | undefined,
  };
  const rec: OpRecorder = {
    bytes: (n) => { facts.bytes = n; },
    ruleId: (id) => { facts.ruleId = id; },
    requestId: (id) => { facts.requestId = id; },
    warn: (message) => { facts.warning = message; },
    duration: (ms) => { facts.durationMs = ms; },
    start: (ms) => { facts.startMs = ms; },
    protocol: (name) => { facts.protocol = name; },
    transfer: (fact) => { facts.transfer = fact; },
  };
  const started = now();
  // The audiences and scopes of the tokens the operation presented (never the tokens).
  const tokens = new Set<string>();
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    // Catalogue calls retried after a transient failure are noted on the result (a warning).
    outcome = {
      ok: true,
      value: await collectTokenUses(tokens, () => collectRetryNotes((note) => { facts.warning ||= `succeeded after retries: ${note}`; }, () => body(rec))),
    };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const durationMs = Math.max(0, facts.durationMs >= 0 ? facts.durationMs : now() - started);
  const failure = outcome.ok ? null : abortedOr(classify(outcome.error, deps.secrets), deps.signal, durationMs, deps.secrets);
  const result: OpResult = {
    ...resultOf(deps.identity, spec, started),
    protocol: facts.protocol,
    bytes: facts.bytes,
    sizeClass: sizeClass(facts.bytes),
    start: new Date(facts.startMs >= 0 ? facts.startMs : started).toISOString(),
    durationMs: Math.round(durationMs * 1000) / 1000,
    outcome: outcome.ok ? 'ok' : 'failed',
    severity: failure ? failureSeverity(failure.errorClass) : facts.warning ? 'warning' : 'info',
    errorClass: failure?.errorClass ?? null,
    errorMessage: failure?.message ?? (facts.warning ? redact(facts.warning, deps.secrets) : ''),
    ruleId: facts.ruleId,
    requestId: facts.requestId,
    ...(tokens.size ? { tokenUse: describeTokenUses(tokens) } : {}),
    ...(spec.check ? { check: { ...spec.check, target: spec.check.target.slice(0, MAX_CHECK_TARGET) } } : {}),
    ...(facts.transfer ? { transfer: facts.transfer } : {}),
  };
  try {
    await deps.emit(result);
  } finally {
    deps.progress?.opFinished(result);
  }
  return outcome.ok ? { ok: true, value: outcome.value, result } : { ok: false, error: outcome.error, result };
}

/** The fields of a result that say who did what where, from the run's identity and the operation's spec. */
function resultOf(identity: RunIdentity, spec: OpSpec, started: number): OpResult {
  return {
    runId: identity.runId, experiment: identity.experiment, test: identity.test, scenario: identity.scenario,
    operation: spec.operation, rse: spec.rse ?? spec.dstRse ?? '', srcRse: spec.srcRse ?? '', dstRse: spec.dstRse ?? '',
    protocol: spec.protocol ?? 'rucio', authMethod: spec.authMethod ?? identity.authMethod, identityRole: spec.role ?? identity.identityRole,
    bytes: spec.bytes ?? 0, sizeClass: sizeClass(spec.bytes ?? 0), start: new Date(started).toISOString(), durationMs: 0,
    outcome: 'ok', severity: 'info', errorClass: null, errorMessage: '', ruleId: '', requestId: '',
  };
}

type RecordDeps = Pick<RunContextDeps, 'identity' | 'emit' | 'now' | 'progress'>;

/** A result made outside an operation (a crash, a skip) goes out as every operation's does. */
async function emitRecorded(deps: RecordDeps, result: OpResult): Promise<OpResult> {
  deps.progress?.opStarted();
  try {
    await deps.emit(result);
  } finally {
    deps.progress?.opFinished(result);
  }
  return result;
}

/**
 * A scenario that threw: one failed result of operation `scenario`, class `scenario_crash`, with the
 * one redacted line that says where and why, so the store and every report judge the test by it.
 */
export async function recordCrash(deps: RecordDeps, startedMs: number, line: string): Promise<OpResult> {
  const now = deps.now ?? (() => performance.timeOrigin + performance.now());
  return emitRecorded(deps, {
    ...resultOf(deps.identity, { operation: 'scenario' }, startedMs),
    durationMs: Math.max(0, Math.round((now() - startedMs) * 1000) / 1000),
    outcome: 'failed', severity: failureSeverity('scenario_crash'), errorClass: 'scenario_crash',
    errorMessage: line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line,
  });
}

/** Records that `spec` did not run because `upstream` failed: `skipped`, naming it, never a second failure. */
async function recordSkip(deps: RecordDeps, spec: OpSpec, upstream: OpResult): Promise<OpResult> {
  const now = deps.now ?? (() => performance.timeOrigin + performance.now());
  const where = upstream.rse ? ` on ${upstream.rse}` : '';
  return emitRecorded(deps, {
    ...resultOf(deps.identity, spec, now()), outcome: 'skipped',
    errorMessage: `skipped: ${upstream.operation}${where} failed (${upstream.errorClass ?? 'failed'}) at ${upstream.start}`,
  });
}
