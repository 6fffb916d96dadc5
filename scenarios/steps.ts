// Building blocks shared by the scenarios: each step is one recorded operation.
import { z } from 'zod';
import type { RunContext } from '../src/engine/run-context.js';
import { isRseName } from '../src/engine/op-result.js';
import { parseSize } from '../src/engine/sizes.js';
import { isAccessDenied, listedReplicas, readRuleExpiry, replicaKey, ruleRemains } from '../src/engine/removal.js';
import { classify } from '../src/engine/classify.js';
import { ChecksumMismatchError, RuleStateError } from '../src/lake/errors.js';
import { ChecksumTap, checksumStream, syntheticStream, type ParallelDigest } from '../src/lake/data/index.js';
import {
  buildPfn, lfn2pfnPath, selectProtocol, type LockInfo, type RseInfo, type RseProtocol, type RuleGrouping, type RuleInfo,
} from '../src/lake/rucio/index.js';
import type { StorageProtocol } from '../src/lake/storage/driver.js';
import { forEachLimit } from './parallel.js';

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

/**
 * Metadata a test sets on its datasets, e.g. { datatype: RAW, run_number: 42 }. Keys: the DID columns
 * (datatype, project, run_number, …) or only custom ones (Rucio's search reads one metadata plugin at a time).
 */
export const metadataParam = z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'lower-case letters, digits and "_"' }).max(64), z.union([z.string().min(1).max(200), z.number()]))
  .refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= 20, { error: 'between 1 and 20 keys' });

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
    const ledgerId = ctx.ledger.intend({
      runId: ctx.runId, kind: 'storage_file', rse: rse.rse, target: pfn, authMethod: ctx.authMethod, did: `${did.scope}:${did.name}`,
    });
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

/** How long files may wait for their locks under a rule, and how often the rule is read meanwhile. */
export interface LockWait { timeoutSeconds: number; pollSeconds: number }

/** The defaults of `timeout_seconds` and `poll_seconds`. */
export const DEFAULT_LOCK_WAIT: LockWait = { timeoutSeconds: ruleTimeoutParam.parse(undefined), pollSeconds: pollParam.parse(undefined) };

/**
 * Reads the rule and its locks until it is OK with an OK lock of every file at its RSE, or until it is
 * STUCK/SUSPENDED or the wait runs out; returns what it read last. Rucio locks files attached to a
 * ruled dataset only when its judge-evaluator runs, and the rule reads OK before that.
 */
export async function awaitLocks(
  ctx: RunContext, ruleId: string, files: readonly (Did & { rse: string })[], wait: LockWait,
): Promise<{ rule: RuleInfo; locks: LockInfo[] }> {
  const deadline = Date.now() + wait.timeoutSeconds * 1000;
  for (;;) {
    const rule = await ctx.rucio.getRule(ruleId);
    const locks = await ctx.rucio.listRuleLocks(ruleId);
    const ok = new Set(locks.filter((l) => l.state === 'OK').map((l) => `${l.scope}:${l.name}@${l.rse}`));
    const held = files.every((f) => ok.has(`${f.scope}:${f.name}@${f.rse}`));
    const settled = (rule.state === 'OK' && held) || rule.state === 'STUCK' || rule.state === 'SUSPENDED';
    if (settled || Date.now() + wait.pollSeconds * 1000 > deadline || ctx.signal.aborted) return { rule, locks };
    await new Promise((r) => setTimeout(r, wait.pollSeconds * 1000));
  }
}

/**
 * The catalogue lists the replica AVAILABLE at `rse`, the storage's adler32 equals the local one and,
 * with a rule, the rule is OK with an OK lock of the file there (waited for up to `wait`).
 */
export async function verifyReplica(
  ctx: RunContext, did: Did, rse: string, sums: ParallelDigest, ruleId?: string, scheme = 'davs', wait = DEFAULT_LOCK_WAIT,
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
      const { rule: r, locks } = await awaitLocks(ctx, ruleId, [{ ...did, rse }], wait);
      if (r.state !== 'OK') throw new Error(`rule ${ruleId} is ${r.state}${r.error ? `: ${r.error}` : ''}, expected OK`);
      checkLock(ruleId, did, rse, locks);
    }
    return pfn;
  });
  return verified.ok ? verified.value : null;
}

/**
 * The rule holds the replica: an OK lock of the file at the RSE. A rule reads OK before Rucio's
 * judge-evaluator has locked attached files, so its state alone proves nothing.
 */
export function checkLock(ruleId: string, did: Did, rse: string, locks: readonly LockInfo[]): void {
  const lock = locks.find((l) => l.scope === did.scope && l.name === did.name && l.rse === rse);
  if (lock?.state === 'OK') return;
  const what = lock ? `its lock of ${did.scope}:${did.name} on ${rse} is ${lock.state}` : `no lock of ${did.scope}:${did.name} on ${rse}`;
  throw new RuleStateError(ruleId, 'TIMEOUT', `${what} (${locks.length} lock${locks.length === 1 ? '' : 's'} in all)`);
}

export async function downloadAndCompare(ctx: RunContext, rse: string, file: Did & { pfn: string; sums: ParallelDigest }): Promise<void> {
  const { pfn, sums } = file;
  await ctx.op({ operation: 'download', rse, protocol: schemeOf(pfn), bytes: sums.bytes }, async () => {
    const got = await checksumStream(await ctx.storage(driverFor(schemeOf(pfn))).get(pfn));
    if (got.adler32 !== sums.adler32) throw new ChecksumMismatchError('adler32', sums.adler32, got.adler32, `${rse} download`, { did: `${file.scope}:${file.name}`, pfn });
  });
}

/**
 * Asks Rucio to remove a rule (purge_replicas: the lake's reaper deletes its files once the rule is
 * gone). Rucio 41 only makes the rule expire within the hour; its judge-cleaner and reaper do the
 * rest. Where the account may not delete rules (Rucio's generic policy), the rule stays with its
 * files until it expires: the operation is a warning saying so, and the ledger keeps the rule for
 * `cleanup`.
 * `rse` is where it holds data, recorded only when it is an RSE name (not the rule's expression).
 */
export async function deleteRule(ctx: RunContext, rse: string, rule: ProbeRule): Promise<void> {
  await ctx.op({ operation: 'delete', rse: isRseName(rse) ? rse : '' }, async (rec) => {
    rec.ruleId(rule.id);
    try {
      await ctx.rucio.deleteRule(rule.id, true);
    } catch (e) {
      if (!isAccessDenied(e)) throw e;
      rec.warn(ruleRemains(rule.id, ctx.account, await readRuleExpiry(ctx.rucio, rule.id)));
      return;
    }
    ctx.ledger.done(rule.ledgerId);
  });
}

/** Files one replica listing asks about (Rucio's bulk bound). */
const LISTING_CHUNK = 1000;

/**
 * Takes the run's files off storage the way Rucio removes data. A file the catalogue lists on its
 * RSE, in any state, is Rucio's: its ledger entry closes and the reaper deletes it once no rule
 * holds it. Only a file the catalogue does not list (never registered, or already reaped) is
 * deleted here. When the catalogue cannot be asked, every file stays (and stays in the ledger).
 */
export async function releaseFiles(ctx: RunContext, files: readonly ProbeFile[], parallel = 4): Promise<void> {
  // One listing per RSE (and chunk): each is recorded on its RSE, never mistaken for an RSE listing.
  const byRse = new Map<string, ProbeFile[]>();
  for (const f of files) byRse.set(f.rse, [...(byRse.get(f.rse) ?? []), f]);
  for (const [rse, onRse] of byRse) {
    for (let i = 0; i < onRse.length; i += LISTING_CHUNK) {
      const chunk = onRse.slice(i, i + LISTING_CHUNK);
      const listed = await ctx.op({ operation: 'list', rse }, () => listedReplicas(ctx.rucio, chunk));
      if (!listed.ok) continue;
      const unlisted = chunk.filter((f) => {
        if (!listed.value.has(replicaKey(f.rse, `${f.scope}:${f.name}`))) return true;
        ctx.ledger.done(f.ledgerId);
        return false;
      });
      await forEachLimit(unlisted, parallel, (f) => deleteUnlisted(ctx, f));
    }
  }
}

async function deleteUnlisted(ctx: RunContext, file: ProbeFile): Promise<void> {
  await ctx.op({ operation: 'delete', rse: file.rse, protocol: schemeOf(file.pfn) }, async () => {
    try {
      await ctx.storage(driverFor(schemeOf(file.pfn))).delete(file.pfn);
    } catch (e) {
      // Already gone (e.g. reaped since the listing): nothing is left to remove.
      if (classify(e).errorClass !== 'not_found') throw e;
    }
    ctx.ledger.done(file.ledgerId);
  });
}

/**
 * Metadata assigned and discoverable (R3B): set on every dataset and read back, then the client's
 * search by name and metadata must find every dataset.
 */
export async function tagAndSearch(ctx: RunContext, datasets: readonly Did[], meta: Record<string, string | number>, tag: string): Promise<void> {
  const scope = (datasets[0] as Did).scope;
  const target = `${scope}:${tag}.ds*`;
  const set = await ctx.op({ operation: 'register', check: { kind: 'metadata', target } }, async () => {
    for (const ds of datasets) {
      await ctx.rucio.setDidMeta(ds.scope, ds.name, meta);
      const got = await ctx.rucio.getDidMeta(ds.scope, ds.name);
      const wrong = Object.entries(meta).filter(([k, v]) => String(got[k]) !== String(v));
      if (wrong.length) throw new Error(`metadata of ${ds.scope}:${ds.name} reads back ${wrong.map(([k]) => `${k}=${String(got[k])}`).join(', ')}, not what was set`);
    }
  });
  if (!set.ok) return;
  await ctx.op({ operation: 'list', check: { kind: 'discoverable', target } }, async () => {
    const found = new Set(await ctx.rucio.searchDids(scope, { name: `${tag}.ds*`, ...meta }, 'dataset'));
    const missing = datasets.filter((d) => !found.has(d.name));
    if (missing.length) throw new Error(`the search by name and metadata does not find ${missing.length} of ${datasets.length} dataset(s), e.g. ${(missing[0] as Did).name}`);
  });
}
