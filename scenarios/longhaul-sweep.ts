import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import { scaleSize } from '../src/engine/scale.js';
import { removeProbeData, uploadProbeData } from './probe-data.js';
import { addDatasetRule, awaitRule } from './rules.js';
import { createDataset, positiveSizeParam, probeTag, rseInfo, scopeParam } from './steps.js';

const MAX_FILES = 10_000;

export const longhaulSweepParams = z.object({
  /** Source → destination links; default: the first selected RSE to each of the others. */
  links: z.array(z.object({ from: z.string().max(100), to: z.string().max(100) }).strict()).min(1).max(50).optional(),
  /** The size classes cycled across successive runs (DAC21 SKAO: 50 MB, 500 MB, 5 GB). */
  sizes: z.array(positiveSizeParam).min(1).max(10).default([50e6, 500e6, 5e9]),
  /** Position in the cycle (set by the scheduler, e.g. a run counter); default: the hour of the day. */
  size_index: z.number().int().min(0).max(1e9).optional(),
  /** An explicit size overrides the cycle. */
  size: positiveSizeParam.optional(),
  /** Volume per run and link: the file count is volume / size, so every size class moves the same volume. */
  volume: positiveSizeParam.default(50e9),
  scope: scopeParam.optional(),
  parallel: z.number().int().min(1).max(64).default(8),
  lifetime: z.number().int().positive().max(30 * 86_400).default(3 * 3600),
  timeout_seconds: z.number().positive().max(86_400).default(3 * 3600),
  poll_seconds: z.number().positive().max(60).default(2),
  cleanup: z.boolean().default(true),
}).strict();
export type LonghaulSweepParams = z.output<typeof longhaulSweepParams>;

/** At most one sweep per link at a time in this process: sweeps would measure each other. */
const busyLinks = new Map<string, Promise<void>>();

export function sweepSize(p: Pick<LonghaulSweepParams, 'size' | 'sizes' | 'size_index'>, now = Date.now()): number {
  if (p.size !== undefined) return p.size;
  const index = p.size_index ?? Math.floor(now / 3_600_000);
  return p.sizes[index % p.sizes.length] as number;
}

export const sweepFiles = (volume: number, size: number): number => Math.min(MAX_FILES, Math.max(1, Math.ceil(volume / Math.max(1, size))));

/**
 * Long-haul file-size sweep: per link, one size class per run (cycled), as many files as
 * make the run's volume, replicated by one rule. Each transfer is recorded with its
 * bytes, size class, link and duration, so the records answer which size performs best.
 */
export default defineScenario({
  name: 'longhaul-sweep',
  description: 'Cycle file sizes over long-haul links at constant volume per run; throughput per link and size class',
  params: longhaulSweepParams,
  // volume = files × size: both shrink, so the volume shrinks by the square.
  scale: (p, f) => ({
    ...p, sizes: p.sizes.map((s) => scaleSize(s, f)), size: p.size === undefined ? undefined : scaleSize(p.size, f),
    volume: Math.max(1024, Math.round(p.volume * f * f)),
  }),
  checks: () => ['placement'],
  work: (p) => ({ files: sweepFiles(p.volume, sweepSize(p, 0)), bytes: p.volume }),
  usesRses: (params) => params.links === undefined,
  async run(ctx, params) {
    const links = params.links ?? ctx.rses.slice(1).map((to) => ({ from: ctx.rses[0] as string, to }));
    if (links.length === 0) return ctx.log(`${ctx.test}: longhaul-sweep needs a link (two RSEs)`);
    const size = sweepSize(params);
    const files = sweepFiles(params.volume, size);
    ctx.log(`${ctx.test}: sweeping ${files} × ${size} B per link`);
    for (const link of links) {
      if (ctx.signal.aborted) return;
      const key = `${link.from}→${link.to}`;
      while (busyLinks.has(key)) await busyLinks.get(key);
      const sweep = sweepLink(ctx, params, link, size, files);
      busyLinks.set(key, sweep);
      try {
        await sweep;
      } finally {
        busyLinks.delete(key);
      }
    }
  },
});

async function sweepLink(ctx: RunContext, params: LonghaulSweepParams, link: { from: string; to: string }, size: number, files: number): Promise<void> {
  const source = await rseInfo(ctx, link.from);
  if (!source) return;
  const dataset = { scope: params.scope ?? `user.${ctx.account}`, name: `${probeTag(ctx)}.${link.from}.${link.to}.${size}` };
  if (!(await createDataset(ctx, dataset, params.lifetime))) return;
  const data = await uploadProbeData(ctx, source, dataset, { count: files, size, lifetime: params.lifetime, parallel: params.parallel });
  const rule = data.files.length
    ? await addDatasetRule(ctx, dataset, { expression: link.to, copies: 1, lifetime: params.lifetime, grouping: 'DATASET' }, { srcRse: link.from })
    : null;
  if (rule) await awaitRule(ctx, rule, { timeoutSeconds: params.timeout_seconds, pollSeconds: params.poll_seconds, srcRse: link.from, files: data.files });
  if (params.cleanup) await removeProbeData(ctx, data, rule ? [rule] : [], params.parallel);
}
