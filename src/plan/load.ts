// Loads a plan file: YAML → schema → cross-object checks → conventions, collecting every
// problem with its file:line:column before deciding whether the plan is usable.
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { z } from 'zod';
import { checkAuthMethods, checkScenarios, duplicateNames, type ParsedParams } from './checks.js';
import { resolveConventions, type Conventions } from './conventions.js';
import { formatPath, hasErrors, type Diagnostic } from './diagnostics.js';
import { fileProblem } from './files.js';
import { reportSuccess } from './report-schema.js';
import type { PlanContext, PlanLoadResult, ResolvedPlan, ResolvedTest, RseSelection } from './resolved.js';
import { credentialsSchema, lakeSchema, planSchema, type PlanFile } from './schema.js';
import { validate, type PlanIssue } from './validate.js';
import { MAX_ALIAS_COUNT, tooDeep, yamlErrorMessage } from './yaml-errors.js';
import { positionOf } from './yaml-positions.js';
import { scheduleIssues } from './schedule-checks.js';
import { checkUserScenarios } from './user-scenario-check.js';
import { consumesIssues, resolveConsumes } from './consumes.js';
import { identitiesFromEnv } from './identities.js';
import type { ResultsSection } from './results-schema.js';
import { isPostgresUrl } from '../results/postgres.js';

/** YAML errors after which the rest of the file cannot be read as intended. */
const STRUCTURE_BREAKING = new Set(['TAB_AS_INDENT', 'MISSING_CHAR', 'MULTIPLE_DOCS']);

export async function loadPlanFile(file: string, ctx: PlanContext): Promise<PlanLoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, diagnostics: [fileDiagnostic(file, `cannot read plan: ${fileProblem(err)}`)] };
  }
  return loadPlanText(text, file, ctx);
}

/** As loadPlanFile, for text already in memory; `file` names it in diagnostics and anchors relative paths. */
export async function loadPlanText(text: string, file: string, ctx: PlanContext): Promise<PlanLoadResult> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const diagnostics: Diagnostic[] = [
    ...doc.errors.map((e) => yamlDiagnostic(e, text, doc, file, lineCounter, 'error')),
    ...doc.warnings.map((e) => yamlDiagnostic(e, text, doc, file, lineCounter, 'warning')),
  ];
  // After these the structure read is guesswork: report them alone, not their consequences.
  if (doc.errors.some((e) => STRUCTURE_BREAKING.has(e.code) || /call stack/.test(e.message))) {
    sortDiagnostics(diagnostics, file);
    return { ok: false, diagnostics };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    // The only error left here: aliases expanding past the limit (an alias bomb).
    diagnostics.push(fileDiagnostic(file, `YAML: aliases expand too far (more than ${MAX_ALIAS_COUNT} alias uses): write the values out`));
    return { ok: false, diagnostics };
  }
  const deep = tooDeep(raw);
  if (deep) {
    const { line, column } = positionOf(doc, lineCounter, deep);
    diagnostics.push({ file, line, column, path: formatPath(deep), message: 'nested too deeply (more than 64 levels of mappings and lists)', severity: 'error' });
    return { ok: false, diagnostics };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    diagnostics.push(fileDiagnostic(file, 'a plan is a YAML mapping with at least "experiments"'));
    return { ok: false, diagnostics };
  }
  const data = raw as Record<string, unknown>;

  const parsed = validate(planSchema, data);
  // User scenarios first: their params schemas check the tests that name them.
  const user = ctx.registerScenario ? await checkUserScenarios(data, file, ctx.registerScenario) : undefined;
  diagnostics.push(...(user?.diagnostics ?? []));
  const scenarioCtx: PlanContext = user?.failed.size
    ? { ...ctx, scenarioParams: (name) => (user.failed.has(name) ? z.unknown() : ctx.scenarioParams(name)) }
    : ctx;
  const scenarios = checkScenarios(data, scenarioCtx);
  const issues: PlanIssue[] = [
    ...parsed.issues, ...duplicateNames(data), ...(user?.issues ?? []), ...scenarios.issues, ...scheduleIssues(data, scenarioCtx),
    ...consumesIssues(data, scenarioCtx, scenarios.params),
  ];

  // Conventions need only lake and credentials, so they run even when other parts are wrong.
  const lake = validate(lakeSchema.optional(), data.lake);
  const credentials = validate(credentialsSchema.optional(), data.credentials);
  let conventions: Conventions | undefined;
  if (lake.ok && credentials.ok) {
    conventions = await resolveConventions({
      lake: lake.value,
      credentials: credentials.value,
      planDir: dirname(file),
      env: ctx.env,
      uid: ctx.uid,
    });
    issues.push(...conventions.issues, ...checkAuthMethods(data, conventions.sandbox, conventions.credentials));
    diagnostics.push(...conventions.diagnostics);
  }

  diagnostics.push(...issues.map((issue) => issueDiagnostic(issue, file, doc, lineCounter)));
  sortDiagnostics(diagnostics, file);
  if (!parsed.ok || !conventions || hasErrors(diagnostics)) return { ok: false, diagnostics };
  return { ok: true, plan: withIdentities(buildPlan(parsed.value, file, conventions, scenarios.params), ctx.env), diagnostics };
}

/** Other identities by role, when the environment names any (the sandbox does). */
function withIdentities(plan: ResolvedPlan, env: PlanContext['env']): ResolvedPlan {
  const identities = identitiesFromEnv(env);
  return Object.keys(identities).length ? { ...plan, identities } : plan;
}

function buildPlan(plan: PlanFile, file: string, conventions: Conventions, params: ParsedParams): ResolvedPlan {
  const chains = resolveConsumes(plan);
  return {
    name: plan.name ?? basename(file, extname(file)),
    file,
    sandbox: conventions.sandbox,
    lake: conventions.lake,
    credentials: conventions.credentials,
    rses: selection(plan.rses) ?? { expression: '*' },
    experiments: plan.experiments.map((experiment, i) => ({
      name: experiment.name,
      description: experiment.description,
      tests: experiment.tests.map((test, j) => ({
        name: test.name,
        scenario: test.scenario,
        description: test.description,
        auth: test.auth ?? null,
        rses: selection(test.rses),
        params: params.get(`${i}.${j}`),
        schedule: test.schedule && {
          cron: test.schedule.cron,
          offsetSeconds: test.schedule.offset_seconds,
          jitterSeconds: test.schedule.jitter_seconds,
          jitterSeed: test.schedule.jitter_seed, timezone: test.schedule.timezone, cycle: test.schedule.cycle,
        },
        success: test.success && {
          maxFailureRate: test.success.max_failure_rate,
          maxP95Ms: test.success.max_p95_ms,
          ...reportSuccess(test.success),
        },
        thresholds: test.thresholds,
        concurrency: test.concurrency,
        ...chainOf(chains, experiment.name, test.name),
        ...((test.agent ?? experiment.agent) ? { agents: test.agent ?? experiment.agent } : {}),
      })),
    })),
    thresholds: plan.thresholds,
    regression: plan.regression && {
      throughputDropPercent: plan.regression.throughput_drop_percent,
      p95RisePercent: plan.regression.p95_rise_percent,
      newErrorClass: plan.regression.new_error_class,
      minSamples: plan.regression.min_samples,
    },
    limits: plan.limits && {
      concurrency: plan.limits.concurrency,
      testsInParallel: plan.limits.tests_in_parallel,
      authMethodsInParallel: plan.limits.auth_methods_in_parallel,
    },
    ...(plan.results ? { results: resultsOf(plan.results, file) } : {}),
    sources: conventions.sources,
  };
}

/** The plan's `results:` with files relative to the plan's folder made absolute. */
function resultsOf(results: ResultsSection, file: string): NonNullable<ResolvedPlan['results']> {
  const here = (path: string): string => resolve(dirname(file), path);
  return {
    ...(results.db ? { db: isPostgresUrl(results.db) ? results.db : here(results.db) } : {}),
    ...(results.journal ? { journal: here(results.journal) } : {}),
  };
}

/** A test's place in the plan's consumes chains, only where it has one (plans without chains resolve as before). */
function chainOf(chains: ReturnType<typeof resolveConsumes>, experiment: string, test: string): Pick<ResolvedTest, 'consumes' | 'consumedBy'> {
  const key = `${experiment}/${test}`;
  const consumes = chains.consumes.get(key);
  const consumedBy = chains.consumedBy.get(key);
  return { ...(consumes ? { consumes } : {}), ...(consumedBy ? { consumedBy } : {}) };
}

function selection(rses: RseSelection | undefined): RseSelection | undefined {
  if (rses?.names) return { names: rses.names };
  if (rses?.expression) return { expression: rses.expression };
  return undefined;
}

function issueDiagnostic(issue: PlanIssue, file: string, doc: Document, lineCounter: LineCounter): Diagnostic {
  const { line, column } = positionOf(doc, lineCounter, issue.path);
  return { file, line, column, path: formatPath(issue.path), message: issue.message, severity: issue.severity };
}

function yamlDiagnostic(
  e: YAMLError, text: string, doc: Document, file: string, lineCounter: LineCounter, severity: Diagnostic['severity'],
): Diagnostic {
  const { offset, message } = yamlErrorMessage(e, text, doc);
  const { line, col } = lineCounter.linePos(offset);
  return { file, line, column: col, path: '', message: `YAML: ${message}`, severity };
}

function fileDiagnostic(file: string, message: string): Diagnostic {
  return { file, line: 1, column: 1, path: '', message, severity: 'error' };
}

/** The plan's own diagnostics first, in reading order; then those in other files. */
function sortDiagnostics(diagnostics: Diagnostic[], file: string): void {
  diagnostics.sort(
    (a, b) =>
      Number(a.file !== file) - Number(b.file !== file) ||
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column,
  );
}
