import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import { scaleCount, scaleSize } from '../src/engine/scale.js';
import { ChecksumMismatchError } from '../src/lake/errors.js';
import { checksumStream } from '../src/lake/data/index.js';
import { NoProtocolError, type ReplicaRecord } from '../src/lake/rucio/index.js';
import { removeProbeData, uploadProbeData, type ProbeData } from './probe-data.js';
import { addDatasetRule, awaitRule, type DatasetRule } from './rules.js';
import {
  createDataset, type Did, driverFor, lifetimeParam, parallelParam, pollParam, probeTag, rseInfo, ruleTimeoutParam, scopeParam, sizeParam,
} from './steps.js';

const didParam = z.string().regex(/^[a-zA-Z_\-.0-9]+:[A-Za-z0-9_.\-/]+$/).max(300);

export const downloadVerifyParams = z.object({
  /** An existing DID (file, dataset or container) as scope:name; default: probe data this test writes. */
  did: didParam.optional(),
  files: z.number().int().min(1).max(1000).default(3),
  size: sizeParam.default(1024 * 1024),
  scope: scopeParam.optional(),
  /** Probe data is replicated to every selected RSE, so each RSE is read. */
  spread: z.boolean().default(true),
  /** Schemes to read with, where the RSE offers them. */
  schemes: z.array(z.enum(['davs', 'https', 'root'])).min(1).max(3).default(['davs', 'root']),
  /** Write the probe data with this scheme and read it with every other one (protocol translation, e.g. root ↔ https). */
  write_scheme: z.enum(['davs', 'https', 'root']).optional(),
  lifetime: lifetimeParam,
  timeout_seconds: ruleTimeoutParam,
  poll_seconds: pollParam,
  parallel: parallelParam,
}).strict();
export type DownloadVerifyParams = z.output<typeof downloadVerifyParams>;

/**
 * Analysis read: list the replicas of a DID (file, dataset or container), download each
 * from every RSE and protocol that has it and compare its adler32 and md5 with the catalogue.
 */
export default defineScenario({
  name: 'download-verify',
  description: 'List replicas by DID, dataset or container; download per RSE and protocol; compare checksums with the catalogue',
  params: downloadVerifyParams,
  scale: (p, f) => ({ ...p, files: scaleCount(p.files, f), size: scaleSize(p.size, f) }),
  checks: (p) => (p.spread ? ['discoverable', 'placement'] : ['discoverable']),
  work: (p) => ({ files: p.files, bytes: p.files * p.size }),
  async run(ctx, params) {
    let target: Did;
    let data: ProbeData | null = null;
    const rules: DatasetRule[] = [];
    if (params.did) {
      const at = params.did.indexOf(':');
      target = { scope: params.did.slice(0, at), name: params.did.slice(at + 1) };
    } else {
      const source = ctx.rses[0] ? await rseInfo(ctx, ctx.rses[0]) : null;
      if (!source) return;
      target = { scope: params.scope ?? `user.${ctx.account}`, name: `${probeTag(ctx)}.ds` };
      if (!(await createDataset(ctx, target, params.lifetime))) return;
      data = await uploadProbeData(ctx, source, target, {
        count: params.files, size: params.size, lifetime: params.lifetime, parallel: params.parallel,
        schemes: params.write_scheme ? [params.write_scheme] : undefined,
      });
      const upstream = data.files.length === 0 ? ctx.failure : undefined;
      if (upstream) {
        // Nothing landed: replicating and listing it cannot run, and that is the earlier failure, not new ones.
        for (const rse of params.spread ? ctx.rses.slice(1) : []) await ctx.skip({ operation: 'replicate', srcRse: source.rse, dstRse: rse }, upstream);
        await ctx.skip({ operation: 'list' }, upstream);
        await removeProbeData(ctx, data, rules, params.parallel);
        return;
      }
      if (params.spread) {
        for (const rse of ctx.rses.slice(1)) {
          const rule = await addDatasetRule(ctx, target, { expression: rse, copies: 1, lifetime: params.lifetime, grouping: 'DATASET' }, { srcRse: source.rse });
          if (!rule) continue;
          rules.push(rule);
          await awaitRule(ctx, rule, { timeoutSeconds: params.timeout_seconds, pollSeconds: params.poll_seconds, srcRse: source.rse, files: data.files });
        }
      }
    }
    const discoverable = { kind: 'discoverable' as const, target: `${target.scope}:${target.name}` };
    const listed = await ctx.op({ operation: 'list', check: discoverable }, () => ctx.rucio.listReplicas({ dids: [target], schemes: params.schemes }));
    if (listed.ok) {
      const skip = data && params.write_scheme ? params.write_scheme : null;
      let reads = 0;
      for (const replica of listed.value) reads += await readEverywhere(ctx, replica, skip);
      if (skip && reads === 0 && listed.value.length > 0) {
        const others = params.schemes.filter((s) => s !== skip);
        await ctx.op({ operation: 'download', rse: ctx.rses[0], protocol: others.join('|') }, () =>
          Promise.reject(new NoProtocolError(ctx.rses.join(','), 'read', others)));
      }
      if (listed.value.length === 0) await ctx.op({ operation: 'list', check: discoverable }, () => Promise.reject(new Error(`no replicas listed for ${target.scope}:${target.name}`)));
    }
    if (data) await removeProbeData(ctx, data, rules, params.parallel);
  },
});

/** Downloads every listed PFN of the replica (but those of `skipScheme`); returns how many were tried. */
async function readEverywhere(ctx: RunContext, replica: ReplicaRecord, skipScheme: string | null): Promise<number> {
  let tried = 0;
  for (const [pfn, info] of Object.entries(replica.pfns ?? {})) {
    const scheme = pfn.slice(0, pfn.indexOf(':'));
    if (scheme === skipScheme || ctx.signal.aborted) continue;
    tried++;
    const which = { did: `${replica.scope}:${replica.name}`, pfn };
    await ctx.op({ operation: 'download', rse: info.rse, protocol: scheme, bytes: replica.bytes ?? 0 }, async () => {
      const got = await checksumStream(await ctx.storage(driverFor(scheme)).get(pfn));
      if (replica.bytes !== null && got.bytes !== replica.bytes) {
        throw new Error(`size mismatch at ${info.rse} download of ${which.did} (${pfn}): read ${got.bytes} of ${replica.bytes} bytes`);
      }
      if (replica.adler32 && got.adler32 !== replica.adler32) throw new ChecksumMismatchError('adler32', replica.adler32, got.adler32, `${info.rse} download`, which);
      if (replica.md5 && got.md5 !== replica.md5) throw new ChecksumMismatchError('md5', replica.md5, got.md5, `${info.rse} download`, which);
    });
  }
  return tried;
}
