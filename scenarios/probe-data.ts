// Probe files on a source RSE, registered and attached to a probe dataset, with the
// dataset protected at the source by its own rule — the common start of the
// replication-family scenarios.
import type { RunContext } from '../src/engine/run-context.js';
import type { RseInfo } from '../src/lake/rucio/index.js';
import { forEachLimit } from './parallel.js';
import { addDatasetRule, type DatasetRule } from './rules.js';
import { deleteRule, releaseFiles, uploadFile, type Did, type ProbeFile } from './steps.js';
import { registerBatch } from './upload-batch.js';

export interface ProbeData {
  dataset: Did;
  source: RseInfo;
  sourceRule: DatasetRule | null;
  files: ProbeFile[];
}

export interface ProbeDataOptions {
  count: number;
  size: number;
  lifetime: number;
  parallel: number;
  schemes?: readonly string[];
  /** Name stem of the files (default: the dataset's name). */
  stem?: string;
  /** Called after the source rule exists and before any file lands (e.g. subscription rules). */
  beforeUpload?: () => Promise<void>;
}

/** Uploads `count` files to `source`, registers each and attaches it to `dataset`. */
export async function uploadProbeData(ctx: RunContext, source: RseInfo, dataset: Did, opts: ProbeDataOptions): Promise<ProbeData> {
  const sourceRule = await addDatasetRule(ctx, dataset, { expression: source.rse, copies: 1, lifetime: opts.lifetime, grouping: 'ALL' }, { rse: source.rse });
  const data: ProbeData = { dataset, source, sourceRule, files: [] };
  if (!sourceRule) return data;
  await opts.beforeUpload?.();
  const stem = opts.stem ?? dataset.name;
  await forEachLimit(Array.from({ length: opts.count }, (_, i) => i), opts.parallel, async (i) => {
    const did = { scope: dataset.scope, name: `${stem}.${i}` };
    const file = await uploadFile(ctx, source, did, opts.size, opts.schemes ?? ['davs', 'https', 'root']);
    if (!file) return;
    data.files.push(file);
    // The source rule exists already: the attach-with-RSE call registers the file under it.
    await registerBatch(ctx, source, dataset, [file]);
  }, ctx.signal);
  return data;
}

/** Removes the rules and storage files of probe data (the dataset goes with its lifetime). */
export async function removeProbeData(ctx: RunContext, data: ProbeData, rules: readonly DatasetRule[], parallel: number): Promise<void> {
  for (const rule of rules) await deleteRule(ctx, rule.spec.expression, rule);
  if (data.sourceRule) await deleteRule(ctx, data.source.rse, data.sourceRule);
  await releaseFiles(ctx, data.files, parallel);
}
