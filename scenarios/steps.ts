// Building blocks shared by the scenarios: each step is one recorded operation.
import { z } from 'zod';
import type { RunContext } from '../src/engine/run-context.js';
import { parseSize } from '../src/engine/sizes.js';
import { ChecksumMismatchError } from '../src/lake/errors.js';
import { ChecksumTap, checksumStream, syntheticStream, type ParallelDigest } from '../src/lake/data/index.js';
import { buildPfn, lfn2pfnPath, selectProtocol, type RseInfo, type RseProtocol, type RuleGrouping } from '../src/lake/rucio/index.js';
import type { StorageProtocol } from '../src/lake/storage/driver.js';

/** Rucio protocol scheme → lakeprobe storage driver. */
export function driverFor(scheme: string): StorageProtocol {
  return scheme === 'root' ? 'root' : 'davs';
}

const schemeOf = (pfn: string): string => pfn.slice(0, pfn.indexOf(':'));

/** The largest file a scenario writes: above it a probe would upload for many hours. */
export const MAX_FILE_SIZE = 1024 ** 4;

/** A size in a plan: a byte count or a string such as "1MiB" / "5GB", at most MAX_FILE_SIZE. */
export const sizeParam = z.union([z.number().int().nonnegative(), z.string().max(40)]).transform((v, ctx) => {
  let bytes: number;
  try {
    bytes = parseSize(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
  if (bytes > MAX_FILE_SIZE) {
    ctx.addIssue({ code: 'custom', message: `at most 1 TiB per file (${MAX_FILE_SIZE} bytes); got ${v}` });
    return z.NEVER;
  }
  return bytes;
});

/** A size where an empty file makes no sense (a sweep's sizes and volume): at least 1 byte. */
export const positiveSizeParam = sizeParam.refine((bytes) => bytes > 0, { error: 'must be more than 0 bytes' });

export const scopeParam = z.string().regex(/^[a-zA-Z_\-.0-9]+$/).max(25);
/** Lifetime in seconds of probe rules and DIDs, so the lake removes leftovers by itself (at most 30 days). */
export const lifetimeParam = z.number().int().positive().max(30 * 86_400).default(3600);
/** How long a rule may take to reach OK, in seconds (at most a day). */
export const ruleTimeoutParam = z.number().positive().max(86_400).default(600);
/** Seconds between polls of a rule's state (at most a minute). */
export const pollParam = z.number().positive().max(60).default(1);
/** Files or operations in flight within the scenario (at most 64). */
export const parallelParam = z.number().int().min(1).max(64).default(4);

export interface Did { scope: string; name: string }

/** A file this run wrote to storage. */
export interface ProbeFile extends Did {
  rse: string;
  pfn: string;
  /** md5 is absent when the scenario asked for adler32 only (`md5: false`). */
  sums: ParallelDigest;
  /** Ledger entry of the storage file. */
  ledgerId: number;
}

export function probeTag(ctx: RunContext): string {
  return `lakeprobe.${ctx.runId}.${ctx.test}.${ctx.authMethod}`;
}

/** A probe dataset with a lifetime, so the lake removes it by itself. */
export async function createDataset(ctx: RunContext, dataset: Did, lifetime: number, rse?: string): Promise<boolean> {
  const created = await ctx.op({ operation: 'register', rse }, async () => {
    const id = ctx.ledger.intend({ runId: ctx.runId, kind: 'did', rse: '', target: `${dataset.scope}:${dataset.name}`, authMethod: ctx.authMethod });
    await ctx.rucio.addDid(dataset.scope, dataset.name, { type: 'DATASET', lifetime });
    ctx.ledger.done(id); // its lifetime removes it
  });
  return created.ok;
}

export async function rseInfo(ctx: RunContext, rse: string): Promise<RseInfo | null> {
  const info = await ctx.op({ operation: 'list', rse }, () => ctx.rucio.getRse(rse));
  return info.ok ? info.value : null;
}

/** PUT a deterministic synthetic file where `rucio upload` would put it. */
/** How uploadFile learns the checksums of what it sends. */
export interface UploadFileOptions {
  /** Also compute md5 (default true); without it `sums.md5` is absent and nothing registers an md5. */
  md5?: boolean;
}

// From this size a file with md5 has its sums computed from its seed in the checksum worker
// rather than from the bytes on their way out: measured on a 1 GiB PUT 20-25 % faster (the
// upload thread only counts bytes), on 10 MiB files no faster and, without md5, slower (the
// worker generates the data a second time) — bench/put-1g.ts, bench/catalogue-throughput.ts.
const SEEDED_SUMS_FROM = 64 * 1024 * 1024;

export async function uploadFile(
  ctx: RunContext, rse: RseInfo, did: Did, size: number, schemes: readonly string[], options: UploadFileOptions = {},
): Promise<ProbeFile | null> {
  let preferred: RseProtocol | undefined;
  try {
    preferred = selectProtocol(rse, 'write', schemes);
  } catch {
    // recorded below: the upload op fails with the same NoProtocolError
  }
  const uploaded = await ctx.op({ operation: 'upload', rse: rse.rse, protocol: preferred?.scheme ?? schemes.join('|'), bytes: size }, async () => {
    const proto = preferred ?? selectProtocol(rse, 'write', schemes);
    const path = rse.deterministic
      ? lfn2pfnPath(did.scope, did.name, rse.lfn2pfn_algorithm === 'identity' ? 'identity' : 'hash')
      : `${did.scope}/lakeprobe/${ctx.runId}/${did.name}`;
    const pfn = buildPfn(proto, path);
    const ledgerId = ctx.ledger.intend({ runId: ctx.runId, kind: 'storage_file', rse: rse.rse, target: pfn, authMethod: ctx.authMethod });
    const seed = `${ctx.runId}/${did.name}`;
    const md5 = options.md5 !== false;
    const tap = new ChecksumTap({ md5, ...(md5 && size >= SEEDED_SUMS_FROM ? { fromSeed: { seed, size } } : {}) });
    await ctx.storage(driverFor(proto.scheme)).put(pfn, syntheticStream({ seed, size }).pipe(tap), size);
    ctx.ledger.created(ledgerId);
    return { ...did, rse: rse.rse, pfn, ledgerId, sums: tap.checksums() };
  });
  return uploaded.ok ? uploaded.value : null;
}

export interface ProbeRule { id: string; ledgerId: number }

export async function addRule(
  ctx: RunContext, did: Did, rseExpression: string, lifetime: number, where: { rse?: string; srcRse?: string; dstRse?: string },
  grouping?: RuleGrouping,
): Promise<ProbeRule | null> {
  const rule = await ctx.op({ operation: 'rule', ...where }, async (rec) => {
    const ledgerId = ctx.ledger.intend({ runId: ctx.runId, kind: 'rule', rse: rseExpression, target: '', authMethod: ctx.authMethod });
    const [id] = await ctx.rucio.addRule({ dids: [did], copies: 1, rseExpression, lifetime, grouping });
    if (!id) throw new Error('rule creation returned no rule id');
    ctx.ledger.created(ledgerId, id);
    rec.ruleId(id);
    return { id, ledgerId };
  });
  return rule.ok ? rule.value : null;
}

/** The catalogue lists the replica AVAILABLE at `rse` and the storage's adler32 equals the local one. */
export async function verifyReplica(
  ctx: RunContext, did: Did, rse: string, sums: ParallelDigest, ruleId?: string, scheme = 'davs',
): Promise<string | null> {
  const verified = await ctx.op({ operation: 'verify', rse, protocol: scheme, bytes: sums.bytes }, async (rec) => {
    if (ruleId) rec.ruleId(ruleId);
    const [replica] = await ctx.rucio.listReplicas({ dids: [did], allStates: true, schemes: [scheme] });
    const state = replica?.states?.[rse];
    if (state !== 'AVAILABLE') throw new Error(`replica of ${did.scope}:${did.name} on ${rse} is ${state ?? 'not listed'}, expected AVAILABLE`);
    const pfn = replica?.rses?.[rse]?.[0];
    if (!pfn) throw new Error(`no PFN of ${did.scope}:${did.name} listed for ${rse}`);
    const remote = await ctx.storage(driverFor(scheme)).checksum(pfn, 'adler32');
    if (remote !== sums.adler32) throw new ChecksumMismatchError('adler32', sums.adler32, remote, `${rse} storage`, { did: `${did.scope}:${did.name}`, pfn });
    if (ruleId) {
      const r = await ctx.rucio.getRule(ruleId);
      if (r.state !== 'OK') throw new Error(`rule ${ruleId} is ${r.state}${r.error ? `: ${r.error}` : ''}, expected OK`);
    }
    return pfn;
  });
  return verified.ok ? verified.value : null;
}

export async function downloadAndCompare(ctx: RunContext, rse: string, file: Did & { pfn: string; sums: ParallelDigest }): Promise<void> {
  const { pfn, sums } = file;
  await ctx.op({ operation: 'download', rse, protocol: schemeOf(pfn), bytes: sums.bytes }, async () => {
    const got = await checksumStream(await ctx.storage(driverFor(schemeOf(pfn))).get(pfn));
    if (got.adler32 !== sums.adler32) throw new ChecksumMismatchError('adler32', sums.adler32, got.adler32, `${rse} download`, { did: `${file.scope}:${file.name}`, pfn });
  });
}

/** purge_replicas: the lake's reaper removes the replicas once the rule is gone. */
export async function deleteRule(ctx: RunContext, rse: string, rule: ProbeRule): Promise<void> {
  await ctx.op({ operation: 'delete', rse }, async (rec) => {
    rec.ruleId(rule.id);
    await ctx.rucio.deleteRule(rule.id, true);
    ctx.ledger.done(rule.ledgerId);
  });
}

export async function deleteFile(ctx: RunContext, file: ProbeFile): Promise<void> {
  await ctx.op({ operation: 'delete', rse: file.rse, protocol: schemeOf(file.pfn) }, async () => {
    await ctx.storage(driverFor(schemeOf(file.pfn))).delete(file.pfn);
    ctx.ledger.done(file.ledgerId);
  });
}
