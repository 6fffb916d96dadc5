// Rules that span more than one object of the plan. They run on the raw YAML data, so
// they report even when other parts of the plan fail the schema.
import { formatPath } from './diagnostics.js';
import type { PlanContext, ResolvedCredentials } from './resolved.js';
import { AUTH_METHODS, type AuthMethodName } from './schema.js';
import { validate, type PlanIssue } from './validate.js';
import { criteriaAgainstTest } from './criteria-checks.js';
import type { TransferNeed } from '../engine/scenario.js';
import { formatBytes } from '../engine/sizes.js';
import { DEFAULT_LINK_GBIT } from './limits-schema.js';

type Raw = Record<string, unknown>;

interface RawTest {
  experiment: number;
  index: number;
  test: Raw;
}

/** Scenario params after each scenario's own schema, by `${experiment}.${test}` index. */
export type ParsedParams = Map<string, unknown>;

export function duplicateNames(plan: unknown): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const experiments = listAt(plan, 'experiments');
  issues.push(...duplicatesIn(experiments, 'experiment', (i) => ['experiments', i, 'name']));
  experiments.forEach((experiment, i) => {
    issues.push(...duplicatesIn(listAt(experiment, 'tests'), 'test', (j) => ['experiments', i, 'tests', j, 'name']));
  });
  return issues;
}

export function checkScenarios(plan: unknown, ctx: PlanContext): { issues: PlanIssue[]; params: ParsedParams } {
  const issues: PlanIssue[] = [];
  const params: ParsedParams = new Map();
  for (const { experiment, index, test } of rawTests(plan)) {
    const at = ['experiments', experiment, 'tests', index];
    const scenario = test.scenario;
    if (typeof scenario !== 'string' || scenario === '') continue;
    const schema = ctx.scenarioParams(scenario);
    if (!schema) {
      const known = ctx.knownScenarios.length ? ctx.knownScenarios.join(', ') : 'none registered';
      issues.push({ path: [...at, 'scenario'], message: `unknown scenario "${scenario}" (known: ${known})`, severity: 'error' });
      continue;
    }
    const result = validate(schema, test.params ?? {}, [...at, 'params']);
    if (!result.ok) {
      issues.push(...result.issues);
      continue;
    }
    params.set(`${experiment}.${index}`, result.value);
    issues.push(...criteriaAgainstTest(test.success, result.value, scenario, ctx.scenarioChecks?.(scenario, result.value), at));
    const named = test.rses !== undefined || (isRecord(plan) && plan.rses !== undefined);
    const hooks = ctx.scenarioHooks?.(scenario);
    issues.push(...checkTransferNeeds(hooks?.transferNeeds?.(result.value) ?? [], linkGbit(plan), [...at, 'params']));
    if (!named && hooks && (hooks.usesRses?.(result.value) ?? true)) {
      issues.push({
        path: [...at, 'rses'],
        message: `scenario "${scenario}" takes its RSEs from the test's selection and none is named: `
          + 'set rses (names or an expression) on the test or a plan-level rses, or name the RSEs in params; '
          + 'a lake\'s "first RSE" is never chosen for a test',
        severity: 'error',
      });
    }
  }
  return { issues, params };
}

/** The link rate a plan's full-scale transfers may count on (Gb/s), `limits.link_gbit`. */
function linkGbit(plan: unknown): number {
  const limits = isRecord(plan) && isRecord(plan.limits) ? plan.limits : {};
  return typeof limits.link_gbit === 'number' && limits.link_gbit > 0 ? limits.link_gbit : DEFAULT_LINK_GBIT;
}

/** A rule timeout or lifetime shorter than its volume needs over the link ends in a false rule_timeout or lost data. */
function checkTransferNeeds(needs: TransferNeed[], gbit: number, at: (string | number)[]): PlanIssue[] {
  const issues: PlanIssue[] = [];
  for (const need of needs) {
    const required = Math.ceil((need.bytes * 8) / (gbit * 1e9));
    if (need.seconds >= required) continue;
    issues.push({
      path: [...at, need.param],
      message: `${need.seconds} s is shorter than the ${required} s that ${formatBytes(need.bytes)} needs over a ${gbit} Gb/s link `
        + `(limits.link_gbit): set ${need.param} to at least ${required}`,
      severity: 'error',
    });
  }
  return issues;
}

/** Without the sandbox, every method a test asks for needs credentials now. */
export function checkAuthMethods(plan: unknown, sandbox: boolean, credentials: ResolvedCredentials): PlanIssue[] {
  if (sandbox) return [];
  const hints: Record<AuthMethodName, string> = {
    userpass: 'set credentials.userpass, or username and password in rucio.cfg',
    x509: 'set credentials.x509, client_x509_proxy in rucio.cfg, or X509_USER_PROXY',
    token: 'set credentials.token, BEARER_TOKEN or BEARER_TOKEN_FILE',
  };
  const available = AUTH_METHODS.filter((m) => credentials[m] !== undefined);
  if (available.length === 0) {
    // Credentials the plan names but cannot use are reported one by one already.
    const named = isRecord(plan) && isRecord(plan.credentials) && Object.keys(plan.credentials).length > 0;
    if (named) return [];
    return [{ path: ['credentials'], message: `no usable credentials found: ${Object.values(hints).join('; ')}`, severity: 'error' }];
  }
  const issues: PlanIssue[] = [];
  for (const { experiment, index, test } of rawTests(plan)) {
    if (!Array.isArray(test.auth)) continue;
    test.auth.forEach((method: unknown, k) => {
      if (isAuthMethod(method) && !available.includes(method)) {
        issues.push({
          path: ['experiments', experiment, 'tests', index, 'auth', k],
          message: `no ${method} credentials: ${hints[method]}`,
          severity: 'error',
        });
      }
    });
  }
  return issues;
}

function duplicatesIn(items: unknown[], kind: string, pathOf: (i: number) => (string | number)[]): PlanIssue[] {
  const firstIndex = new Map<string, number>();
  const issues: PlanIssue[] = [];
  items.forEach((item, i) => {
    const name = isRecord(item) ? item.name : undefined;
    if (typeof name !== 'string') return;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, i);
    else {
      const firstAt = formatPath(pathOf(first).slice(0, -1));
      issues.push({ path: pathOf(i), message: `duplicate ${kind} name "${name}" (first used by ${firstAt})`, severity: 'error' });
    }
  });
  return issues;
}

function rawTests(plan: unknown): RawTest[] {
  return listAt(plan, 'experiments').flatMap((experiment, e) =>
    listAt(experiment, 'tests').flatMap((test, index) => (isRecord(test) ? [{ experiment: e, index, test }] : [])),
  );
}

function listAt(value: unknown, key: string): unknown[] {
  const list = isRecord(value) ? value[key] : undefined;
  return Array.isArray(list) ? list : [];
}

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAuthMethod(value: unknown): value is AuthMethodName {
  return (AUTH_METHODS as readonly unknown[]).includes(value);
}
