import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import { scaleCount, scaleSeconds, scaleSize } from '../src/engine/scale.js';
import { checksumStream } from '../src/lake/data/index.js';
import { addDatasetRule, type DatasetRule } from './rules.js';
import { createDataset, deleteRule, releaseFiles, driverFor, probeTag, rseInfo, scopeParam, sizeParam, uploadFile, type ProbeFile } from './steps.js';
import { registerBatch, registerBatchOp } from './upload-batch.js';
import { forEachLimit } from './parallel.js';
import { percentile } from '../src/report/figures.js';
import { formatDuration } from '../src/report/format.js';

export const burstParams = z.object({
  rse: z.string().max(100).optional(),
  /** Parallel writers (upload + register), readers (download) and catalogue clients (replica listing). */
  writers: z.number().int().min(0).max(1000).default(8),
  readers: z.number().int().min(0).max(1000).default(4),
  catalogue_clients: z.number().int().min(0).max(1000).default(4),
  /** Operations per worker, at most. */
  ops_per_worker: z.number().int().min(1).max(10_000).default(5),
  /** The burst stops taking new operations after this many seconds. */
  duration_seconds: z.number().positive().max(86_400).default(60),
  /** At most this many operations start per second, over all workers (0: no limit). */
  rate_per_second: z.number().min(0).max(100_000).default(0),
  size: sizeParam.default(10 * 1024 * 1024),
  scope: scopeParam.optional(),
  lifetime: z.number().int().positive().max(86_400).default(3600),
}).strict();
export type BurstParams = z.output<typeof burstParams>;

/** Spaces operation starts so no more than `rate` begin per second. */
function limiter(rate: number): () => Promise<void> {
  let next = 0;
  return async () => {
    if (rate <= 0) return;
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + 1000 / rate;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  };
}


/**
 * A burst against one RSE (DAC21 PANDA: 125 writers at once; LSST: many ~10 MiB files):
 * N writers, readers and catalogue clients in parallel under a rate limit, bounded in
 * count and time. Each operation is a result; the per-second rate and latency
 * percentiles per kind are logged at the end.
 */
export default defineScenario({
  name: 'burst',
  description: 'Parallel writers, readers and catalogue clients against one RSE with a rate limit; rates and latency percentiles',
  params: burstParams,
  scale: (p, f) => ({
    ...p, writers: Math.min(p.writers, scaleCount(p.writers, f * 100)), readers: Math.min(p.readers, scaleCount(p.readers, f * 100)),
    catalogue_clients: Math.min(p.catalogue_clients, scaleCount(p.catalogue_clients, f * 100)),
    ops_per_worker: scaleCount(p.ops_per_worker, f), size: scaleSize(p.size, f), duration_seconds: scaleSeconds(p.duration_seconds, f, 10),
  }),
  work: (p) => ({ files: p.writers * p.ops_per_worker, bytes: p.writers * p.ops_per_worker * p.size }),
  usesRses: (params) => params.rse === undefined,
  async run(ctx, params) {
    const name = params.rse ?? ctx.rses[0];
    const rse = name ? await rseInfo(ctx, name) : null;
    if (!rse) return;
    const dataset = { scope: params.scope ?? `user.${ctx.account}`, name: `${probeTag(ctx)}.burst` };
    if (!(await createDataset(ctx, dataset, params.lifetime))) return;
    const keep: DatasetRule | null = await addDatasetRule(ctx, dataset, { expression: rse.rse, copies: 1, lifetime: params.lifetime, grouping: 'ALL' }, { rse: rse.rse });
    if (!keep) return;
    const files: ProbeFile[] = [];
    const seed = await uploadFile(ctx, rse, { scope: dataset.scope, name: `${dataset.name}.seed` }, params.size, ['davs', 'https', 'root']);
    if (seed) {
      files.push(seed);
      await registerBatch(ctx, rse, dataset, [seed]);
    }
    const workers = params.writers + params.readers + params.catalogue_clients;
    if (ctx.concurrency < workers) {
      ctx.log(`${ctx.test}: ${workers} burst workers, but the test's concurrency lets only ${ctx.concurrency} operations be in flight: `
        + `set \`concurrency: ${workers}\` on the test (and the plan's limits.concurrency) for a real burst`);
    }
    const deadline = Date.now() + params.duration_seconds * 1000;
    const take = limiter(params.rate_per_second);
    const outcomes: BurstOutcome[] = [];
    // Latency is each kind's whole operation as a client sees it: a write is its upload and its registration.
    const worker = (kind: BurstOutcome['kind'], op: (i: number) => Promise<{ ok: boolean } | null>) => async (w: number): Promise<void> => {
      for (let i = 0; i < params.ops_per_worker && Date.now() < deadline && !ctx.signal.aborted; i++) {
        await take();
        const started = Date.now();
        const outcome = await op(w * params.ops_per_worker + i);
        if (outcome) outcomes.push({ kind, started, ms: Date.now() - started, ok: outcome.ok });
      }
    };
    const write = worker('write', async (i) => {
      const file = await uploadFile(ctx, rse, { scope: dataset.scope, name: `${dataset.name}.w${i}` }, params.size, ['davs', 'https', 'root']);
      if (!file) return { ok: false };
      files.push(file);
      // Registered and attached in one call under the dataset rule made above: never left without a rule.
      return registerBatchOp(ctx, rse, dataset, [file]);
    });
    const read = worker('read', () => seed
      ? ctx.op({ operation: 'download', rse: rse.rse, protocol: seed.pfn.slice(0, seed.pfn.indexOf(':')), bytes: seed.sums.bytes }, async () => {
        await checksumStream(await ctx.storage(driverFor(seed.pfn.slice(0, seed.pfn.indexOf(':')))).get(seed.pfn));
      })
      : Promise.resolve(null));
    const list = worker('catalogue', () => ctx.op({ operation: 'list', rse: rse.rse }, () => ctx.rucio.listReplicas({ dids: [dataset] })));
    const pools = [[params.writers, write], [params.readers, read], [params.catalogue_clients, list]] as const;
    await Promise.all(pools.map(([n, work]) => forEachLimit(Array.from({ length: n }, (_, i) => i), n, work)));
    summarise(ctx, outcomes);
    await deleteRule(ctx, rse.rse, keep);
    await releaseFiles(ctx, files, 8);
  },
});

/** One burst operation: a write (upload + registration), a read (download) or a catalogue listing, timed whole. */
export interface BurstOutcome { kind: 'write' | 'read' | 'catalogue'; started: number; ms: number; ok: boolean }

/** Per kind: count, failures, starts per second and latency percentiles of the whole operation. */
export function summarise(ctx: Pick<RunContext, 'log' | 'test'>, outcomes: BurstOutcome[]): void {
  for (const kind of ['write', 'read', 'catalogue']) {
    const mine = outcomes.filter((o) => o.kind === kind);
    if (mine.length === 0) continue;
    const seconds = new Map<number, number>();
    for (const o of mine) seconds.set(Math.floor(o.started / 1000), (seconds.get(Math.floor(o.started / 1000)) ?? 0) + 1);
    const ms = mine.map((o) => o.ms);
    const failed = mine.filter((o) => !o.ok).length;
    const what = kind === 'write' ? 'writes (upload + register)' : kind === 'read' ? 'reads (download)' : 'catalogue listings';
    ctx.log(`${ctx.test} burst ${what}: ${mine.length} ops (${failed} failed), per second max ${Math.max(...seconds.values())} mean ${(mine.length / seconds.size).toFixed(1)}, `
      + `latency p50 ${formatDuration(percentile(ms, 50))} p95 ${formatDuration(percentile(ms, 95))} p99 ${formatDuration(percentile(ms, 99))}`);
  }
}
