// Publishing what a test made for the tests that consume it (`consumes`): each change of
// state once (a rule polled every second must not write a row per poll), under every kind
// the test offers (a replication's dataset and its rule are the same data).
import type { RunContext } from '../src/engine/run-context.js';
import type { OutputKind } from '../src/engine/outputs.js';
import { describeCoverage, type RuleCoverage, type RuleInfo } from '../src/lake/rucio/index.js';
import type { Did } from './steps.js';

export interface OutputPublisher {
  /** How far the output is; published only when something changed. */
  update(state: string, detail: string, complete: boolean, ruleId?: string): void;
  /** For a rule's polls (WaitOptions.onPoll): its state and lock coverage, never complete on its own. */
  onPoll: (rule: RuleInfo, coverage: RuleCoverage) => void;
}

export function outputPublisher(ctx: RunContext, did: Did, kinds: readonly OutputKind[], rse: string): OutputPublisher {
  let last = '';
  let lastRule = '';
  const update = (state: string, detail: string, complete: boolean, ruleId = lastRule): void => {
    lastRule = ruleId;
    const key = `${state}|${detail}|${complete}|${ruleId}`;
    if (key === last) return;
    last = key;
    for (const kind of kinds) ctx.publish({ kind, did, ruleId, rse, state, complete, detail });
  };
  return {
    update,
    onPoll: (rule, coverage) => update(rule.state, `rule ${rule.id} ${describeCoverage(rule, coverage)}`, false, rule.id),
  };
}
