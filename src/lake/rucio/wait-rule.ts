import { RuleStateError } from '../errors.js';
import type { RucioClient } from './client.js';
import type { RuleInfo } from './types.js';

export interface WaitForRuleOptions {
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
}

/** Polls a rule until it is OK; STUCK/SUSPENDED or the deadline throw RuleStateError. */
export async function waitForRule(rucio: RucioClient, ruleId: string, opts: WaitForRuleOptions): Promise<RuleInfo> {
  const deadline = Date.now() + opts.timeoutMs;
  const pollMs = opts.pollMs ?? 1000;
  let last: RuleInfo | undefined;
  for (;;) {
    last = await rucio.getRule(ruleId);
    if (last.state === 'OK') return last;
    if (last.state === 'STUCK' || last.state === 'SUSPENDED') {
      throw new RuleStateError(ruleId, last.state, String(last.error ?? ''));
    }
    if (Date.now() + pollMs > deadline || opts.signal?.aborted) {
      // The time it really waited: a stopped run waits less than the limit.
      const waited = Math.round((Date.now() - deadline + opts.timeoutMs) / 1000);
      throw new RuleStateError(ruleId, 'TIMEOUT', `still ${last.state} after ${waited} s${opts.signal?.aborted ? '' : ` (limit ${Math.round(opts.timeoutMs / 1000)} s)`}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
