import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import { parseSize } from '../src/engine/sizes.js';
import { ChecksumMismatchError } from '../src/lake/errors.js';
import { ChecksumTap, checksumStream, syntheticStream } from '../src/lake/data/index.js';
import { buildPfn, lfn2pfnPath, selectProtocol, type RseInfo } from '../src/lake/rucio/index.js';
import type { StorageProtocol } from '../src/lake/storage/driver.js';

const size = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  try {
    return parseSize(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

export const uploadParams = z.object({
  /** Files per RSE. */
  files: z.number().int().min(1).max(1000).default(1),
  size: size.default(1024 * 1024),
  /** Scope of probe DIDs; default user.<account> as `rucio upload` does. */
  scope: z.string().regex(/^[a-zA-Z_\-.0-9]+$/).max(25).optional(),
  /** Lifetime in seconds of the probe rule and dataset, so the lake removes leftovers by itself. */
  lifetime: z.number().int().positive().default(3600),
  schemes: z.array(z.enum(['davs', 'https'])).min(1).default(['davs', 'https']),
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
    const tag = `lakeprobe.${ctx.runId}.${ctx.test}.${ctx.authMethod}`;
    const dataset = { scope, name: `${tag}.ds` };
    const created = await ctx.op({ operation: 'register' }, async () => {
      const id = ctx.ledger.intend({ runId: ctx.runId, kind: 'did', rse: '', target: `${scope}:${dataset.name}`, authMethod: ctx.authMethod });
      await ctx.rucio.addDid(scope, dataset.name, { type: 'DATASET', lifetime: params.lifetime });
      ctx.ledger.done(id); // the dataset's lifetime removes it
    });
    if (!created.ok) return;
    for (const rse of ctx.rses) {
      if (ctx.signal.aborted) return;
      const info = await ctx.op({ operation: 'list', rse }, () => ctx.rucio.getRse(rse));
      if (!info.ok) continue;
      for (let i = 0; i < params.files; i++) {
        await probeFile(ctx, params, info.value, dataset, { scope, name: `${tag}.${rse}.${i}` });
      }
    }
  },
});

interface Did { scope: string; name: string }

async function probeFile(ctx: RunContext, params: UploadParams, rse: RseInfo, dataset: Did, file: Did): Promise<void> {
  const protocol = (p: string): StorageProtocol => (p === 'root' ? 'root' : 'davs');
  const common = { rse: rse.rse, bytes: params.size };
  const uploaded = await ctx.op({ operation: 'upload', ...common, protocol: 'davs' }, async () => {
    const proto = selectProtocol(rse, 'write', params.schemes);
    const path = rse.deterministic
      ? lfn2pfnPath(file.scope, file.name, rse.lfn2pfn_algorithm === 'identity' ? 'identity' : 'hash')
      : `${file.scope}/lakeprobe/${ctx.runId}/${file.name}`;
    const pfn = buildPfn(proto, path);
    const ledgerId = ctx.ledger.intend({ runId: ctx.runId, kind: 'storage_file', rse: rse.rse, target: pfn, authMethod: ctx.authMethod });
    const tap = new ChecksumTap();
    await ctx.storage(protocol(proto.scheme)).put(pfn, syntheticStream({ seed: `${ctx.runId}/${file.name}`, size: params.size }).pipe(tap), params.size);
    ctx.ledger.created(ledgerId);
    return { pfn, ledgerId, sums: tap.digest() };
  });
  if (!uploaded.ok) return;
  const { pfn, sums } = uploaded.value;
  const storage = ctx.storage('davs');

  const registered = await ctx.op({ operation: 'register', rse: rse.rse }, async () => {
    await ctx.rucio.addReplicas(rse.rse, [{
      scope: file.scope, name: file.name, bytes: sums.bytes, adler32: sums.adler32, md5: sums.md5, state: 'A',
      ...(rse.deterministic ? {} : { pfn }),
    }]);
    await ctx.rucio.attachDids(dataset.scope, dataset.name, [file]);
  });

  let ruleId = '';
  let ruleLedgerId = 0;
  if (registered.ok) {
    const rule = await ctx.op({ operation: 'rule', rse: rse.rse }, async (rec) => {
      const ledgerId = ctx.ledger.intend({ runId: ctx.runId, kind: 'rule', rse: rse.rse, target: '', authMethod: ctx.authMethod });
      const [id] = await ctx.rucio.addRule({ dids: [file], copies: 1, rseExpression: rse.rse, lifetime: params.lifetime });
      if (!id) throw new Error('rule creation returned no rule id');
      ctx.ledger.created(ledgerId, id);
      rec.ruleId(id);
      return { id, ledgerId };
    });
    if (rule.ok) ({ id: ruleId, ledgerId: ruleLedgerId } = rule.value);

    await ctx.op({ operation: 'verify', ...common, protocol: 'davs' }, async (rec) => {
      if (ruleId) rec.ruleId(ruleId);
      const [replica] = await ctx.rucio.listReplicas({ dids: [file], allStates: true });
      const state = replica?.states?.[rse.rse];
      if (state !== 'AVAILABLE') throw new Error(`replica of ${file.scope}:${file.name} on ${rse.rse} is ${state ?? 'not listed'}, expected AVAILABLE`);
      const remote = await storage.checksum(pfn, 'adler32');
      if (remote !== sums.adler32) throw new ChecksumMismatchError('adler32', sums.adler32, remote, `${rse.rse} storage`);
      if (ruleId) {
        const r = await ctx.rucio.getRule(ruleId);
        if (r.state !== 'OK') throw new Error(`rule ${ruleId} is ${r.state}${r.error ? `: ${r.error}` : ''}, expected OK`);
      }
    });
  }

  if (params.download) {
    await ctx.op({ operation: 'download', ...common, protocol: 'davs' }, async () => {
      const got = await checksumStream(await storage.get(pfn));
      if (got.adler32 !== sums.adler32) throw new ChecksumMismatchError('adler32', sums.adler32, got.adler32, `${rse.rse} download`);
    });
  }

  if (!params.cleanup) return;
  if (ruleId) {
    // purge_replicas: the lake's reaper removes the catalogue replica once the rule is gone.
    await ctx.op({ operation: 'delete', rse: rse.rse }, async (rec) => {
      rec.ruleId(ruleId);
      await ctx.rucio.deleteRule(ruleId, true);
      ctx.ledger.done(ruleLedgerId);
    });
  }
  await ctx.op({ operation: 'delete', rse: rse.rse, protocol: 'davs', bytes: 0 }, async () => {
    await storage.delete(pfn);
    ctx.ledger.done(uploaded.value.ledgerId);
  });
}

