// The challenge report: every experiment and test of the selected runs (a run, several runs,
// or a time window), with the plan each run was recorded with.
import { performed, type OpResult } from '../engine/op-result.js';
import { formatBytes } from '../engine/sizes.js';
import { SCALED_TIME_FLOOR_SECONDS } from '../engine/scale.js';
import type { PlanSnapshot, TestSnapshot } from '../results/plan-snapshot.js';
import type { AgentSummary } from '../agents/view.js';
import { agentNotes, agentReports } from './agents.js';
import { availabilityByAgent, availabilityByRse, availabilityByTest, dailyByRse, slotSecondsFor, successOverTime } from './availability.js';
import { failureGroups } from './failures.js';
import { endOf, minMax, operationRows } from './model.js';
import { linkInFlight } from './figures.js';
import { mbps } from './format.js';
import { observations } from './observations.js';
import type { ChallengeReport, ExperimentReport, RunRef, SummaryRow, TestReport } from './schema.js';
import {
  authFailures, authMatrix, cacheTable, embargoMatrix, linkMatrix, linksByAgent, linkSizes, replicationPercentiles, ruleReplicationPercentiles,
} from './tables.js';
import { overallVerdict, testReport } from './verdicts.js';

export interface ReportInput {
  name: string;
  /** The selected runs, oldest first. */
  runs: RunRef[];
  /** The plan of each run, by run id (stored with the run, or given for runs that predate that). */
  plans: ReadonlyMap<string, PlanSnapshot>;
  results: OpResult[];
  from?: string;
  to?: string;
  slotSeconds?: number;
  notes?: string[];
  /** The agents of a challenge run from many sites (read from the shared store); none for one machine's store. */
  agents?: readonly AgentSummary[];
}

const DEFAULT_TEST = (name: string, scenario: string): TestSnapshot => ({
  name, scenario, description: '', auth: null, params: '{}', success: {},
});

interface ExperimentPlan { name: string; description: string; tests: TestSnapshot[] }

/** Experiments and tests in plan order; a later run's plan describes a test it shares with an earlier one. */
function planned(input: ReportInput): ExperimentPlan[] {
  const experiments = new Map<string, ExperimentPlan>();
  const touched = new Set(input.results.map((r) => r.experiment));
  for (const run of input.runs) {
    for (const e of input.plans.get(run.runId)?.experiments ?? []) {
      if (!touched.has(e.name) && input.results.length) continue;
      const mine = experiments.get(e.name) ?? { name: e.name, description: '', tests: [] };
      mine.description = e.description || mine.description;
      for (const t of e.tests) {
        const i = mine.tests.findIndex((x) => x.name === t.name);
        if (i >= 0) mine.tests[i] = t;
        else mine.tests.push(t);
      }
      experiments.set(e.name, mine);
    }
  }
  for (const r of input.results) {
    const e = experiments.get(r.experiment) ?? { name: r.experiment, description: '', tests: [] };
    if (!e.tests.some((t) => t.name === r.test)) e.tests.push(DEFAULT_TEST(r.test, r.scenario));
    experiments.set(r.experiment, e);
  }
  return [...experiments.values()];
}

function experimentReport(e: ExperimentPlan, input: ReportInput, slotSeconds: number): ExperimentReport {
  // A skipped step (an earlier one failed) is no operation of the figures, failures or verdicts.
  const results = input.results.filter((r) => r.experiment === e.name && performed(r));
  const interruptedRuns = new Set(input.runs.filter((r) => r.state === 'interrupted').map((r) => r.runId));
  const planned = (runId: string, test?: string): boolean => (input.plans.get(runId)?.experiments ?? [])
    .some((x) => x.name === e.name && (test === undefined || x.tests.some((t) => t.name === test)));
  const agentStatusOf = agentNotes(e.name, e.tests.map((t) => t.name), input.agents ?? []);
  const tests = e.tests.map((t) => testReport({
    experiment: e.name, snapshot: t, results: results.filter((r) => r.test === t.name), interruptedRuns,
    interruptedBefore: [...interruptedRuns].filter((id) => planned(id, t.name)), slotSeconds, agentStatus: agentStatusOf.get(t.name),
  }));
  const groups = failureGroups(results);
  const links = linkMatrix(results);
  const logins = authFailures(results);
  // The runs of this experiment: those that recorded something for it, and interrupted ones that were to run it.
  const runIds = new Set([...results.map((r) => r.runId), ...[...interruptedRuns].filter((id) => planned(id))]);
  return {
    name: e.name, description: e.description, verdict: overallVerdict(tests), runs: [...runIds].sort(),
    scale: scaleText(input.runs.filter((r) => runIds.has(r.runId))), tests,
    observations: observations({ results, groups, links, authFailures: logins, runs: input.runs.filter((r) => runIds.has(r.runId)) }),
    failures: groups, rows: operationRows(results), links, linkSizes: linkSizes(results),
    replication: replicationPercentiles(results), replicationPerRule: ruleReplicationPercentiles(results),
    inFlight: linkInFlight(results), successOverTime: successOverTime(results, slotSeconds),
    availabilityByRse: availabilityByRse(results, slotSeconds), availabilityByTest: availabilityByTest(results, slotSeconds),
    linksByAgent: linksByAgent(results), availabilityByAgent: availabilityByAgent(results, slotSeconds),
    daily: dailyByRse(results),
    authMatrix: authMatrix(results), authFailures: logins, embargo: embargoMatrix(results), cache: cacheTable(results),
  };
}

export function summaryRow(t: TestReport, runs: RunRef[] = []): SummaryRow {
  const factors = [...new Set(runs.filter((r) => t.runs.includes(r.runId)).map((r) => r.scale ?? 1))].sort((a, b) => a - b);
  return {
    experiment: t.experiment, test: t.test, description: t.description,
    successMetric: t.criteria.map((c) => (c.fullScale ? `${c.text} (full scale: ${c.fullScale})` : c.text)).join('; '),
    volume: `${t.files} file${t.files === 1 ? '' : 's'} / ${formatBytes(t.bytes)}`, dataRate: mbps(t.dataRateMBps),
    qos: t.qos || '–', rses: t.rses.join(', '), scale: factors.join(' ') || '1', completed: t.verdict,
  };
}

/** How the runs were scaled, said once for the whole report ("" when all ran at full scale). */
export function scaleText(runs: RunRef[]): string {
  const factors = [...new Set(runs.map((r) => r.scale ?? 1))].filter((f) => f !== 1).sort((a, b) => a - b);
  if (!factors.length) return '';
  const which = runs.some((r) => (r.scale ?? 1) === 1) ? ' (some runs; the others at full scale)' : '';
  return `Rehearsal at --scale ${factors.join(', ')}${which}: counts and sizes shrank with the factor; criteria on files, volume and the times they take shrank with the work (times never below ${SCALED_TIME_FLOOR_SECONDS} s); rates, shares and latencies are kept. Each scaled criterion also states its full-scale target.`;
}

export function buildChallengeReport(input: ReportInput): ChallengeReport {
  const first = minMax(input.results.map((r) => Date.parse(r.start))).min;
  const last = minMax(input.results.map((r) => Date.parse(endOf(r)))).max;
  const from = input.from ?? (input.results.length ? new Date(first).toISOString() : '');
  const to = input.to ?? (input.results.length ? new Date(last).toISOString() : '');
  const slotSeconds = input.slotSeconds ?? slotSecondsFor(from ? Date.parse(from) : 0, to ? Date.parse(to) : 0);
  const experiments = planned(input).map((e) => experimentReport(e, input, slotSeconds));
  return {
    schemaVersion: 1, name: input.name, verdict: overallVerdict(experiments.flatMap((e) => e.tests)), scale: scaleText(input.runs),
    selection: { runs: input.runs, from, to }, slotSeconds,
    notes: input.notes ?? [], experiments, summary: experiments.flatMap((e) => e.tests.map((t) => summaryRow(t, input.runs))),
    agents: agentReports(input.agents ?? []),
  };
}

/** Whether every test of the report completed: what `lakeprobe run` and CI exit on. */
export function reportPassed(report: ChallengeReport): boolean {
  // A test the run was told to skip (--test) is "Not run": neither a pass nor a failure.
  return report.verdict === 'Completed';
}
