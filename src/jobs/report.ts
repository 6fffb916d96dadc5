// The report job: picks runs from the results store (ids, or a time window), takes each run's
// stored plan, builds the challenge report and writes it. Shared by `lakeprobe report`, the end
// of `lakeprobe run`, and anything else that wants a report.
import type { ResolvedPlan } from '../plan/index.js';
import { snapshotPlan, planHash, type PlanSnapshot } from '../results/plan-snapshot.js';
import type { ResultsStore, StoredRun } from '../results/store.js';
import type { OpResult } from '../engine/op-result.js';
import type { AgentSummary } from '../agents/view.js';
import { buildChallengeReport } from '../report/challenge.js';
import type { ChallengeReport, RunRef } from '../report/schema.js';
import { REPORT_FORMATS, writeReportSet, type ReportFormat, type WrittenReportSet } from '../report/write.js';
import { join } from 'node:path';

/** Bad input to the report job (unknown run, unreadable time, …): the CLI maps it to "invalid input". */
export class ReportInputError extends Error {}

export interface ReportJobOptions {
  store: ResultsStore;
  /** The folder reports go under; each report is a sub-folder named by `name`. */
  outDir: string;
  /** Sub-folder name; default: the run id, or a name for the window or the set of runs. */
  name?: string;
  /** Run ids ("latest" for the newest run); ignored when `from`/`to` are set. */
  runs?: string[];
  from?: string;
  to?: string;
  /** The plan: restricts to its experiments and runs, and stands in for runs recorded before plans were stored. */
  plan?: ResolvedPlan;
  formats?: readonly ReportFormat[];
  slotSeconds?: number;
  /** A scenario's description, for tests of a given `plan` that have none of their own. */
  describeScenario?: (scenario: string) => string | undefined;
  /** The agents of a challenge run from many sites (read from the shared store): the report states who is down. */
  agents?: readonly AgentSummary[];
  /** false: build the report model only, write nothing. */
  write?: boolean;
  log?: (line: string) => void;
}

export interface ReportJobResult {
  report: ChallengeReport;
  /** Undefined when asked not to write. */
  written?: WrittenReportSet;
  /** Runs this job found killed and marked interrupted. */
  interrupted: StoredRun[];
}

/** Bounds on a report's input, so one command cannot read an unbounded store into memory. */
export const MAX_REPORT_RUNS = 10_000;
export const MAX_REPORT_RESULTS = 2_000_000;

function isoTime(value: string, option: string): string {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw new ReportInputError(`${option} "${value}" is not a time: use ISO-8601, e.g. 2026-03-01 or 2026-03-01T12:00:00Z`);
  }
  return new Date(ms).toISOString();
}

const runRef = (r: StoredRun, hash: string, scale?: number): RunRef => ({
  runId: r.runId, planName: r.planName, planHash: hash, startedAt: r.startedAt, finishedAt: r.finishedAt ?? '', state: r.state,
  ...(scale !== undefined && scale !== 1 ? { scale } : {}),
});

const safeName = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');

interface Selection { runs: StoredRun[]; results: OpResult[]; from?: string; to?: string; name: string }

function select(o: ReportJobOptions): Selection {
  const { store } = o;
  if (o.from !== undefined || o.to !== undefined) {
    const from = isoTime(o.from ?? '1970-01-01', '--from');
    const to = isoTime(o.to ?? new Date().toISOString(), '--to');
    if (from >= to) throw new ReportInputError(`--from ${from} is not before --to ${to}`);
    let results = store.resultsBetween(from, to);
    const seen = new Set(results.map((r) => r.runId));
    const runs = store.runs().filter((r) => (!o.plan || r.planName === o.plan.name) && seen.has(r.runId)).reverse();
    const ids = new Set(runs.map((r) => r.runId));
    results = results.filter((r) => ids.has(r.runId));
    return { runs, results, from, to, name: o.name ?? `window-${safeName(from)}-${safeName(to)}` };
  }
  const asked = o.runs?.length ? o.runs : ['latest'];
  if (asked.length > MAX_REPORT_RUNS) throw new ReportInputError(`at most ${MAX_REPORT_RUNS} runs per report (got ${asked.length})`);
  // Runs named by id are looked up one by one: the daemon judges each run as it ends, and
  // reading every run ever stored each time would grow its work and memory with the store.
  const all = asked.includes('latest') ? store.runs() : [];
  const runs = asked.map((id) => {
    const run = id === 'latest' ? all.find((r) => !o.plan || r.planName === o.plan.name) : store.run(id);
    if (!run) throw new ReportInputError(`no run "${id}" in the results store ${store.path}`);
    return run;
  }).filter((r, i, list) => list.findIndex((x) => x.runId === r.runId) === i)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const results = runs.flatMap((r) => store.results(r.runId));
  const name = o.name ?? (runs.length === 1 ? (runs[0] as StoredRun).runId : `runs-${(runs[0] as StoredRun).runId}-${runs.length}`);
  return { runs, results, name };
}

/** Run ids a note names one by one (the rest are counted). */
const NOTE_RUNS = 5;

function runList(ids: readonly string[]): string {
  const named = ids.slice(0, NOTE_RUNS).join(', ');
  return ids.length > NOTE_RUNS ? `${named} and ${ids.length - NOTE_RUNS} more` : named;
}

const runsHave = (ids: readonly string[]): string => (ids.length === 1 ? `Run ${ids[0]} has` : `${ids.length} runs (${runList(ids)}) have`);
const runsWere = (ids: readonly string[]): string => (ids.length === 1 ? `Run ${ids[0]} was` : `${ids.length} runs (${runList(ids)}) were`);

export async function reportJob(o: ReportJobOptions): Promise<ReportJobResult> {
  const log = o.log ?? (() => {});
  const interrupted = o.store.markInterrupted();
  for (const r of interrupted) log(`run ${r.runId} never finished: marked interrupted (${r.total ?? 0} operations recorded)`);
  const sel = select(o);
  if (sel.results.length > MAX_REPORT_RESULTS) {
    throw new ReportInputError(`${sel.results.length} operations selected, more than ${MAX_REPORT_RESULTS}: choose a shorter --from/--to window`);
  }
  const given = o.plan ? snapshotPlan(o.plan, o.describeScenario) : undefined;
  const givenHash = given ? planHash(given) : '';
  const plans = new Map<string, PlanSnapshot>();
  // What the report could not judge as recorded is said once for all the runs it concerns.
  const otherPlan = new Map<string, string[]>();
  const fromGiven: string[] = [];
  const unjudged: string[] = [];
  const refs = sel.runs.map((run) => {
    const stored = o.store.plan(run.runId);
    if (stored) {
      plans.set(run.runId, stored.snapshot);
      if (given && stored.hash !== givenHash) otherPlan.set(stored.hash, [...(otherPlan.get(stored.hash) ?? []), run.runId]);
      return runRef(run, stored.hash, stored.snapshot.scale);
    }
    if (given) {
      plans.set(run.runId, given);
      fromGiven.push(run.runId);
      return runRef(run, givenHash);
    }
    unjudged.push(run.runId);
    return runRef(run, '');
  });
  const notes: string[] = [
    ...[...otherPlan].map(([hash, ids]) => `${runsWere(ids)} recorded with plan ${hash.slice(0, 12)}; ${o.plan?.file} is now ${givenHash.slice(0, 12)}: ${ids.length === 1 ? 'its' : 'their'} verdicts use the criteria stored with the run.`),
    ...(fromGiven.length ? [`${runsHave(fromGiven)} no stored plan: ${fromGiven.length === 1 ? 'its' : 'their'} descriptions and criteria come from ${o.plan?.file}.`] : []),
    ...(unjudged.length ? [`${runsHave(unjudged)} no stored plan and no --plan was given: tests are judged by the default criterion (no operation failed).`] : []),
  ];
  let results = sel.results;
  if (given) {
    const experiments = new Set(given.experiments.map((e) => e.name));
    results = results.filter((r) => experiments.has(r.experiment));
  }
  const report = buildChallengeReport({
    name: o.plan?.name ?? sel.runs[0]?.planName ?? sel.name, runs: refs, plans, results,
    from: sel.from, to: sel.to, slotSeconds: o.slotSeconds, notes, agents: o.agents,
  });
  if (o.write === false) return { report, interrupted };
  const written = await writeReportSet(join(o.outDir, sel.name), report, o.formats ?? REPORT_FORMATS);
  if (written.divertedFrom) log(`${written.divertedFrom} holds a different report of the same name: kept it, wrote this one to ${written.dir}`);
  return { report, written, interrupted };
}
