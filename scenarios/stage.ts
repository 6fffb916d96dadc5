import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import { scaleCount, scaleSize } from '../src/engine/scale.js';
import { removeProbeData, uploadProbeData, type ProbeData } from './probe-data.js';
import { addDatasetRule, awaitRule, ruleSpecParam, type DatasetRule } from './rules.js';
import {
  createDataset, downloadAndCompare, parallelParam, pollParam, probeTag, rseInfo, ruleTimeoutParam, scopeParam, sizeParam, verifyReplica,
} from './steps.js';

const rseName = z.string().regex(/^([A-Z0-9]+([_-][A-Z0-9]+)*)$/, { error: 'must be an RSE name like SITE-DISK' });

export const stageParams = z.object({
  /** Where the data lies before it is staged (SKAO: DESY-DCACHE). */
  source: rseName,
  files: z.number().int().min(1).max(10_000).default(3),
  size: sizeParam.default(1024 * 1024),
  /** The staging rule, e.g. { expression: EULAKE-1, lifetime: 604800 } (DLaaS's "make available": seven days). */
  stage: ruleSpecParam,
  /** Products of the analysis uploaded back to the lake (SKAO: the source catalogues), in a dataset of their own. */
  outputs: z.object({ rse: rseName, files: z.number().int().min(1).max(1000).default(1), size: sizeParam.default(1024 * 1024) }).strict().optional(),
  scope: scopeParam.optional(),
  /** Seconds the probe data lives at the source (its rule and DIDs), so the lake removes leftovers by itself. */
  lifetime: z.number().int().positive().max(90 * 86_400).default(3600),
  timeout_seconds: ruleTimeoutParam,
  poll_seconds: pollParam,
  parallel: parallelParam,
}).strict();
export type StageParams = z.output<typeof stageParams>;

/**
 * Data-lake-as-a-service staging: the data is made available at a staging RSE by a rule with a
 * lifetime (timed like any rule), each staged file is read back there and compared, and the
 * analysis products are uploaded to their own RSE.
 */
export default defineScenario({
  name: 'stage',
  description: 'Stage a dataset to an RSE with a rule lifetime, read it there, upload the analysis products back',
  params: stageParams,
  scale: (p, f) => ({
    ...p, files: scaleCount(p.files, f), size: scaleSize(p.size, f),
    ...(p.outputs ? { outputs: { ...p.outputs, files: scaleCount(p.outputs.files, f), size: scaleSize(p.outputs.size, f) } } : {}),
  }),
  checks: () => ['placement'],
  // What it stages: the dataset over the link to the staging RSE.
  work: (p) => ({ files: p.files, bytes: p.files * p.size }),
  usesRses: () => false,
  transferNeeds: (p) => [
    { bytes: p.files * p.size, param: 'timeout_seconds', seconds: p.timeout_seconds },
    { bytes: p.files * p.size, param: 'lifetime', seconds: p.lifetime },
  ],
  async run(ctx, params) {
    const source = await rseInfo(ctx, params.source);
    if (!source) return;
    const scope = params.scope ?? `user.${ctx.account}`;
    const tag = probeTag(ctx);
    const dataset = { scope, name: `${tag}.ds` };
    if (!(await createDataset(ctx, dataset, params.lifetime))) return;
    const data = await uploadProbeData(ctx, source, dataset, { count: params.files, size: params.size, lifetime: params.lifetime, parallel: params.parallel });
    const rules: DatasetRule[] = [];
    let products: ProbeData | null = null;
    try {
      if (data.files.length === 0) return;
      const staging = await addDatasetRule(ctx, dataset, params.stage, { srcRse: source.rse });
      if (!staging) return;
      rules.push(staging);
      const staged = await awaitRule(ctx, staging, { timeoutSeconds: params.timeout_seconds, pollSeconds: params.poll_seconds, srcRse: source.rse, files: data.files });
      // Read where it was staged, not at the source: the notebook's view of the data.
      for (const rse of staged.filter((r) => r !== source.rse)) {
        for (const f of data.files) {
          const pfn = await verifyReplica(ctx, f, rse, f.sums, staging.id);
          if (pfn) await downloadAndCompare(ctx, rse, { ...f, pfn });
        }
      }
      if (params.outputs && !ctx.signal.aborted) {
        const outRse = await rseInfo(ctx, params.outputs.rse);
        const outDataset = { scope, name: `${tag}.products` };
        if (outRse && (await createDataset(ctx, outDataset, params.lifetime))) {
          products = await uploadProbeData(ctx, outRse, outDataset, {
            count: params.outputs.files, size: params.outputs.size, lifetime: params.lifetime, parallel: params.parallel,
          });
          for (const f of products.files) await verifyReplica(ctx, f, outRse.rse, f.sums, products.sourceRule?.id);
        }
      }
    } finally {
      if (products) await removeProbeData(ctx, products, [], params.parallel);
      await removeProbeData(ctx, data, rules, params.parallel);
    }
  },
});
