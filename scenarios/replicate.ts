import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import { waitForRule } from '../src/lake/rucio/index.js';
import {
  addRule, createDataset, deleteFile, deleteRule, probeTag, registerFile, rseInfo, scopeParam, sizeParam,
  uploadFile, verifyReplica, type Did,
} from './steps.js';

export const replicateParams = z.object({
  size: sizeParam.default(10 * 1024 * 1024),
  /** Files per source → destination pair. */
  files: z.number().int().min(1).max(100).default(1),
  scope: scopeParam.optional(),
  /** Explicit pairs; default: from the first selected RSE to each of the others. */
  pairs: z.array(z.object({ from: z.string(), to: z.string() }).strict()).optional(),
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
 * Replication by rule: upload to a source RSE, add a rule for the destination, wait for
 * OK (the replicate operation lasts from rule creation to OK), verify the copy.
 */
export default defineScenario({
  name: 'replicate',
  description: 'Replicate synthetic files between RSEs with Rucio rules and time rule creation to OK',
  params: replicateParams,
  async run(ctx, params) {
    const scope = params.scope ?? `user.${ctx.account}`;
    const dataset = { scope, name: `${probeTag(ctx)}.ds` };
    const pairs = params.pairs ?? ctx.rses.slice(1).map((to) => ({ from: ctx.rses[0] as string, to }));
    if (pairs.length === 0) {
      ctx.log(`${ctx.test}: replicate needs at least two RSEs (selected: ${ctx.rses.join(', ') || 'none'})`);
      return;
    }
    if (!(await createDataset(ctx, dataset, params.lifetime))) return;
    for (const pair of pairs) {
      for (let i = 0; i < params.files; i++) {
        if (ctx.signal.aborted) return;
        await replicateOne(ctx, params, dataset, pair, { scope, name: `${dataset.name}.${pair.from}.${pair.to}.${i}` });
      }
    }
  },
});

async function replicateOne(ctx: RunContext, params: ReplicateParams, dataset: Did, pair: { from: string; to: string }, did: Did): Promise<void> {
  const src = await rseInfo(ctx, pair.from);
  if (!src) return;
  const file = await uploadFile(ctx, src, did, params.size, ['davs', 'https']);
  if (!file) return;
  const where = { srcRse: pair.from, dstRse: pair.to };
  let sourceRule = (await registerFile(ctx, file, src.deterministic, dataset))
    ? await addRule(ctx, did, pair.from, params.lifetime, { rse: pair.from })
    : null;
  const rule = sourceRule ? await addRule(ctx, did, pair.to, params.lifetime, where) : null;
  if (rule) {
    const replicated = await ctx.op({ operation: 'replicate', ...where, protocol: 'https-tpc', bytes: file.sums.bytes }, async (rec) => {
      rec.ruleId(rule.id);
      try {
        return await waitForRule(ctx.rucio, rule.id, {
          timeoutMs: params.timeout_seconds * 1000, pollMs: params.poll_seconds * 1000, signal: ctx.signal,
        });
      } finally {
        const request = await ctx.rucio.getRequest(did.scope, did.name, pair.to).catch(() => null);
        if (request?.id) rec.requestId(request.id);
      }
    });
    if (replicated.ok) await verifyReplica(ctx, did, pair.to, file.sums, rule.id);
    if (replicated.ok && params.move && sourceRule) {
      await deleteRule(ctx, pair.from, sourceRule);
      sourceRule = null;
      await ctx.op({ operation: 'delete', rse: pair.from }, async () => {
        const deadline = Date.now() + params.timeout_seconds * 1000;
        for (;;) {
          const [replica] = await ctx.rucio.listReplicas({ dids: [did], allStates: true });
          if (!replica?.states?.[pair.from]) return;
          if (Date.now() > deadline) throw new Error(`replica on ${pair.from} still ${replica.states[pair.from]} after the source rule was removed`);
          await new Promise((r) => setTimeout(r, params.poll_seconds * 1000));
        }
      });
      ctx.ledger.done(file.ledgerId); // the lake's reaper removed the origin file
    }
  }
  if (!params.cleanup) return;
  if (rule) await deleteRule(ctx, pair.to, rule);
  if (sourceRule) await deleteRule(ctx, pair.from, sourceRule);
  if (!params.move || !rule) await deleteFile(ctx, file);
}
