import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import { scaleCount, scaleSeconds, scaleSize } from '../src/engine/scale.js';
import { removeProbeData, uploadProbeData } from './probe-data.js';
import { addDatasetRule, awaitGone, awaitRule, expireRule, ruleSpecParam, type DatasetRule } from './rules.js';
import {
  createDataset, lifetimeParam, parallelParam, pollParam, probeTag, rseInfo, ruleTimeoutParam, scopeParam, sizeParam,
} from './steps.js';

export const lifecycleParams = z.object({
  /**
   * expire: the source rule's lifetime ends and the lake removes the replicas;
   * short_source: data on a short-lived source is gone after replication (SKAO end-to-end);
   * delete_origin: after replication the origin copy is deleted (CTA, MAGIC, LOFAR).
   */
  mode: z.enum(['expire', 'short_source', 'delete_origin']),
  source: z.string().max(100).optional(),
  files: z.number().int().min(1).max(1000).default(2),
  size: sizeParam.default(1024 * 1024),
  /** Lifetime of the source rule (seconds) in `expire` and `short_source`. */
  source_lifetime: z.number().int().min(1).max(30 * 86_400).default(60),
  /** Where the data must end up (short_source, delete_origin). */
  destination: ruleSpecParam.optional(),
  scope: scopeParam.optional(),
  lifetime: lifetimeParam,
  /** How long after the lifetime (or the cut) the replicas may take to disappear. */
  grace_seconds: z.number().positive().max(86_400).default(120),
  timeout_seconds: ruleTimeoutParam,
  poll_seconds: pollParam,
  parallel: parallelParam,
}).strict().refine((p) => p.mode === 'expire' || p.destination, { message: 'short_source and delete_origin need a destination', path: ['destination'] });
export type LifecycleParams = z.output<typeof lifecycleParams>;

/** Data lifecycle: rule lifetimes and deletion at origin remove what they should, when they should. */
export default defineScenario({
  name: 'lifecycle',
  description: 'Rule lifetime expiry, short-lived sources and deletion at origin after replication',
  params: lifecycleParams,
  scale: (p, f) => ({
    ...p, files: scaleCount(p.files, f), size: scaleSize(p.size, f), source_lifetime: Math.ceil(scaleSeconds(p.source_lifetime, f, 5)),
  }),
  checks: (p) => (p.destination ? ['deleted_at_origin', 'placement'] : ['deleted_at_origin']),
  work: (p) => ({ files: p.files, bytes: p.files * p.size }),
  usesRses: (params) => params.source === undefined,
  // The destination rule moves the whole dataset; a short source must outlive that transfer.
  transferNeeds: (params) => params.destination
    ? [
      { bytes: params.files * params.size, param: 'timeout_seconds', seconds: params.timeout_seconds },
      ...(params.mode === 'short_source' ? [{ bytes: params.files * params.size, param: 'source_lifetime', seconds: params.source_lifetime }] : []),
    ]
    : [],
  async run(ctx, params) {
    const sourceName = params.source ?? ctx.rses[0];
    const source = sourceName ? await rseInfo(ctx, sourceName) : null;
    if (!source) return;
    const dataset = { scope: params.scope ?? `user.${ctx.account}`, name: `${probeTag(ctx)}.ds` };
    if (!(await createDataset(ctx, dataset, params.lifetime))) return;
    const sourceLifetime = params.mode === 'delete_origin' ? params.lifetime : params.source_lifetime;
    const data = await uploadProbeData(ctx, source, dataset, { count: params.files, size: params.size, lifetime: sourceLifetime, parallel: params.parallel });
    if (!data.sourceRule || data.files.length === 0) return removeProbeData(ctx, data, [], params.parallel);
    const rules: DatasetRule[] = [];
    if (params.destination) {
      const rule = await addDatasetRule(ctx, dataset, params.destination, { srcRse: source.rse });
      if (rule) {
        rules.push(rule);
        await awaitRule(ctx, rule, { timeoutSeconds: params.timeout_seconds, pollSeconds: params.poll_seconds, srcRse: source.rse, files: data.files });
      }
    }
    let sourceGone = false;
    if (params.mode === 'delete_origin') {
      if (await expireRule(ctx, data.sourceRule, source.rse)) {
        sourceGone = await awaitGone(ctx, data.files, source.rse, params.grace_seconds, params.poll_seconds, true);
      }
    } else {
      // The source rule expires by itself; the wait counts from now to the last replica gone.
      ctx.ledger.done(data.sourceRule.ledgerId);
      const left = Math.max(0, data.sourceRule.createdAt + sourceLifetime * 1000 - Date.now()) / 1000;
      sourceGone = await awaitGone(ctx, data.files, source.rse, left + params.grace_seconds, params.poll_seconds, true);
    }
    if (sourceGone) {
      for (const f of data.files) ctx.ledger.done(f.ledgerId); // the lake's reaper removed them
      for (const rule of rules) await removeProbeData(ctx, { ...data, sourceRule: null, files: [] }, [rule], params.parallel);
      return;
    }
    await removeProbeData(ctx, { ...data, sourceRule: params.mode === 'delete_origin' ? data.sourceRule : null }, rules, params.parallel);
  },
});
