import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { DEFAULT_JUDGE_EVALUATOR_SECONDS, MAX_JUDGE_EVALUATOR_SECONDS } from './catalogue/judge-evaluator.js';
import { SANDBOX_RSES } from './config.js';
import { FaultSet } from './faults/fault-set.js';
import { FAULT_KINDS, FaultSpecError, unsupportedFault, type FaultKind, type FaultSpecInput } from './faults/spec.js';

// The sandbox lake's own configuration file: which storage serves the RSEs, the
// RSEs, long-haul links between them, faults active from the start, transfer knobs.

const RSE_NAME = /^([A-Z0-9]+([_-][A-Z0-9]+)*)$/;

const rse = z.strictObject({
  name: z.string().regex(RSE_NAME, { error: 'must be an RSE name like SITE-DISK (upper case, digits, - and _)' }),
  deterministic: z.boolean().default(true),
  /** RSE attributes; `QOS: null` is an RSE whose QoS class was taken away (DAC21), left out of every QOS=… expression. */
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
  /** Availability flags (rucio-admin rse update --setting availability_*); all on unless set false. */
  availability: z.strictObject({ read: z.boolean().optional(), write: z.boolean().optional(), delete: z.boolean().optional() }).optional(),
  /**
   * A cache RSE: XRootD's proxy file cache (XCache) in front of this RSE of the config, serving its
   * namespace over root:// from its own disk, fetching from the origin on a miss. Needs `storage: xrootd`.
   */
  cache_of: z.string().regex(RSE_NAME).optional(),
  /** Accept tokens only for the endpoint's own URL as `aud` (and WLCG's any audience); XRootD through its SciTokens audience. */
  own_token_audience: z.boolean().optional(),
});

const link = z.strictObject({
  from: z.string().regex(RSE_NAME),
  to: z.string().regex(RSE_NAME),
  rtt_ms: z.number().nonnegative().max(10_000),
  bandwidth_mbit: z.number().positive().max(100_000).optional(),
  /** FTS's link limit: at most this many transfers from `from` to `to` are active at once; the rest wait queued. */
  max_active: z.number().int().min(1).max(10_000).optional(),
});

export const sandboxConfigSchema = z.strictObject({
  storage: z.enum(['builtin', 'xrootd']).default('builtin'),
  rses: z.array(rse).min(1).default(SANDBOX_RSES),
  links: z.array(link).default([]),
  /** Faults on from the start (see `lakeprobe sandbox fault add --help` for the kinds). */
  faults: z.array(z.record(z.string(), z.unknown())).default([]),
  transfers: z.strictObject({
    poll_ms: z.number().int().min(50).max(60_000).default(500),
    max_attempts: z.number().int().min(1).max(20).default(3),
    timeout_seconds: z.number().int().min(1).max(86_400).default(3600),
  }).default({ poll_ms: 500, max_attempts: 3, timeout_seconds: 3600 }),
  /**
   * Rucio's daemons in the catalogue: abacus-account brings account usage up to date every abacus_seconds;
   * the judge-evaluator gives files attached to a ruled dataset their locks judge_evaluator_seconds later
   * (0: at once for either).
   * `account`: who the sandbox's member identities log in as. `root` may do anything; `probe` is a plain account
   * under Rucio 41's generic permission policy (lib/rucio/core/permission/generic.py), as a probe account on a real
   * lake: it owns its scopes, may not delete rules or replicas, may add replicas only on scratch RSEs.
   * `archive_dids` / `archive_content`: Rucio's [deletion] options (off by default, as in Rucio): deleted DIDs are
   * kept for POST /dids/resurrect; a deleted collection's content is kept in its attachment history.
   */
  catalogue: z.strictObject({
    abacus_seconds: z.number().min(0).max(3600).default(10),
    judge_evaluator_seconds: z.number().min(0).max(MAX_JUDGE_EVALUATOR_SECONDS).default(DEFAULT_JUDGE_EVALUATOR_SECONDS),
    account: z.enum(['root', 'probe']).default('root'),
    archive_dids: z.boolean().default(false),
    archive_content: z.boolean().default(false),
  }).default({ abacus_seconds: 10, judge_evaluator_seconds: DEFAULT_JUDGE_EVALUATOR_SECONDS, account: 'root', archive_dids: false, archive_content: false }),
  /** The issuer's access-token lifetime for its token endpoint: IAM's default hour unless a test wants it short. */
  tokens: z.strictObject({
    lifetime_seconds: z.number().int().min(1).max(86_400).default(3600),
  }).default({ lifetime_seconds: 3600 }),
}).superRefine((cfg, ctx) => {
  const names = new Set(cfg.rses.map((r) => r.name));
  const first = new Map<string, number>();
  cfg.rses.forEach((r, i) => {
    const at = first.get(r.name);
    if (at === undefined) first.set(r.name, i);
    else ctx.addIssue({ code: 'custom', path: ['rses', i, 'name'], message: `duplicate RSE "${r.name}" (first at rses[${at}])` });
  });
  // The faults as the lake will add them at start, so a bad one is refused here at its line.
  const faults = new FaultSet({ rses: [...names], users: { member: 'member', nonmember: 'nonmember' } });
  cfg.faults.forEach((f, i) => {
    try {
      faults.add(f as FaultSpecInput);
    } catch (e) {
      if (!(e instanceof FaultSpecError)) throw e;
      ctx.addIssue({ code: 'custom', path: ['faults', i], message: e.problems.join('; ') });
    }
  });
  const caches = new Set(cfg.rses.filter((r) => r.cache_of).map((r) => r.name));
  cfg.rses.forEach((r, i) => {
    if (!r.cache_of) return;
    const at = ['rses', i, 'cache_of'];
    if (cfg.storage !== 'xrootd') ctx.addIssue({ code: 'custom', path: at, message: 'a cache RSE is an XRootD proxy file cache: set storage: xrootd' });
    if (!names.has(r.cache_of)) ctx.addIssue({ code: 'custom', path: at, message: `unknown RSE "${r.cache_of}"` });
    else if (caches.has(r.cache_of)) ctx.addIssue({ code: 'custom', path: at, message: `"${r.cache_of}" is a cache itself: a cache sits in front of a storage RSE` });
  });
  cfg.links.forEach((l, i) => {
    for (const end of ['from', 'to'] as const) {
      if (!names.has(l[end])) ctx.addIssue({ code: 'custom', path: ['links', i, end], message: `unknown RSE "${l[end]}"` });
    }
  });
  cfg.faults.forEach((f, i) => {
    const unsupported = FAULT_KINDS.includes(f.kind as FaultKind) ? unsupportedFault(f.kind as FaultKind, cfg.storage) : undefined;
    if (unsupported) ctx.addIssue({ code: 'custom', path: ['faults', i, 'kind'], message: unsupported });
  });
});

export type SandboxConfig = z.output<typeof sandboxConfigSchema>;

export const DEFAULT_SANDBOX_CONFIG: SandboxConfig = sandboxConfigSchema.parse({});

/** A bad sandbox config: every problem as `file:line:col: path: message`. */
export class SandboxConfigError extends Error {
  override readonly name = 'SandboxConfigError';
}

function position(doc: Document, counter: LineCounter, path: PropertyKey[]): string {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as (string | number)[], true);
    if (isNode(node) && node.range) {
      const { line, col } = counter.linePos(node.range[0]);
      return `${line}:${col}`;
    }
  }
  return '1:1';
}

export function parseSandboxConfig(text: string, file: string, overrides: Partial<Pick<SandboxConfig, 'storage'>> = {}): SandboxConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length) {
    throw new SandboxConfigError(doc.errors.map((e) => {
      const { line, col } = counter.linePos(e.pos[0]);
      const message = /call stack/.test(e.message) ? 'nested too deeply' : e.message.split('\n')[0];
      return `${file}:${line}:${col}: ${message}`;
    }).join('\n'));
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Aliases expanding past the limit, or nesting past the call stack.
    throw new SandboxConfigError(`${file}:1:1: cannot be read: ${(e as Error).message.split('\n')[0]}`);
  }
  const result = sandboxConfigSchema.safeParse({ ...(typeof data === 'object' && data !== null ? data : {}), ...overrides });
  if (!result.success) {
    throw new SandboxConfigError(result.error.issues.map((i) => {
      const field = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      return `${file}:${position(doc, counter, i.path)}: ${field || '(top)'}: ${i.message}`;
    }).join('\n'));
  }
  return result.data;
}

export async function loadSandboxConfig(file: string | undefined, overrides: Partial<Pick<SandboxConfig, 'storage'>> = {}): Promise<SandboxConfig> {
  if (!file) return sandboxConfigSchema.parse(overrides);
  return parseSandboxConfig(await readFile(file, 'utf8'), file, overrides);
}
