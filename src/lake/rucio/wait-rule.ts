// When a rule is really done. Rucio gives files attached to a ruled collection their locks only
// when its judge-evaluator runs: until then the rule reads OK with fewer locks (possibly none) than
// files. A rule is done when it is OK and its OK locks cover every file of its DID, `copies` times.
import { RuleStateError } from '../errors.js';
import type { RucioClient } from './client.js';
import type { Did, LockInfo, RuleInfo } from './types.js';

/** How far a rule's locks cover the files it must hold. */
export interface RuleCoverage {
  /** Files of the rule's DID. */
  files: number;
  /** Files with at least `copies` locks (in any state). */
  locked: number;
  /** Files with at least `copies` OK locks. */
  ok: number;
  /** The rule is OK and every file has its `copies` OK locks. */
  done: boolean;
}

const key = (d: Did): string => `${d.scope}:${d.name}`;

export function ruleCoverage(rule: Pick<RuleInfo, 'state' | 'copies'>, locks: readonly LockInfo[], files: readonly Did[]): RuleCoverage {
  const all = new Map<string, number>();
  const ok = new Map<string, number>();
  for (const l of locks) {
    all.set(key(l), (all.get(key(l)) ?? 0) + 1);
    if (l.state === 'OK') ok.set(key(l), (ok.get(key(l)) ?? 0) + 1);
  }
  const copies = Math.max(1, rule.copies);
  const wanted = new Set(files.map(key));
  const count = (m: Map<string, number>): number => [...wanted].filter((k) => (m.get(k) ?? 0) >= copies).length;
  const covered = count(ok);
  return { files: wanted.size, locked: count(all), ok: covered, done: rule.state === 'OK' && covered === wanted.size };
}

/** "OK, 0 of 3 files locked" — what a rule's state and locks say, for error messages. */
export function describeCoverage(rule: Pick<RuleInfo, 'state'>, c: RuleCoverage): string {
  return `${rule.state}, ${c.ok} of ${c.files} file${c.files === 1 ? '' : 's'} locked OK${c.locked > c.ok ? ` (${c.locked - c.ok} still replicating or stuck)` : ''}`;
}

export interface WaitForRuleOptions {
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  /** Called with the locks of each poll (e.g. to follow their transfers). */
  onPoll?(locks: LockInfo[], rule: RuleInfo): Promise<void>;
}

export interface RuleWait {
  rule: RuleInfo;
  locks: LockInfo[];
  coverage: RuleCoverage;
}

/**
 * Polls a rule and its locks until it is OK with every file of its DID locked OK (the DID's files are
 * listed once, on the first poll); STUCK/SUSPENDED or the deadline throw RuleStateError.
 */
export async function waitForRule(rucio: RucioClient, ruleId: string, opts: WaitForRuleOptions): Promise<RuleWait> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const pollMs = opts.pollMs ?? 1000;
  let files: Did[] | undefined;
  for (;;) {
    const rule = await rucio.getRule(ruleId);
    if (rule.state === 'STUCK' || rule.state === 'SUSPENDED') {
      throw new RuleStateError(ruleId, rule.state, String(rule.error ?? ''));
    }
    files ??= await rucio.listFiles(rule.scope, rule.name);
    const locks = await rucio.listRuleLocks(ruleId);
    const coverage = ruleCoverage(rule, locks, files);
    await opts.onPoll?.(locks, rule);
    if (coverage.done) return { rule, locks, coverage };
    if (Date.now() + pollMs > deadline || opts.signal?.aborted) {
      // The time it really waited: a stopped run waits less than the limit.
      const seconds = Math.round((Date.now() - started) / 1000);
      throw new RuleStateError(ruleId, 'TIMEOUT', `still ${describeCoverage(rule, coverage)} after ${seconds} s${opts.signal?.aborted ? '' : ` (limit ${Math.round(opts.timeoutMs / 1000)} s)`}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
