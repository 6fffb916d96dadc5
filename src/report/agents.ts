// The agents of a challenge run from many sites, as the report states them: each agent's state
// and, for a test no running agent runs, why ("agent down since T"), in the status page's words.
import { agentStatus, testViews, type AgentSummary } from '../agents/view.js';
import type { AgentReport, ChallengeReport, SummaryRow } from './schema.js';

/** A report lists at most this many agents (a challenge has a handful of sites). */
export const MAX_REPORT_AGENTS = 1000;

export function agentReports(agents: readonly AgentSummary[]): AgentReport[] {
  return agents.slice(0, MAX_REPORT_AGENTS).map((a) => ({
    agent: a.name, state: a.state, status: agentStatus(a), lastHeartbeat: a.lastHeartbeat.toISOString(),
    clockOffsetMs: a.clockOffsetMs, tests: a.tests,
  }));
}

/**
 * Per test of an experiment, what the report says of its agents: '' while one of them runs
 * (or none claims the test), else the status page's text ("<agent>: agent down since T", "no running agent (…)").
 */
export function agentNotes(experiment: string, tests: readonly string[], agents: readonly AgentSummary[]): Map<string, string> {
  const known = agents.slice(0, MAX_REPORT_AGENTS);
  const assignments = tests.map((test) => ({
    experiment, test, agents: known.filter((a) => a.tests.includes(`${experiment}/${test}`)).map((a) => a.name),
  }));
  return new Map(testViews(assignments, known, []).map((v) => [v.test, v.uncovered && v.agents.length ? v.status : '']));
}

/** The agent status of a summary row's test ('' when an agent runs it). */
export function summaryAgentStatus(report: ChallengeReport, row: SummaryRow): string {
  return report.experiments.find((e) => e.name === row.experiment)?.tests.find((t) => t.test === row.test)?.agentStatus ?? '';
}
