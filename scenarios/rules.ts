// Rules on probe datasets and how they are timed: time-to-OK per rule and link (rule creation
// until every lock on that RSE is OK) and, where the account may read Rucio's requests, per
// file (the rule's created_at until its transfer's transferred_at) with the transfer's bytes.
import { z } from 'zod';
import type { RunContext } from '../src/engine/run-context.js';
import { isRseName } from '../src/engine/op-result.js';
import { DeletionStuckError, RucioApiError, RuleStateError } from '../src/lake/errors.js';
import {
  describeCoverage, ruleCoverage, transferProtocol, TransferWatch, type LockInfo, type RequestInfo, type RuleCoverage, type RuleGrouping, type RuleInfo,
} from '../src/lake/rucio/index.js';
import type { Did, ProbeFile, ProbeRule } from './steps.js';
import { rseExpressionString } from '../src/plan/rse-expression.js';
import { asksForQos, resolveRseExpression } from '../src/lake/rse-selection.js';

export const ruleSpecParam = z.object({
  /** RSE expression or QoS class, e.g. QOS=SAFE, SITE-DISK|OTHER-DISK. */
  expression: rseExpressionString(z.string().min(1).max(500)),
  copies: z.number().int().min(1).max(10).default(1),
  /** Seconds; the probe data carries a lifetime so the lake removes it even after a crash. */
  lifetime: z.number().int().positive().max(90 * 86_400).default(3600),
  grouping: z.enum(['ALL', 'DATASET', 'NONE']).default('DATASET'),
}).strict();
export type RuleSpec = z.output<typeof ruleSpecParam>;

export interface DatasetRule extends ProbeRule { spec: RuleSpec; createdAt: number }

export async function addDatasetRule(ctx: RunContext, dataset: Did, spec: RuleSpec, where: { rse?: string; srcRse?: string }): Promise<DatasetRule | null> {
  const createdAt = Date.now();
  const rule = await ctx.op({ operation: 'rule', ...where }, async (rec) => {
    // A QoS class must not quietly resolve to the RSEs that still have one: check before the rule.
    if (asksForQos(spec.expression)) await resolveRseExpression(ctx.rucio, spec.expression);
    const ledgerId = ctx.ledger.intend({ runId: ctx.runId, kind: 'rule', rse: spec.expression, target: '', authMethod: ctx.authMethod });
    const [id] = await ctx.rucio.addRule({
      dids: [dataset], copies: spec.copies, rseExpression: spec.expression, lifetime: spec.lifetime, grouping: spec.grouping as RuleGrouping,
      comment: 'lakeprobe probe data',
    });
    if (!id) throw new Error('rule creation returned no rule id');
    ctx.ledger.created(ledgerId, id);
    rec.ruleId(id);
    return { id, ledgerId, spec, createdAt };
  });
  return rule.ok ? rule.value : null;
}

export interface WaitOptions {
  timeoutSeconds: number;
  pollSeconds: number;
  srcRse: string;
  files: readonly ProbeFile[];
  /** Sees the rule at each poll (e.g. to publish how far an output is for the tests that consume it). */
  onPoll?: (rule: RuleInfo, coverage: RuleCoverage) => void;
}

interface Followed {
  info: RuleInfo | null; locks: LockInfo[]; coverage: RuleCoverage | null; okAt: Map<string, number>; error: unknown;
  /** The files' transfers as the polls saw them (README "Transfers in flight"). */
  watch: TransferWatch;
}

/**
 * Polls the rule and its locks until the rule is OK with every file of its dataset locked OK (a rule
 * reads OK with no locks until Rucio's judge-evaluator has seen an attach), STUCK/SUSPENDED, or the
 * deadline. An RSE's time to OK is the first poll at which every file is locked and its locks are OK.
 */
async function follow(ctx: RunContext, rule: DatasetRule, opts: WaitOptions): Promise<Followed> {
  const deadline = rule.createdAt + opts.timeoutSeconds * 1000;
  const okAt = new Map<string, number>();
  let info: RuleInfo | null = null;
  let locks: LockInfo[] = [];
  let coverage: RuleCoverage | null = null;
  let files: Did[] | undefined;
  const watch = new TransferWatch(ctx.rucio);
  for (;;) {
    try {
      info = await ctx.rucio.getRule(rule.id);
      files ??= await ctx.rucio.listFiles(info.scope, info.name);
      locks = await ctx.rucio.listRuleLocks(rule.id);
      await watch.poll(locks, info);
    } catch (error) {
      return { info, locks, coverage, okAt, error, watch };
    }
    const now = Date.now();
    coverage = ruleCoverage(info, locks, files);
    opts.onPoll?.(info, coverage);
    const byRse = new Map<string, LockInfo[]>();
    for (const l of locks) byRse.set(l.rse, [...(byRse.get(l.rse) ?? []), l]);
    if (coverage.locked === coverage.files) {
      for (const [rse, ls] of byRse) if (!okAt.has(rse) && ls.every((l) => l.state === 'OK')) okAt.set(rse, now);
    }
    const done = coverage.done || info.state === 'STUCK' || info.state === 'SUSPENDED';
    if (done || now + opts.pollSeconds * 1000 > deadline || ctx.signal.aborted) return { info, locks, coverage, okAt, error: null, watch };
    await new Promise((r) => setTimeout(r, opts.pollSeconds * 1000));
  }
}

/**
 * Waits for a rule and records one `replicate` per destination RSE (time to OK on that
 * link; a STUCK or still-REPLICATING rule fails with Rucio's error), then one per
 * transfer from the requests API. Returns the RSEs where the rule's locks are OK.
 */
export async function awaitRule(ctx: RunContext, rule: DatasetRule, opts: WaitOptions): Promise<string[]> {
  const { info, locks, coverage, okAt, error, watch } = await follow(ctx, rule, opts);
  const bytesOf = new Map(opts.files.map((f) => [`${f.scope}:${f.name}`, f.sums.bytes]));
  const rses = [...new Set(locks.map((l) => l.rse))].sort();
  const requests = new Map<string, RequestInfo>();
  for (const l of locks) {
    const request = await ctx.rucio.getRequest(l.scope, l.name, l.rse).catch(() => null);
    if (request) requests.set(`${l.scope}:${l.name}@${l.rse}`, request);
  }
  const problem = (rse: string): string => {
    const errors = [...requests.entries()].filter(([k, r]) => k.endsWith(`@${rse}`) && r.err_msg).map(([, r]) => r.err_msg);
    return [info?.error ?? '', ...new Set(errors)].filter(Boolean).join('; ');
  };
  // No lock at all: one result for the rule, on no RSE (its expression is the check's target, never an RSE name).
  for (const rse of rses.length ? rses : ['']) {
    const mine = locks.filter((l) => l.rse === rse);
    const bytes = mine.reduce((n, l) => n + (bytesOf.get(`${l.scope}:${l.name}`) ?? 0), 0);
    const placement = { kind: 'placement' as const, target: rule.spec.expression, copies: rule.spec.copies };
    await ctx.op({ operation: 'replicate', srcRse: opts.srcRse, dstRse: rse, bytes, check: placement }, async (rec) => {
      rec.ruleId(rule.id);
      const ok = okAt.get(rse);
      rec.start(rule.createdAt);
      rec.duration((ok ?? Date.now()) - rule.createdAt);
      if (error) throw error;
      if (ok !== undefined && mine.length > 0) return;
      const state = info?.state === 'STUCK' || info?.state === 'SUSPENDED' ? info.state : 'TIMEOUT';
      const stuck = mine.filter((l) => l.state === 'STUCK').length;
      const seen = info && coverage ? `rule ${describeCoverage(info, coverage)}` : 'rule not read';
      // The time it really waited: a stopped run waits less than the limit.
      const waited = `${Math.round((Date.now() - rule.createdAt) / 1000)} s${ctx.signal.aborted ? '' : ` (limit ${opts.timeoutSeconds} s)`}`;
      const detail = problem(rse) || `${seen}; ${mine.length - stuck} of ${mine.length} locks on ${rse || rule.spec.expression} not OK after ${waited}`;
      throw new RuleStateError(rule.id, stuck > 0 && state === 'TIMEOUT' ? 'STUCK' : state, detail);
    });
  }
  const createdAt = rucioTime(info?.created_at ?? null) ?? rule.createdAt;
  for (const [key, request] of requests) await recordTransfer(ctx, { id: rule.id, createdAt }, key, request, watch);
  return rses.filter((rse) => okAt.has(rse));
}

const rucioTime = (value: string | null): number | null => (value ? Date.parse(value) : null);

/**
 * One file's replication as the catalogue saw it: from the rule's creation to the transfer that
 * made its lock OK (Rucio's timestamps, to the second), with the transfer's bytes.
 */
async function recordTransfer(ctx: RunContext, rule: { id: string; createdAt: number }, key: string, r: RequestInfo, watch: TransferWatch): Promise<void> {
  const dst = key.slice(key.lastIndexOf('@') + 1);
  const timeline = watch.timeline({ scope: r.scope, name: r.name, rse: dst }, r, Date.now());
  const ruleId = rule.id;
  await ctx.op({ operation: 'replicate', srcRse: r.source_rse ?? '', dstRse: dst, protocol: transferProtocol(r), bytes: r.bytes ?? 0 }, async (rec) => {
    rec.ruleId(ruleId);
    rec.requestId(r.id);
    if (timeline) rec.transfer(timeline);
    rec.start(rule.createdAt);
    rec.duration(Math.max(0, (rucioTime(r.transferred_at) ?? Date.now()) - rule.createdAt));
    if (r.state === 'DONE') return;
    const state = r.state === 'FAILED' ? 'STUCK' : 'TIMEOUT';
    throw new RuleStateError(ruleId, state, `transfer ${r.id} of ${r.scope}:${r.name} to ${dst} is ${r.state}${r.err_msg ? `: ${r.err_msg}` : ''}`);
  });
}

/** Cut a rule's lifetime to one second (as `rucio update-rule --lifetime 1`); the lake then drops it and reaps what only it held. */
export async function expireRule(ctx: RunContext, rule: ProbeRule, rse: string): Promise<boolean> {
  const cut = await ctx.op({ operation: 'rule', rse: isRseName(rse) ? rse : '' }, async (rec) => {
    rec.ruleId(rule.id);
    await ctx.rucio.updateRule(rule.id, { lifetime: 1 });
  });
  if (cut.ok) ctx.ledger.done(rule.ledgerId);
  return cut.ok;
}

/**
 * Waits until no replica of `files` is listed on `rse` (one `delete` operation, from now until gone);
 * `origin`: the RSE is where the data came from, so the result is the deleted-at-origin check.
 */
export async function awaitGone(ctx: RunContext, files: readonly Did[], rse: string, timeoutSeconds: number, pollSeconds: number, origin = false): Promise<boolean> {
  const check = origin ? { kind: 'deleted_at_origin' as const, target: rse } : undefined;
  const gone = await ctx.op({ operation: 'delete', rse, ...(check ? { check } : {}) }, async () => {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      const replicas = await ctx.rucio.listReplicas({ dids: files.map(({ scope, name }) => ({ scope, name })), allStates: true });
      const left = replicas.filter((r) => r.states?.[rse]).length;
      if (left === 0) return;
      if (Date.now() > deadline) {
        const detail = `${left} replica(s) still on ${rse} after ${timeoutSeconds} s`;
        throw origin ? new DeletionStuckError(rse, detail) : new RuleStateError('', 'TIMEOUT', detail);
      }
      await new Promise((r) => setTimeout(r, pollSeconds * 1000));
    }
  });
  return gone.ok;
}

export const isNotFound = (e: unknown): boolean => e instanceof RucioApiError && e.status === 404;
