// The verdict of a CI probe: every check (each test's success criteria, each threshold,
// each regression rule) passed or failed, and the one outcome the exit code reports.
import type { OpResult } from '../engine/op-result.js';
import type { ErrorClass } from '../engine/taxonomy.js';
import type { Regression } from './baseline.js';
import type { ThresholdOutcome } from './evaluate.js';

export interface ProbeCheck {
  /** Suite the check belongs to: an experiment, 'thresholds' or 'regression'. */
  suite: string;
  name: string;
  passed: boolean;
  /** One line saying why it failed (or what was measured). Redacted already. */
  message: string;
  /** The error class most responsible for a failed test, when there is one. */
  errorClass?: ErrorClass;
  durationMs: number;
}

/**
 * In order of precedence: the lake could not be reached at all; a critical result (an
 * embargo violation, a checksum mismatch); a test failed its criteria; a threshold or a
 * regression rule failed; all good.
 */
export type ProbeOutcome = 'unreachable' | 'critical' | 'check_failed' | 'threshold_failed' | 'ok';

export interface TestCheckInput {
  experiment: string;
  test: string;
  passed: boolean;
  reasons: string[];
}

/** Failures that mean nothing answered at all, as opposed to a lake that answered badly. */
const UNREACHABLE: ReadonlySet<ErrorClass> = new Set(['connection_refused', 'dns', 'connect_timeout']);

/** True when nothing succeeded and every failure was a failure to connect. */
export function lakeUnreachable(results: readonly OpResult[]): boolean {
  if (results.length === 0) return false;
  return results.every((r) => r.outcome === 'failed' && r.errorClass !== null && UNREACHABLE.has(r.errorClass));
}

function topClass(results: readonly OpResult[]): ErrorClass | undefined {
  const counts = new Map<ErrorClass, number>();
  for (const r of results) if (r.errorClass) counts.set(r.errorClass, (counts.get(r.errorClass) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

export function probeChecks(
  results: readonly OpResult[], tests: readonly TestCheckInput[],
  thresholds: readonly ThresholdOutcome[], regressions: readonly Regression[],
): ProbeCheck[] {
  const checks: ProbeCheck[] = tests.map((t) => {
    const mine = results.filter((r) => r.experiment === t.experiment && r.test === t.test);
    const errorClass = t.passed ? undefined : topClass(mine);
    const failed = mine.filter((r) => r.outcome === 'failed');
    const sample = failed.find((r) => r.errorClass === errorClass)?.errorMessage;
    const message = t.passed
      ? `${mine.length} operations, ${failed.length} failed`
      : [...t.reasons, errorClass ? `mostly ${errorClass}${sample ? `: ${sample}` : ''}` : ''].filter(Boolean).join('; ');
    return {
      suite: t.experiment, name: t.test, passed: t.passed, message, errorClass,
      durationMs: mine.reduce((s, r) => s + r.durationMs, 0),
    };
  });
  for (const o of thresholds) {
    checks.push({
      suite: 'thresholds', name: `${o.scope ? `${o.scope}: ` : ''}${o.threshold.key} ${o.threshold.expression}`,
      passed: o.passed, message: o.message, durationMs: 0,
    });
  }
  for (const r of regressions) {
    checks.push({ suite: 'regression', name: `${r.metric} ${r.where}`, passed: false, message: r.message, durationMs: 0 });
  }
  return checks;
}

export function probeOutcome(results: readonly OpResult[], checks: readonly ProbeCheck[], scenarioCrashes = 0): ProbeOutcome {
  if (lakeUnreachable(results)) return 'unreachable';
  if (results.some((r) => r.severity === 'critical')) return 'critical';
  if (scenarioCrashes > 0 || results.length === 0) return 'check_failed';
  if (checks.some((c) => !c.passed && c.suite !== 'thresholds' && c.suite !== 'regression')) return 'check_failed';
  if (checks.some((c) => !c.passed)) return 'threshold_failed';
  return 'ok';
}

const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** A short Markdown summary that CI pages show well: the outcome, then one row per check. */
export function probeSummaryMarkdown(plan: string, runId: string, outcome: ProbeOutcome, checks: readonly ProbeCheck[]): string {
  const failed = checks.filter((c) => !c.passed).length;
  const lines = [
    `## lakeprobe probe: ${plan} — ${outcome === 'ok' ? 'passed' : outcome.replace('_', ' ')}`, '',
    `Run \`${runId}\`: ${checks.length - failed} of ${checks.length} checks passed.`, '',
    '| | suite | check | detail |', '|---|---|---|---|',
  ];
  const ordered = [...checks].sort((a, b) => Number(a.passed) - Number(b.passed));
  for (const c of ordered) {
    lines.push(`| ${c.passed ? '✅' : '❌'} | ${mdCell(c.suite)} | ${mdCell(c.name)} | ${mdCell(c.message)} |`);
  }
  return `${lines.join('\n')}\n`;
}
