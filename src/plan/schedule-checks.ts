// Schedule checks that need more than the schedule itself: a cycled parameter must
// take each of its values under the scenario's own schema, and a cron expression that
// restricts both day-of-month and day-of-week gets a warning, because the scheduler
// (node-cron) requires both to match where classic cron accepts either.
import type { PlanContext } from './resolved.js';
import { validate, type PlanIssue } from './validate.js';

type Raw = Record<string, unknown>;

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

export function scheduleIssues(plan: unknown, ctx: PlanContext): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const experiments = isRecord(plan) && Array.isArray(plan.experiments) ? plan.experiments : [];
  experiments.forEach((experiment: unknown, i) => {
    const tests = isRecord(experiment) && Array.isArray(experiment.tests) ? experiment.tests : [];
    tests.forEach((test: unknown, j) => {
      if (!isRecord(test) || !isRecord(test.schedule)) return;
      const at = ['experiments', i, 'tests', j, 'schedule'];
      const { cron, cycle } = test.schedule;
      if (typeof cron === 'string' && restrictsBothDays(cron)) {
        issues.push({
          path: [...at, 'cron'], severity: 'warning',
          message: 'sets both day-of-month and day-of-week: the daemon fires only on days matching BOTH (classic cron fires on either)',
        });
      }
      if (isRecord(cycle) && typeof cycle.param === 'string' && Array.isArray(cycle.values)) {
        issues.push(...cycleIssues(test, cycle.param, cycle.values, [...at, 'cycle'], ctx));
      }
    });
  });
  return issues;
}

/** Fields 3 and 5 of a 5-field expression (4 and 6 with seconds) both other than "*". */
export function restrictsBothDays(cron: string): boolean {
  const fields = cron.trim().split(/\s+/);
  const shift = fields.length === 6 ? 1 : 0;
  const dom = fields[2 + shift];
  const dow = fields[4 + shift];
  return dom !== undefined && dow !== undefined && !dom.startsWith('*') && !dow.startsWith('*') && dom !== '?' && dow !== '?';
}

function cycleIssues(test: Raw, param: string, values: unknown[], at: (string | number)[], ctx: PlanContext): PlanIssue[] {
  if (typeof test.scenario !== 'string') return [];
  const schema = ctx.scenarioParams(test.scenario);
  if (!schema) return [];
  const base = isRecord(test.params) ? test.params : {};
  const issues: PlanIssue[] = [];
  values.forEach((value, k) => {
    const result = validate(schema, { ...base, [param]: value });
    if (result.ok) return;
    const own = result.issues.filter((iss) => iss.path[0] === param);
    const message = (own[0] ?? result.issues[0])?.message ?? 'invalid';
    const unknownParam = result.issues.some((iss) => /unknown key/i.test(iss.message) && iss.message.includes(`"${param}"`));
    issues.push({
      path: unknownParam ? [...at, 'param'] : [...at, 'values', k], severity: 'error',
      message: unknownParam
        ? `scenario ${test.scenario} has no parameter "${param}": ${message}`
        : `${param}=${JSON.stringify(value)} is not valid for scenario ${test.scenario}: ${message}`,
    });
  });
  return unknownParam(issues);
}

/** One "no such parameter" issue is enough, not one per value. */
function unknownParam(issues: PlanIssue[]): PlanIssue[] {
  const seen = new Set<string>();
  return issues.filter((iss) => {
    const key = `${iss.path.join('.')}|${iss.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
