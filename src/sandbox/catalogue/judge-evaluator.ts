// Rules see new content only when the judge-evaluator runs, as in Rucio 41: attaching or
// detaching only queues the collection (core/did.py attach_dids_to_dids / detach_dids insert an
// UpdatedDID row with rule_evaluation_action ATTACH or DETACH); the judge-evaluator daemon
// (daemons/judge/evaluator.py run_once -> core/rule.py re_evaluate_did) later brings the rules'
// locks in line. Until then a rule on a dataset reads OK with fewer locks than files.
import type { Catalogue } from './context.js';
import type { Db } from './db.js';
import { reconcileRulesAbove } from './rule-engine.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS updated_dids (
  id INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, name TEXT NOT NULL,
  rule_evaluation_action TEXT NOT NULL, created_at INTEGER NOT NULL);
`;

/** How long after an attach the sandbox's judge-evaluator takes it up, by default. */
export const DEFAULT_JUDGE_EVALUATOR_SECONDS = 1;
/** The longest delay a sandbox accepts: rules never lag their content by more than ten minutes. */
export const MAX_JUDGE_EVALUATOR_SECONDS = 600;

/** The judge-evaluator's clock: a queued DID is evaluated delayMs after it was queued (0: at once). */
export interface JudgeSchedule {
  delayMs: number;
}

export type ReEvaluation = 'ATTACH' | 'DETACH';

export function ensureJudgeTables(db: Db): void {
  db.exec(SCHEMA);
}

export function judgeSchedule(delaySeconds: number | undefined): JudgeSchedule {
  const seconds = delaySeconds ?? DEFAULT_JUDGE_EVALUATOR_SECONDS;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_JUDGE_EVALUATOR_SECONDS) {
    throw new RangeError(`judge-evaluator delay ${seconds} s is outside 0..${MAX_JUDGE_EVALUATOR_SECONDS} s`);
  }
  return { delayMs: Math.round(seconds * 1000) };
}

/** The content of a collection changed: its rules (and those above it) are re-evaluated by the judge-evaluator. */
export function queueReEvaluation(cat: Catalogue, scope: string, name: string, action: ReEvaluation): void {
  if (cat.judge.delayMs === 0) {
    reconcileRulesAbove(cat, scope, name);
    return;
  }
  cat.db.prepare('INSERT INTO updated_dids (scope, name, rule_evaluation_action, created_at) VALUES (?, ?, ?, ?)')
    .run(scope, name, action, cat.now());
}

/** One judge-evaluator pass over the DIDs queued up to `upTo` (each DID once); returns how many it evaluated. */
export function runJudgeEvaluator(cat: Catalogue, upTo: number = Number.MAX_SAFE_INTEGER): number {
  const rows = cat.db.prepare('SELECT id, scope, name FROM updated_dids WHERE created_at <= ? ORDER BY created_at, id').all(upTo) as
    { id: number; scope: string; name: string }[];
  const done = new Set<string>();
  for (const r of rows) {
    const key = `${r.scope}:${r.name}`;
    if (!done.has(key)) reconcileRulesAbove(cat, r.scope, r.name);
    done.add(key);
    cat.db.prepare('DELETE FROM updated_dids WHERE id = ?').run(r.id);
  }
  return done.size;
}

/** What the daemon would have done by now: every DID queued at least one delay ago is evaluated. */
export function catchUpJudge(cat: Catalogue): number {
  return runJudgeEvaluator(cat, cat.now() - cat.judge.delayMs);
}
