// Bulk catalogue steps of the upload scenario: files that landed on storage are
// registered and attached in one call per batch, under a dataset rule that exists
// before any of them is registered (so no replica is ever left without a rule),
// and verified with one replica listing per batch.
import { Limiter } from '../src/engine/pool.js';
import type { OpOutcome, RunContext } from '../src/engine/run-context.js';
import { ChecksumMismatchError } from '../src/lake/errors.js';
import type { LockInfo, ReplicaRecord, RseInfo, RuleInfo } from '../src/lake/rucio/index.js';
import { awaitLocks, checkLock, driverFor, type Did, type LockWait, type ProbeFile } from './steps.js';

/** Files registered by one call; Rucio accepts at most 1000 per attach. */
export const MAX_BATCH = 1000;

/** Replica ledger entries name the replica as 'scope:name' on its RSE. */
const replicaTarget = (did: Did): string => `${did.scope}:${did.name}`;

/**
 * One register operation for a batch: each replica goes into the ledger first, then one
 * attach call with the RSE registers them all and attaches them to the dataset, whose
 * rule (with a lifetime) covers them from then on — so their ledger entries close.
 */
export async function registerBatch(ctx: RunContext, rse: RseInfo, dataset: Did, files: readonly ProbeFile[]): Promise<boolean> {
  return (await registerBatchOp(ctx, rse, dataset, files)).ok;
}

/** As registerBatch, giving the recorded outcome (e.g. for a burst's latency figures). */
export async function registerBatchOp(ctx: RunContext, rse: RseInfo, dataset: Did, files: readonly ProbeFile[]): Promise<OpOutcome<void>> {
  return ctx.op({ operation: 'register', rse: rse.rse }, async () => {
    const ids = files.map((f) => ctx.ledger.intend({
      runId: ctx.runId, kind: 'replica', rse: rse.rse, target: replicaTarget(f), authMethod: ctx.authMethod,
    }));
    await ctx.rucio.attachReplicas(dataset.scope, dataset.name, rse.rse, files.map((f) => ({
      scope: f.scope, name: f.name, bytes: f.sums.bytes, adler32: f.sums.adler32,
      ...(f.sums.md5 ? { md5: f.sums.md5 } : {}), // '' when the scenario computed no md5
      ...(rse.deterministic ? {} : { pfn: f.pfn }),
    })));
    for (const id of ids) {
      ctx.ledger.created(id);
      ctx.ledger.done(id); // the dataset rule holds it; its lifetime (or our rule deletion) removes it
    }
  });
}

/** What a batch's verifications share: one replica listing and one wait for the rule's locks, fetched once. */
export class BatchCheck {
  private replicas?: Promise<Map<string, ReplicaRecord>>;
  private held?: Promise<{ rule: RuleInfo; locks: LockInfo[] }>;

  constructor(
    private readonly ctx: RunContext, private readonly files: readonly ProbeFile[],
    private readonly scheme: string, private readonly ruleId: string, private readonly wait: LockWait,
  ) {}

  replica(did: Did): Promise<ReplicaRecord | undefined> {
    this.replicas ??= this.ctx.rucio.listReplicas({ dids: [...this.files], allStates: true, schemes: [this.scheme] })
      .then((records) => new Map(records.map((r) => [replicaTarget(r), r])));
    return this.replicas.then((m) => m.get(replicaTarget(did)));
  }

  /** The rule and its locks once every file of the batch has its OK lock, or as they were when the wait ended. */
  heldBy(): Promise<{ rule: RuleInfo; locks: LockInfo[] }> {
    this.held ??= awaitLocks(this.ctx, this.ruleId, this.files, this.wait);
    return this.held;
  }
}

/** The catalogue lists the replica AVAILABLE, the storage's adler32 is ours, and the dataset rule is OK with an OK lock on it. */
export async function verifyInBatch(
  ctx: RunContext, check: BatchCheck, file: ProbeFile, scheme: string, ruleId: string, checksums: Limiter,
): Promise<void> {
  await ctx.op({ operation: 'verify', rse: file.rse, protocol: scheme, bytes: file.sums.bytes }, async (rec) => {
    rec.ruleId(ruleId);
    const replica = await check.replica(file);
    const state = replica?.states?.[file.rse];
    if (state !== 'AVAILABLE') throw new Error(`replica of ${file.scope}:${file.name} on ${file.rse} is ${state ?? 'not listed'}, expected AVAILABLE`);
    const pfn = replica?.rses?.[file.rse]?.[0];
    if (!pfn) throw new Error(`no PFN of ${file.scope}:${file.name} listed for ${file.rse}`);
    // Storage computes checksums a few at a time (XRootD: `xrootd.chksum max`); asking for more stalls answers.
    const remote = await checksums.run(() => ctx.storage(driverFor(scheme)).checksum(pfn, 'adler32'));
    if (remote !== file.sums.adler32) throw new ChecksumMismatchError('adler32', file.sums.adler32, remote, `${file.rse} storage`, { did: `${file.scope}:${file.name}`, pfn });
    const { rule, locks } = await check.heldBy();
    if (rule.state !== 'OK') throw new Error(`rule ${ruleId} is ${rule.state}${rule.error ? `: ${rule.error}` : ''}, expected OK`);
    checkLock(ruleId, file, file.rse, locks);
  });
}

/** Collects files per RSE until a batch is full; the caller registers what it hands back. */
export class Batcher<T> {
  private pending: T[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH) throw new RangeError(`batch size must be 1..${MAX_BATCH}, got ${size}`);
  }

  /** Adds one item; returns a full batch to process, or null. */
  add(item: T): T[] | null {
    this.pending.push(item);
    return this.pending.length >= this.size ? this.take() : null;
  }

  /** What is left (possibly nothing). */
  take(): T[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}
