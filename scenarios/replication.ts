import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import { uploadProbeData, removeProbeData, type ProbeData } from './probe-data.js';
import { addDatasetRule, awaitGone, awaitRule, expireRule, ruleSpecParam, type DatasetRule, type RuleSpec } from './rules.js';
import {
  createDataset, metadataParam, parallelParam, pollParam, probeTag, rseInfo, ruleTimeoutParam, scopeParam, sizeParam, tagAndSearch, verifyReplica,
} from './steps.js';
import { scaleCount, scaleSize } from '../src/engine/scale.js';
import { consumeInput, readConsumed } from './consumed-input.js';
import { outputPublisher } from './published-output.js';

export const replicationParams = z.object({
  /** Where the files are written; default: the first selected RSE. */
  source: z.string().max(100).optional(),
  files: z.number().int().min(1).max(1_000_000).default(10),
  size: sizeParam.default(1024 * 1024),
  scope: scopeParam.optional(),
  /** The replication rules on the dataset (DAC21: copies to QOS=SAFE, QOS=FAST, an expression…). */
  rules: z.array(ruleSpecParam).min(1).max(10).default([{ expression: 'QOS=SAFE', copies: 1, lifetime: 3600, grouping: 'DATASET' }]),
  /** Rules before data (a subscription): files are replicated as they land. */
  rules_first: z.boolean().default(false),
  /** QoS transitions, in order: a new rule, wait for OK, cut the old rule, the replica leaves the old RSEs. */
  transitions: z.array(z.object({ to: ruleSpecParam }).strict()).max(5).default([]),
  parallel: parallelParam,
  lifetime: z.number().int().positive().max(90 * 86_400).default(3600),
  timeout_seconds: ruleTimeoutParam,
  poll_seconds: pollParam,
  /** Metadata set on the dataset once its files landed, read back, and found by the client's metadata search (R3B). */
  metadata: metadataParam.optional(),
  verify: z.boolean().default(true),
  cleanup: z.boolean().default(true),
}).strict();
export type ReplicationParams = z.output<typeof replicationParams>;

/**
 * Replication by rules on a dataset of many files in flight: each rule is timed per
 * link (creation → every lock OK) and per transfer (Rucio's requests), a STUCK or
 * long-REPLICATING rule fails with Rucio's error, QoS transitions move the data on.
 */
export default defineScenario({
  name: 'replication',
  description: 'Replicate a dataset with rules to RSE expressions or QoS classes; time per link and per transfer; QoS transitions',
  params: replicationParams,
  scale: (p, f) => ({ ...p, files: scaleCount(p.files, f), size: scaleSize(p.size, f) }),
  checks: (p) => (p.metadata ? ['placement', 'metadata', 'discoverable'] : ['placement']),
  work: (p) => ({ files: p.files, bytes: p.files * p.size }),
  usesRses: (params) => params.source === undefined,
  // Its dataset (and the last of its rules) is complete once every file is written and every rule OK.
  publishes: () => ['dataset', 'rule'],
  // With `consumes`, the upstream's files are read first (ATLAS analysis reads multiplication's output).
  consumes: ['dataset', 'container'],
  // Every rule moves the whole dataset over a link; the source copy must outlive the wait.
  transferNeeds: (params) => [
    { bytes: params.files * params.size, param: 'timeout_seconds', seconds: params.timeout_seconds },
    { bytes: params.files * params.size, param: 'lifetime', seconds: params.lifetime },
  ],
  async run(ctx, params) {
    const sourceName = params.source ?? ctx.rses[0];
    if (!sourceName) return ctx.log(`${ctx.test}: replication needs a source RSE`);
    const source = await rseInfo(ctx, sourceName);
    if (!source) return;
    if (ctx.consumes) {
      const input = await consumeInput(ctx, [source.rse]);
      if (!input) return;
      await readConsumed(ctx, input);
    }
    const dataset = { scope: params.scope ?? `user.${ctx.account}`, name: `${probeTag(ctx)}.ds` };
    const published = outputPublisher(ctx, dataset, ['dataset', 'rule'], source.rse);
    if (!(await createDataset(ctx, dataset, params.lifetime))) return;
    published.update('uploading', `${params.files} file(s) to ${source.rse}`, false);
    const rules: DatasetRule[] = [];
    const addRules = async (): Promise<void> => {
      for (const spec of params.rules) {
        const rule = await addDatasetRule(ctx, dataset, spec, { srcRse: source.rse });
        if (rule) rules.push(rule);
      }
    };
    const data = await uploadProbeData(ctx, source, dataset, {
      count: params.files, size: params.size, lifetime: params.lifetime, parallel: params.parallel,
      beforeUpload: params.rules_first ? addRules : undefined,
    });
    if (!params.rules_first && data.files.length > 0) await addRules();
    if (params.metadata && data.files.length > 0) await tagAndSearch(ctx, [dataset], params.metadata, probeTag(ctx));
    if (data.files.length < params.files) published.update('upload failed', `${data.files.length} of ${params.files} file(s) written to ${source.rse}`, false);
    else if (rules.length < params.rules.length) published.update('rule refused', `${rules.length} of ${params.rules.length} rule(s) made`, false);
    const wait = {
      timeoutSeconds: params.timeout_seconds, pollSeconds: params.poll_seconds, srcRse: source.rse, files: data.files, onPoll: published.onPoll,
    };
    // Rules made before the data (rules_first) wait for files that never landed: a follow-on of that failure.
    const upstream = data.files.length === 0 ? ctx.failure : undefined;
    const reached = upstream
      ? await Promise.all(rules.map(async (r) => { await ctx.skip({ operation: 'replicate', srcRse: source.rse, dstRse: r.spec.expression }, upstream); return []; }))
      : await Promise.all(rules.map((r) => awaitRule(ctx, r, wait)));
    if (data.files.length === params.files && rules.length === params.rules.length && reached.every((r) => r.length > 0)) {
      published.update('OK', `${data.files.length} file(s), ${rules.length} rule(s) OK`, true, rules.at(-1)?.id);
    }
    if (params.verify) {
      for (const [i, rses] of reached.entries()) {
        for (const rse of rses.filter((r) => r !== source.rse)) {
          for (const f of data.files) await verifyReplica(ctx, f, rse, f.sums, rules[i]?.id);
        }
      }
    }
    let current = rules.at(-1);
    let currentRses = reached.at(-1) ?? [];
    for (const t of params.transitions) {
      if (!current || ctx.signal.aborted) break;
      const moved = await transition(ctx, params, data, current, currentRses, t.to);
      if (!moved) break;
      rules.splice(rules.indexOf(current), 1, moved.rule);
      current = moved.rule;
      currentRses = moved.rses;
    }
    if (!params.cleanup) return;
    // Consumers in this run read it first; one outside the run (a daemon's later fire) finds it under its lifetimes.
    const { keep } = await ctx.releaseOutputs();
    if (keep) ctx.log(`${ctx.test}: ${dataset.scope}:${dataset.name} kept for the tests that consume it (its rules' lifetimes remove it; \`lakeprobe cleanup\` sooner)`);
    else await removeProbeData(ctx, data, rules, params.parallel);
  },
});

/** A QoS transition: new rule, wait for OK, cut the old rule, verify the replicas left the old RSEs. */
async function transition(
  ctx: RunContext, params: ReplicationParams, data: ProbeData, old: DatasetRule, oldRses: string[], to: RuleSpec,
): Promise<{ rule: DatasetRule; rses: string[] } | null> {
  const rule = await addDatasetRule(ctx, data.dataset, to, { srcRse: oldRses[0] ?? data.source.rse });
  if (!rule) return null;
  const rses = await awaitRule(ctx, rule, { timeoutSeconds: params.timeout_seconds, pollSeconds: params.poll_seconds, srcRse: oldRses[0] ?? '', files: data.files });
  if (rses.length === 0) return { rule, rses };
  if (!(await expireRule(ctx, old, old.spec.expression))) return { rule, rses };
  for (const rse of oldRses.filter((r) => !rses.includes(r) && r !== data.source.rse)) {
    await awaitGone(ctx, data.files, rse, params.timeout_seconds, params.poll_seconds);
  }
  return { rule, rses };
}
