import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import { scaleCount, scaleSeconds, scaleSize } from '../src/engine/scale.js';
import { removeProbeData, uploadProbeData } from './probe-data.js';
import { registerBatch } from './upload-batch.js';
import { addDatasetRule, awaitRule, ruleSpecParam, type DatasetRule } from './rules.js';
import { consumeInput, type ConsumedFile } from './consumed-input.js';
import {
  createDataset, deleteRule, downloadAndCompare, releaseFiles, lifetimeParam, parallelParam, pollParam, type ProbeFile, probeTag, rseInfo, ruleTimeoutParam, scopeParam, sizeParam, uploadFile,
} from './steps.js';

export const reprocessParams = z.object({
  /** Input files written first (the raw data the processing reads). */
  input_files: z.number().int().min(1).max(1000).default(2),
  input_size: sizeParam.default(1024 * 1024),
  /** Processing runs: each downloads an input, computes, uploads one derived output. */
  runs: z.number().int().min(1).max(10_000).default(3),
  /** Simulated compute per run, in seconds. */
  compute_seconds: z.number().min(0).max(86_400).default(0),
  output_size: sizeParam.default(256 * 1024),
  /** The output dataset's rule (DAC21: output replicas and lifetimes, e.g. 2 copies, 48 h). */
  output_rule: ruleSpecParam.optional(),
  scope: scopeParam.optional(),
  lifetime: lifetimeParam,
  timeout_seconds: ruleTimeoutParam,
  poll_seconds: pollParam,
  parallel: parallelParam,
}).strict();
export type ReprocessParams = z.output<typeof reprocessParams>;

/**
 * Reprocessing / reconstruction: download an input from the lake, compute (simulated),
 * upload a derived output into an output dataset under its own rule, N runs in a loop.
 */
export default defineScenario({
  name: 'reprocess',
  description: 'Download → compute → upload a derived output into an output dataset, looped N times',
  params: reprocessParams,
  scale: (p, f) => ({
    ...p, input_files: scaleCount(p.input_files, f), input_size: scaleSize(p.input_size, f), runs: scaleCount(p.runs, f),
    compute_seconds: scaleSeconds(p.compute_seconds, f), output_size: scaleSize(p.output_size, f),
  }),
  checks: () => ['placement'],
  // With `consumes`, the input is the upstream's dataset or container (input_files and input_size are not used); a
  // consumed container gets the output dataset attached (LOFAR UC2 archives its image with the observations).
  consumes: ['dataset', 'container'],
  // What it moves to its output rule: one output per run.
  work: (p) => ({ files: p.runs, bytes: p.runs * p.output_size }),
  async run(ctx, params) {
    const source = ctx.rses[0] ? await rseInfo(ctx, ctx.rses[0]) : null;
    if (!source) return;
    const consumed = ctx.consumes ? await consumeInput(ctx, [source.rse]) : null;
    if (ctx.consumes && !consumed) return;
    const scope = params.scope ?? `user.${ctx.account}`;
    const tag = probeTag(ctx);
    const input = { scope, name: `${tag}.raw` };
    const output = { scope, name: `${tag}.derived` };
    if ((!consumed && !(await createDataset(ctx, input, params.lifetime))) || !(await createDataset(ctx, output, params.lifetime))) return;
    const data = consumed ? null
      : await uploadProbeData(ctx, source, input, { count: params.input_files, size: params.input_size, lifetime: params.lifetime, parallel: params.parallel });
    const inputs: readonly ConsumedFile[] = consumed?.files ?? data?.files ?? [];
    if (inputs.length === 0) return;
    const spec = params.output_rule ?? { expression: source.rse, copies: 1, lifetime: params.lifetime, grouping: 'DATASET' as const };
    // The outputs are kept where they are written until the output rule has its copies.
    const keep = spec.expression === source.rse ? null
      : await addDatasetRule(ctx, output, { expression: source.rse, copies: 1, lifetime: params.lifetime, grouping: 'ALL' }, { rse: source.rse });
    const outputRule: DatasetRule | null = await addDatasetRule(ctx, output, spec, { srcRse: source.rse });
    // Outputs are registered only under a rule that holds them where they are written.
    const holder = keep ?? (spec.expression === source.rse ? outputRule : null);
    const outputs: ProbeFile[] = [];
    for (let run = 0; holder && run < params.runs && !ctx.signal.aborted; run++) {
      // A consumer reads all of its input over its runs (PANDA: 500 input files over 84 runs); its own input, one file a run.
      const share = consumed && params.runs < inputs.length ? inputs.filter((_, i) => i % params.runs === run) : [inputs[run % inputs.length] as ConsumedFile];
      for (const raw of share) await downloadAndCompare(ctx, raw.rse, raw);
      if (params.compute_seconds > 0) await sleep(params.compute_seconds * 1000, undefined, { signal: ctx.signal }).catch(() => undefined);
      const derived = await uploadFile(ctx, source, { scope, name: `${output.name}.${run}` }, params.output_size, ['davs', 'https', 'root']);
      if (!derived) continue;
      outputs.push(derived);
      await registerBatch(ctx, source, output, [derived]);
    }
    if (outputRule && outputs.length) {
      await awaitRule(ctx, outputRule, { timeoutSeconds: params.timeout_seconds, pollSeconds: params.poll_seconds, srcRse: source.rse, files: outputs });
    }
    if (consumed?.output.kind === 'container' && outputs.length) {
      await ctx.op({ operation: 'register' }, () => ctx.rucio.attachDids(consumed.output.scope, consumed.output.name, [output]));
    }
    const rules = [outputRule, keep].filter((r): r is DatasetRule => r !== null);
    if (data) await removeProbeData(ctx, data, rules, params.parallel);
    else for (const rule of rules) await deleteRule(ctx, rule.spec.expression, rule);
    await releaseFiles(ctx, outputs);
  },
});
