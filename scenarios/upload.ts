import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import type { RseInfo } from '../src/lake/rucio/index.js';
import {
  addRule, createDataset, deleteFile, deleteRule, downloadAndCompare, probeTag, registerFile, rseInfo, scopeParam,
  sizeParam, uploadFile, verifyReplica, type Did,
} from './steps.js';

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
  /** Also download each file and compare its checksum. */
  download: z.boolean().default(true),
  cleanup: z.boolean().default(true),
}).strict();

export type UploadParams = z.output<typeof uploadParams>;

/** `rucio upload` on every selected RSE: PUT, register, attach, rule, verify, download, clean up. */
export default defineScenario({
  name: 'upload',
  description: 'Upload synthetic files to each RSE with rucio upload semantics, verify them and clean up',
  params: uploadParams,
  async run(ctx, params) {
    const scope = params.scope ?? `user.${ctx.account}`;
    const tag = probeTag(ctx);
    const dataset = { scope, name: `${tag}.ds` };
    if (!(await createDataset(ctx, dataset, params.lifetime))) return;
    for (const rse of ctx.rses) {
      if (ctx.signal.aborted) return;
      const info = await rseInfo(ctx, rse);
      if (!info) continue;
      for (let i = 0; i < params.files; i++) {
        await probeFile(ctx, params, info, dataset, { scope, name: `${tag}.${rse}.${i}` });
      }
    }
  },
});

async function probeFile(ctx: RunContext, params: UploadParams, rse: RseInfo, dataset: Did, did: Did): Promise<void> {
  const file = await uploadFile(ctx, rse, did, params.size, params.schemes);
  if (!file) return;
  const registered = await registerFile(ctx, file, rse.deterministic, dataset);
  const rule = registered ? await addRule(ctx, did, rse.rse, params.lifetime, { rse: rse.rse }) : null;
  if (registered) await verifyReplica(ctx, did, rse.rse, file.sums, rule?.id, file.pfn.slice(0, file.pfn.indexOf(':')));
  if (params.download) await downloadAndCompare(ctx, rse.rse, file.pfn, file.sums);
  if (!params.cleanup) return;
  if (rule) await deleteRule(ctx, rse.rse, rule);
  await deleteFile(ctx, file);
}
