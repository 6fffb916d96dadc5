// Success criteria checked against the test they judge: a criterion that needs a fact its
// scenario never records (deleted at origin for an upload test), or replicas on an expression
// none of the test's rules asks for, could never be met: refused at validate, at the key.
import { CRITERION_CHECKS } from './report-schema.js';
import { ruleSpecsIn } from './rule-specs.js';
import type { PlanIssue } from './validate.js';
import type { PathSegment } from './diagnostics.js';

const WHO_RECORDS: Record<string, string> = {
  deleted_at_origin: 'lifecycle, or replicate with move: true',
  discoverable: 'ingestion (download_by_container or metadata), replication with metadata, download-verify',
  metadata: 'ingestion or replication with metadata',
  placement: 'the scenarios that make rules: replicate, replication, lifecycle with a destination, ingestion, reprocess, longhaul-sweep, download-verify (spread), auth-matrix (third_party_copy)',
};

export function criteriaAgainstTest(
  success: unknown, params: unknown, scenario: string, checks: readonly string[] | undefined, at: PathSegment[],
): PlanIssue[] {
  if (!success || typeof success !== 'object') return [];
  const s = success as Record<string, unknown>;
  const issues: PlanIssue[] = [];
  if (checks) {
    for (const { key, check } of CRITERION_CHECKS) {
      if (s[key] === undefined || checks.includes(check)) continue;
      issues.push({
        path: [...at, 'success', key], severity: 'error',
        message: `scenario ${scenario} with these params records no ${check.replace(/_/g, ' ')} check, so this criterion could never be judged (recorded by: ${WHO_RECORDS[check]})`,
      });
    }
  }
  const asked = ruleSpecsIn(params);
  if (Array.isArray(s.replicas) && asked.length) {
    s.replicas.forEach((r: unknown, i) => {
      const expression = (r as { expression?: unknown } | null)?.expression;
      if (typeof expression !== 'string' || asked.some((a) => a.expression === expression)) return;
      issues.push({
        path: [...at, 'success', 'replicas', i, 'expression'], severity: 'error',
        message: `no rule of the test asks for "${expression}" (its rules: ${asked.map((a) => a.expression).join(', ')})`,
      });
    });
  }
  return issues;
}
