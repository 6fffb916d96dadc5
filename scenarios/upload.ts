import { z } from 'zod';
import { Limiter } from '../src/engine/pool.js';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import type { RseInfo } from '../src/lake/rucio/index.js';
import {
  addRule, createDataset, deleteRule, downloadAndCompare, pollParam, probeTag, releaseFiles, rseInfo, ruleTimeoutParam, scopeParam,
  sizeParam, uploadFile, type Did, type ProbeFile, type ProbeRule,
} from './steps.js';
import { Batcher, BatchCheck, MAX_BATCH, registerBatch, verifyInBatch } from './upload-batch.js';

export const uploadParams = z.object({
  /** Files per RSE. */
  files: z.number().int().min(1).max(1000).default(1),
  size: sizeParam.default(1024 * 1024),
  /** Scope of probe DIDs; default user.<account> as `rucio upload` does. */
  scope: scopeParam.optional(),
  /** Lifetime in seconds of the probe rule and dataset, so the lake removes leftovers by itself. */
  lifetime: z.number().int().positive().default(3600),
  /** Storage protocols to use, in order of preference (root: XRootD via xrdcp). */
  schemes: z.array(z.enum(['davs', 'https', 'root'])).min(1).default(['davs', 'https']),
  /** Files registered (and verified) per catalogue call. */
  batch: z.number().int().min(1).max(MAX_BATCH).default(100),
  /**
   * Storage checksum requests in flight per RSE during verification. Storage computes a few
   * at a time (XRootD's `xrootd.chksum max`, 4 by default) and leaves the others unanswered.
   */
  checksum_concurrency: z.number().int().min(1).max(64).default(4),
  /**
   * Compute and register md5 as well as adler32, as `rucio upload` does. md5 is most of the
   * client's CPU per byte; without it replicas carry adler32 only (Rucio accepts either).
   */
  md5: z.boolean().default(true),
  /** Also download each file and compare its checksum. */
  download: z.boolean().default(true),
  /**
   * How long a registered file may wait for its lock under the dataset rule before verify fails: Rucio
   * locks attached files when its judge-evaluator runs, and the rule reads OK before that.
   */
  timeout_seconds: ruleTimeoutParam,
  poll_seconds: pollParam,
  cleanup: z.boolean().default(true),
}).strict();

export type UploadParams = z.output<typeof uploadParams>;

/** An RSE ready for files: its dataset exists and the dataset's rule holds whatever is attached. */
interface Target { info: RseInfo; dataset: Did; rule: ProbeRule; batcher: Batcher<ProbeFile>; checksums: Limiter }

/** Operations one RSE records when all goes well (progress: done / total and an ETA). */
function operationsPerRse(p: UploadParams): number {
  // Per batch: the register call and, with cleanup, the listing that says which files are Rucio's to delete.
  const perFile = 2 + (p.download ? 1 : 0);
  return 3 + Math.ceil(p.files / p.batch) * (p.cleanup ? 2 : 1) + p.files * perFile + (p.cleanup ? 1 : 0);
}

/**
 * `rucio upload` of a dataset on every selected RSE: one dataset and its rule per RSE first,
 * then the files (`concurrency` in flight), registered and attached in batches, verified,
 * downloaded and cleaned up. No replica is registered before a rule holds it.
 */
export default defineScenario({
  name: 'upload',
  description: 'Upload synthetic files to each RSE with rucio upload semantics, verify them and clean up',
  params: uploadParams,
  async run(ctx, params) {
    const scope = params.scope ?? `user.${ctx.account}`;
    const tag = probeTag(ctx);
    ctx.expectOperations(ctx.rses.length * operationsPerRse(params));
    const targets: Target[] = [];
    await ctx.forEach(ctx.rses, async (rse) => {
      const target = await prepare(ctx, params, rse, { scope, name: `${tag}.${rse}.ds` });
      if (target) targets.push(target);
    });
    targets.sort((a, b) => a.info.rse.localeCompare(b.info.rse));
    const jobs = targets.flatMap((t) => Array.from({ length: params.files }, (_, i) => ({ t, did: { scope, name: `${tag}.${t.info.rse}.${i}` } })));
    await ctx.forEach(jobs, async ({ t, did }) => {
      const file = await uploadFile(ctx, t.info, did, params.size, params.schemes, { md5: params.md5 });
      const full = file ? t.batcher.add(file) : null;
      if (full) await finishBatch(ctx, params, t, full);
    });
    await ctx.forEach(targets, async (t) => {
      const rest = t.batcher.take();
      if (rest.length) await finishBatch(ctx, params, t, rest);
      if (params.cleanup) await deleteRule(ctx, t.info.rse, t.rule);
    });
  },
});

async function prepare(ctx: RunContext, params: UploadParams, rse: string, dataset: Did): Promise<Target | null> {
  const info = await rseInfo(ctx, rse);
  if (!info || !(await createDataset(ctx, dataset, params.lifetime, rse))) return null;
  const rule = await addRule(ctx, dataset, rse, params.lifetime, { rse }, 'DATASET');
  return rule ? { info, dataset, rule, batcher: new Batcher(params.batch), checksums: new Limiter(params.checksum_concurrency) } : null;
}

/**
 * Register a batch in one call, then verify and download its files. Cleanup leaves registered
 * files to Rucio (the dataset rule's removal lets the reaper delete them) and deletes the rest.
 */
async function finishBatch(ctx: RunContext, params: UploadParams, t: Target, files: ProbeFile[]): Promise<void> {
  const registered = await registerBatch(ctx, t.info, t.dataset, files);
  const byScheme = new Map<string, BatchCheck>();
  const wait = { timeoutSeconds: params.timeout_seconds, pollSeconds: params.poll_seconds };
  await ctx.forEach(files, async (file) => {
    const scheme = file.pfn.slice(0, file.pfn.indexOf(':'));
    if (registered) {
      let check = byScheme.get(scheme);
      if (!check) byScheme.set(scheme, (check = new BatchCheck(ctx, files.filter((f) => f.pfn.startsWith(`${scheme}:`)), scheme, t.rule.id, wait)));
      await verifyInBatch(ctx, check, file, scheme, t.rule.id, t.checksums);
    }
    if (params.download) await downloadAndCompare(ctx, file.rse, file);
  });
  if (params.cleanup) await releaseFiles(ctx, files);
}
