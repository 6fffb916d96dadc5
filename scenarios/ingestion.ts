import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import { scaleCount, scaleSize } from '../src/engine/scale.js';
import { ChecksumMismatchError } from '../src/lake/errors.js';
import { checksumStream, syntheticStream, type Checksums } from '../src/lake/data/index.js';
import { buildPfn, lfn2pfnPath, selectProtocol, type RseInfo } from '../src/lake/rucio/index.js';
import { forEachLimit } from './parallel.js';
import { outputPublisher } from './published-output.js';
import { addDatasetRule, awaitRule, ruleSpecParam, type DatasetRule } from './rules.js';
import {
  createDataset, deleteRule, metadataParam, tagAndSearch, releaseFiles, type Did, driverFor, lifetimeParam, parallelParam, pollParam, type ProbeFile, probeTag, rseInfo, ruleTimeoutParam, scopeParam, sizeParam,
} from './steps.js';

export const ingestionParams = z.object({
  /** A non-deterministic RSE where the files already are (the DAQ's storage); default: the first selected RSE. */
  rse: z.string().max(100).optional(),
  files: z.number().int().min(1).max(10_000).default(4),
  size: sizeParam.default(1024 * 1024),
  /** The files are spread over this many datasets, all in one container (a hierarchy downloadable by container name). */
  datasets: z.number().int().min(1).max(100).default(2),
  /** Replication of the container after registration, e.g. to QOS=SAFE. */
  rule: ruleSpecParam.optional(),
  download_by_container: z.boolean().default(true),
  /**
   * Metadata set on every dataset (then read back), and the client's search by it must find them all,
   * e.g. { datatype: RAW, run_number: 42 }. Keys: the DID columns (datatype, project, run_number, …) or
   * only custom ones (Rucio's search reads one metadata plugin at a time).
   */
  metadata: metadataParam.optional(),
  scope: scopeParam.optional(),
  lifetime: lifetimeParam,
  timeout_seconds: ruleTimeoutParam,
  poll_seconds: pollParam,
  parallel: parallelParam,
}).strict();
export type IngestionParams = z.output<typeof ingestionParams>;

/**
 * Zero-copy ingestion: files already on a (non-deterministic) RSE are registered where
 * they are, with checksums computed once on the file as it is (one read, adler32 and
 * md5 together); datasets in a container; a rule on the container; then the whole
 * container is downloaded by its name. A rule at the RSE itself exists before any file is
 * placed or registered (the plan's rule when it is that one), so none is ever registered
 * without a rule; when it is refused, nothing is placed.
 */
export default defineScenario({
  name: 'ingestion',
  description: 'Zero-copy registration of files already on an RSE, datasets in a container, a rule, download by container name',
  params: ingestionParams,
  scale: (p, f) => ({ ...p, files: scaleCount(p.files, f), size: scaleSize(p.size, f), datasets: Math.min(p.datasets, scaleCount(p.files, f)) }),
  checks: (p) => [...(p.download_by_container || p.metadata ? ['discoverable' as const] : []), ...(p.metadata ? ['metadata' as const] : []), 'placement'],
  work: (p) => ({ files: p.files, bytes: p.files * p.size }),
  usesRses: (params) => params.rse === undefined,
  // The container (LOFAR UC2's observations) is complete once every file is registered and its rule OK.
  publishes: () => ['container'],
  async run(ctx, params) {
    const name = params.rse ?? ctx.rses[0];
    const rse = name ? await rseInfo(ctx, name) : null;
    if (!rse) return;
    const scope = params.scope ?? `user.${ctx.account}`;
    const tag = probeTag(ctx);
    const container = { scope, name: `${tag}.container` };
    const created = await ctx.op({ operation: 'register' }, async () => {
      const id = ctx.ledger.intend({ runId: ctx.runId, kind: 'did', rse: '', target: `${scope}:${container.name}`, authMethod: ctx.authMethod });
      await ctx.rucio.addDid(scope, container.name, { type: 'CONTAINER', lifetime: params.lifetime });
      ctx.ledger.done(id); // its lifetime removes it
    });
    if (!created.ok) return;
    const datasets: Did[] = [];
    for (let d = 0; d < params.datasets; d++) {
      const ds = { scope, name: `${tag}.ds${d}` };
      if (await createDataset(ctx, ds, params.lifetime)) datasets.push(ds);
    }
    const attached = await ctx.op({ operation: 'register' }, () => ctx.rucio.attachDids(scope, container.name, datasets));
    if (!attached.ok || datasets.length === 0) return;
    // A rule at the RSE itself holds the files where they are from their registration on: the
    // plan's rule when it is that one (Rucio refuses a second rule with the same expression), else our own.
    const inPlace = params.rule?.expression === rse.rse;
    const keep = inPlace && params.rule
      ? await addDatasetRule(ctx, container, params.rule, { srcRse: rse.rse })
      : await addDatasetRule(ctx, container, { expression: rse.rse, copies: 1, lifetime: params.lifetime, grouping: 'NONE' }, { rse: rse.rse });
    if (!keep) return; // nothing could hold a registered file: none is placed
    const published = outputPublisher(ctx, container, ['container'], rse.rse);
    published.update('registering', `${params.files} file(s) on ${rse.rse}`, false, keep.id);
    const files: ProbeFile[] = [];
    await forEachLimit(Array.from({ length: params.files }, (_, i) => i), params.parallel, async (i) => {
      const file = await placeFile(ctx, rse, { scope, name: `${tag}.raw.${i}` }, params.size);
      if (!file) return;
      files.push(file);
      await registerInPlace(ctx, rse, file, datasets[i % datasets.length] as Did);
    }, ctx.signal);
    if (params.metadata && files.length) await tagAndSearch(ctx, datasets, params.metadata, tag);
    const rules: DatasetRule[] = [keep];
    if (params.rule && files.length) {
      // The plan's rule at the RSE was made first: its time to OK counts from the end of registration, as if made then.
      const rule = inPlace ? { ...keep, createdAt: Date.now() } : await addDatasetRule(ctx, container, params.rule, { srcRse: rse.rse });
      if (rule && !inPlace) rules.push(rule);
      const reached = rule
        ? await awaitRule(ctx, rule, { timeoutSeconds: params.timeout_seconds, pollSeconds: params.poll_seconds, srcRse: rse.rse, files, onPoll: published.onPoll })
        : [];
      if (rule && reached.length > 0 && files.length === params.files) published.update('OK', `${files.length} file(s) in ${datasets.length} dataset(s), rule OK`, true, rule.id);
    } else if (files.length === params.files) {
      published.update('OK', `${files.length} file(s) in ${datasets.length} dataset(s)`, true, keep.id);
    }
    if (files.length < params.files) published.update('registration failed', `${files.length} of ${params.files} file(s) registered`, false);
    if (params.download_by_container) await downloadContainer(ctx, container, files);
    // Consumers in this run read it first; one outside the run (a daemon's later fire) finds it under its lifetimes.
    if ((await ctx.releaseOutputs()).keep) return ctx.log(`${ctx.test}: ${scope}:${container.name} kept for the tests that consume it (its rules' lifetimes remove it; \`lakeprobe cleanup\` sooner)`);
    for (const rule of rules.reverse()) await deleteRule(ctx, rule.spec.expression, rule);
    await releaseFiles(ctx, files, params.parallel);
  },
});

/** The file as the detector wrote it: on the RSE's storage, outside Rucio (not yet registered). */
async function placeFile(ctx: RunContext, rse: RseInfo, did: Did, size: number): Promise<ProbeFile | null> {
  const placed = await ctx.op({ operation: 'upload', rse: rse.rse, bytes: size, protocol: 'davs' }, async (rec) => {
    const proto = selectProtocol(rse, 'write', ['davs', 'https', 'root']);
    const path = rse.deterministic
      ? lfn2pfnPath(did.scope, did.name, rse.lfn2pfn_algorithm === 'identity' ? 'identity' : 'hash')
      : `${did.scope}/daq/${ctx.runId}/${did.name}`;
    const pfn = buildPfn(proto, path);
    const ledgerId = ctx.ledger.intend({
      runId: ctx.runId, kind: 'storage_file', rse: rse.rse, target: pfn, authMethod: ctx.authMethod, did: `${did.scope}:${did.name}`,
    });
    await ctx.storage(driverFor(proto.scheme)).put(pfn, syntheticStream({ seed: pfn, size }), size);
    ctx.ledger.created(ledgerId);
    rec.bytes(size);
    return { ...did, rse: rse.rse, pfn, ledgerId, sums: { bytes: size, adler32: '', md5: '' } as Checksums };
  });
  return placed.ok ? placed.value : null;
}

/**
 * Zero-copy: checksum the file where it is (one read), then register the replica at its PFN
 * and attach it in one call, under the container's rule that already holds the RSE.
 */
async function registerInPlace(ctx: RunContext, rse: RseInfo, file: ProbeFile, dataset: Did): Promise<void> {
  const registered = await ctx.op({ operation: 'register', rse: rse.rse, bytes: file.sums.bytes }, async () => {
    const sums = await checksumStream(await ctx.storage(driverFor(file.pfn.slice(0, file.pfn.indexOf(':')))).get(file.pfn));
    if (sums.bytes !== file.sums.bytes) throw new Error(`read ${sums.bytes} of ${file.sums.bytes} bytes of ${file.pfn}`);
    const id = ctx.ledger.intend({ runId: ctx.runId, kind: 'replica', rse: rse.rse, target: `${file.scope}:${file.name}`, authMethod: ctx.authMethod });
    await ctx.rucio.attachReplicas(dataset.scope, dataset.name, rse.rse, [{
      scope: file.scope, name: file.name, bytes: sums.bytes, adler32: sums.adler32, md5: sums.md5,
      ...(rse.deterministic ? {} : { pfn: file.pfn }),
    }]);
    ctx.ledger.created(id);
    ctx.ledger.done(id); // the container's rule holds it
    return sums;
  });
  if (registered.ok) file.sums = registered.value;
}

async function downloadContainer(ctx: RunContext, container: Did, files: readonly ProbeFile[]): Promise<void> {
  const expected = new Map(files.map((f) => [`${f.scope}:${f.name}`, f.sums]));
  const listed = await ctx.op({ operation: 'list', check: { kind: 'discoverable', target: `${container.scope}:${container.name}` } }, async () => {
    const replicas = await ctx.rucio.listReplicas({ dids: [container] });
    const missing = [...expected.keys()].filter((k) => !replicas.some((r) => `${r.scope}:${r.name}` === k));
    if (missing.length) throw new Error(`container ${container.scope}:${container.name} does not list ${missing.length} file(s), e.g. ${missing[0]}`);
    return replicas;
  });
  if (!listed.ok) return;
  for (const replica of listed.value) {
    const [rse, pfns] = Object.entries(replica.rses)[0] ?? [];
    const pfn = pfns?.[0];
    const sums = expected.get(`${replica.scope}:${replica.name}`);
    if (!rse || !pfn || !sums) continue;
    await ctx.op({ operation: 'download', rse, protocol: pfn.slice(0, pfn.indexOf(':')), bytes: sums.bytes }, async () => {
      const got = await checksumStream(await ctx.storage(driverFor(pfn.slice(0, pfn.indexOf(':')))).get(pfn));
      if (got.adler32 !== sums.adler32) throw new ChecksumMismatchError('adler32', sums.adler32, got.adler32, `${rse} download by container`, { did: `${replica.scope}:${replica.name}`, pfn });
    });
  }
}
