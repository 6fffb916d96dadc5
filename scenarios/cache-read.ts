import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import type { CheckFact } from '../src/engine/op-result.js';
import { scaleCount, scaleSize } from '../src/engine/scale.js';
import { buildPfn, lfn2pfnPath, selectProtocol, type RseInfo } from '../src/lake/rucio/index.js';
import { RootDriver } from '../src/lake/storage/root.js';
import { cacheOutcome, originOpens } from '../src/lake/xcache-stats.js';
import { removeProbeData, uploadProbeData } from './probe-data.js';
import { createDataset, downloadAndCompare, parallelParam, probeTag, type ProbeFile, rseInfo, scopeParam, sizeParam } from './steps.js';

const rseName = z.string().regex(/^([A-Z0-9]+([_-][A-Z0-9]+)*)$/, { error: 'must be an RSE name like SITE-DISK' });

export const cacheReadParams = z.object({
  /** The storage RSE the files are written to: the cache's origin. */
  rse: rseName,
  /** The cache RSE in front of it (XCache: root:// reads of the origin's namespace). */
  cache: rseName,
  files: z.number().int().min(1).max(1000).default(2),
  size: sizeParam.default(1024 * 1024),
  /** Reads of every file through the cache: the first is a miss, the others should be hits. */
  reads: z.number().int().min(1).max(20).default(2),
  scope: scopeParam.optional(),
  lifetime: z.number().int().positive().max(30 * 86_400).default(3600),
  parallel: parallelParam,
}).strict();
export type CacheReadParams = z.output<typeof cacheReadParams>;

/**
 * Content delivery through a cache (CMS_Cache): files written to the origin RSE are read through
 * the cache RSE, each read compared with what was written. Whether a read was a hit or a miss is
 * the cache's own account: the files it opened at its origin (XRootD's summary statistics, read
 * before and after each read), not a guess from timing. Reads go one at a time so that no other
 * read moves the count between the two.
 */
export default defineScenario({
  name: 'cache-read',
  description: 'Read files through a cache RSE (XCache) in front of their origin: compared reads, hits and misses as the cache counts them',
  params: cacheReadParams,
  scale: (p, f) => ({ ...p, files: scaleCount(p.files, f), size: scaleSize(p.size, f) }),
  checks: () => ['cache'],
  work: (p) => ({ files: p.files, bytes: p.files * p.size }),
  usesRses: () => false,
  async run(ctx, params) {
    const origin = await rseInfo(ctx, params.rse);
    const cache = await rseInfo(ctx, params.cache);
    if (!origin || !cache) return;
    const dataset = { scope: params.scope ?? `user.${ctx.account}`, name: `${probeTag(ctx)}.ds` };
    if (!(await createDataset(ctx, dataset, params.lifetime))) return;
    const data = await uploadProbeData(ctx, origin, dataset, { count: params.files, size: params.size, lifetime: params.lifetime, parallel: params.parallel });
    try {
      for (let round = 0; round < params.reads && !ctx.signal.aborted; round++) {
        for (const file of data.files) await readThroughCache(ctx, cache, file);
      }
    } finally {
      await removeProbeData(ctx, data, [], params.parallel);
    }
  },
});

/** The cache's origin opens (one recorded operation on the cache); null when it could not be read. */
async function opensAt(ctx: RunContext, cache: RseInfo, pfn: string, check?: { fact: CheckFact; before: number }): Promise<number | null> {
  const read = await ctx.op({ operation: 'access', rse: cache.rse, protocol: 'root', ...(check ? { check: check.fact } : {}) }, async () => {
    const driver = ctx.storage('root');
    if (!(driver instanceof RootDriver)) throw new Error('the root:// driver cannot read server statistics');
    const opens = originOpens(await driver.serverStats(pfn));
    if (opens === null) throw new Error(`${cache.rse} answers no proxy statistics (no <stats id="pss">): it is no XCache`);
    // The fact is recorded when this operation ends: its outcome is known only now.
    if (check) check.fact.cache = cacheOutcome(check.before, opens);
    return opens;
  });
  return read.ok ? read.value : null;
}

async function readThroughCache(ctx: RunContext, cache: RseInfo, file: ProbeFile): Promise<void> {
  // The cache serves its origin's namespace: the file's deterministic path under the cache's root:// protocol.
  const proto = selectProtocol(cache, 'read', ['root']);
  const pfn = buildPfn(proto, lfn2pfnPath(file.scope, file.name, cache.lfn2pfn_algorithm === 'identity' ? 'identity' : 'hash'));
  const before = await opensAt(ctx, cache, pfn);
  if (before === null) return;
  await downloadAndCompare(ctx, cache.rse, { ...file, pfn });
  await opensAt(ctx, cache, pfn, { fact: { kind: 'cache', target: `${file.scope}:${file.name}` }, before });
}
