import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import { DeletionStuckError } from '../src/lake/errors.js';
import { TransferWatch, transferProtocol, UNKNOWN_TRANSFER_PROTOCOL, waitForRule } from '../src/lake/rucio/index.js';
import { holdingDataset } from './held-dataset.js';
import {
  addRule, deleteRule, releaseFiles, probeTag, rseInfo, scopeParam, sizeParam, uploadFile, verifyReplica, type Did,
} from './steps.js';
import { registerBatch } from './upload-batch.js';

export const replicateParams = z.object({
  size: sizeParam.default(10 * 1024 * 1024),
  /** Files per source → destination pair. */
  files: z.number().int().min(1).max(100).default(1),
  scope: scopeParam.optional(),
  /** Explicit pairs; default: from the first selected RSE to each of the others. */
  pairs: z.array(z.object({ from: z.string().max(100), to: z.string().max(100) }).strict()).max(50).optional(),
  lifetime: z.number().int().positive().default(3600),
  /** How long a rule may take to reach OK before the replication counts as rule_timeout. */
  timeout_seconds: z.number().positive().default(600),
  poll_seconds: z.number().positive().default(2),
  /** After replication, remove the data from the source (delete at origin, as CTA and LOFAR did). */
  move: z.boolean().default(false),
  cleanup: z.boolean().default(true),
}).strict();

export type ReplicateParams = z.output<typeof replicateParams>;

/**
 * Replication by rule: per file, a dataset and its rule at the source first, then the upload
 * and its registration under that rule, then a rule for the destination; wait for OK (the
 * replicate operation lasts from rule creation to OK), verify the copy. A refused rule
 * never leaves a registered replica without one.
 */
export default defineScenario({
  name: 'replicate',
  description: 'Replicate synthetic files between RSEs with Rucio rules and time rule creation to OK',
  params: replicateParams,
  checks: (p) => (p.move ? ['placement', 'deleted_at_origin'] : ['placement']),
  usesRses: (params) => params.pairs === undefined,
  async run(ctx, params) {
    const scope = params.scope ?? `user.${ctx.account}`;
    const prefix = `${probeTag(ctx)}.ds`;
    const pairs = params.pairs ?? ctx.rses.slice(1).map((to) => ({ from: ctx.rses[0] as string, to }));
    if (pairs.length === 0) {
      ctx.log(`${ctx.test}: replicate needs at least two RSEs (selected: ${ctx.rses.join(', ') || 'none'})`);
      return;
    }
    // Files replicate side by side up to the test's concurrency: their rules are waited for together.
    const jobs = pairs.flatMap((pair) => Array.from({ length: params.files }, (_, i) => ({ pair, i })));
    await ctx.forEach(jobs, ({ pair, i }) =>
      replicateOne(ctx, params, pair, { scope, name: `${prefix}.${pair.from}.${pair.to}.${i}` }));
  },
});

/**
 * One file: its own dataset and source rule (so `move` can cut that rule alone), the upload,
 * its registration under the source rule, then the replication rule.
 */
async function replicateOne(ctx: RunContext, params: ReplicateParams, pair: { from: string; to: string }, did: Did): Promise<void> {
  const src = await rseInfo(ctx, pair.from);
  if (!src) return;
  const held = await holdingDataset(ctx, src, { scope: did.scope, name: `${did.name}.ds` }, params.lifetime);
  if (!held) return; // no rule at the source: nothing is written or registered
  const sourceRule = held.rule;
  const file = await uploadFile(ctx, src, did, params.size, ['davs', 'https']);
  if (!file) {
    if (params.cleanup) await deleteRule(ctx, pair.from, sourceRule);
    return;
  }
  const where = { srcRse: pair.from, dstRse: pair.to };
  const registered = await registerBatch(ctx, src, held.dataset, [file]);
  const rule = registered ? await addRule(ctx, did, pair.to, params.lifetime, where) : null;
  let moved = false;
  if (rule) {
    const placement = { kind: 'placement' as const, target: pair.to, copies: 1 };
    const replicated = await ctx.op({ operation: 'replicate', ...where, protocol: UNKNOWN_TRANSFER_PROTOCOL, bytes: file.sums.bytes, check: placement }, async (rec) => {
      rec.ruleId(rule.id);
      // The file's transfer while the rule waits: queued, active, retried (README "Transfers in flight").
      const watch = new TransferWatch(ctx.rucio);
      try {
        return await waitForRule(ctx.rucio, rule.id, {
          timeoutMs: params.timeout_seconds * 1000, pollMs: params.poll_seconds * 1000, signal: ctx.signal,
          onPoll: (locks, polled) => watch.poll(locks, polled),
        });
      } finally {
        const request = await ctx.rucio.getRequest(did.scope, did.name, pair.to).catch(() => null);
        if (request?.id) rec.requestId(request.id);
        rec.protocol(transferProtocol(request));
        const timeline = watch.timeline({ ...did, rse: pair.to }, request, Date.now());
        if (timeline) rec.transfer(timeline);
      }
    });
    if (replicated.ok) await verifyReplica(ctx, did, pair.to, file.sums, rule.id);
    if (replicated.ok && params.move) {
      moved = await moveOffSource(ctx, params, did, pair.from, sourceRule.id);
      if (moved) {
        // The lake removed the source rule and its reaper the origin file.
        ctx.ledger.done(sourceRule.ledgerId);
        ctx.ledger.done(file.ledgerId);
      }
    }
  }
  if (!params.cleanup) return;
  if (rule) await deleteRule(ctx, pair.to, rule);
  if (moved) return;
  await deleteRule(ctx, pair.from, sourceRule);
  await releaseFiles(ctx, [file]);
}

/**
 * Delete at origin: the source rule's lifetime is cut to one second (as `rucio
 * update-rule --lifetime` does), so the lake's cleaner drops it and its reaper removes the
 * origin replica; the operation lasts until the source no longer lists the replica.
 */
async function moveOffSource(ctx: RunContext, params: ReplicateParams, did: Did, source: string, ruleId: string): Promise<boolean> {
  const outcome = await ctx.op({ operation: 'delete', rse: source, check: { kind: 'deleted_at_origin', target: source } }, async (rec) => {
    rec.ruleId(ruleId);
    await ctx.rucio.updateRule(ruleId, { lifetime: 1 });
    const deadline = Date.now() + params.timeout_seconds * 1000;
    for (;;) {
      const [replica] = await ctx.rucio.listReplicas({ dids: [did], allStates: true });
      const state = replica?.states?.[source];
      if (!state) return;
      if (Date.now() > deadline) throw new DeletionStuckError(source, `origin replica still ${state} after ${params.timeout_seconds} s (rule ${ruleId} cut)`);
      await new Promise((r) => setTimeout(r, params.poll_seconds * 1000));
    }
  });
  return outcome.ok;
}
