// One challenge as the coordinator sees it: every agent (its last heartbeat, clock offset,
// state) and every test of the plan (who runs it, whether that agent is up, its last verdict).
import { coverage, type TestAssignment } from './assignment.js';
import type { AgentRow, AgentRunRow } from './coordination.js';

export interface TestView {
  experiment: string;
  test: string;
  agents: string[];
  /** 'running on a, b', 'agent down since T', 'no running agent', 'assigned to no agent'. */
  status: string;
  /** True when no live agent runs the test. */
  uncovered: boolean;
  lastVerdict: string;
  lastRun: string;
}

/** What a report or a page needs of an agent: who it is, whether it is up, and what it runs. */
export type AgentSummary = Pick<AgentRow, 'name' | 'state' | 'downSince' | 'lastHeartbeat' | 'clockOffsetMs' | 'tests'>;

const iso = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

export function agentStatus(a: Pick<AgentRow, 'state' | 'downSince' | 'lastHeartbeat'>): string {
  if (a.state === 'down') return `agent down since ${iso(a.downSince ?? a.lastHeartbeat)}`;
  if (a.state === 'stopped') return `stopped (last heartbeat ${iso(a.lastHeartbeat)})`;
  return 'up';
}

export function testViews(assignments: readonly TestAssignment[], agents: readonly AgentSummary[], lastRuns: readonly AgentRunRow[]): TestView[] {
  const byName = new Map(agents.map((a) => [a.name, a]));
  const live = new Set(agents.filter((a) => a.state === 'running').map((a) => a.name));
  const last = new Map(lastRuns.map((r) => [`${r.experiment}/${r.test}`, r]));
  return assignments.map((a) => {
    const cov = coverage(a, live);
    const down = a.agents.map((n) => byName.get(n)).filter((x): x is AgentSummary => x?.state === 'down');
    const status = cov === 'unassigned' ? 'assigned to no agent'
      : cov === 'covered' ? `running on ${a.agents.filter((n) => live.has(n)).join(', ')}`
        : down.length ? down.map((d) => `${d.name}: ${agentStatus(d)}`).join('; ')
          : `no running agent (${a.agents.join(', ')} never started or stopped)`;
    const run = last.get(`${a.experiment}/${a.test}`);
    return {
      experiment: a.experiment, test: a.test, agents: a.agents, status, uncovered: cov !== 'covered',
      lastVerdict: run ? (run.state === 'finished' ? run.verdict || 'finished' : run.state) : '',
      lastRun: run ? `${run.runId} on ${run.agent}` : '',
    };
  });
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function table(id: string, head: string[], rows: { cells: string[]; cls?: string }[], empty: string): string {
  if (!rows.length) return `<p id="${id}" class="empty">${esc(empty)}</p>`;
  return `<table id="${id}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${
    rows.map((r) => `<tr${r.cls ? ` class="${r.cls}"` : ''}>${r.cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>\n`;
}

export const clockOffsetText = (ms: number): string => `${ms >= 0 ? '+' : ''}${(ms / 1000).toFixed(3)} s`;

/** The agents table: name, host, pid, state, last heartbeat (database clock), age, clock offset, plan hash, tests. */
export function renderAgentsSection(agents: readonly AgentRow[], now: Date): string {
  return `<h2>Agents</h2>\n${table('agents', ['agent', 'host', 'pid', 'state', 'last heartbeat', 'age', 'clock offset', 'plan', 'tests'], agents.map((a) => ({
    cls: a.state === 'down' ? 'failed' : undefined,
    cells: [a.name, a.host, String(a.pid), agentStatus(a), iso(a.lastHeartbeat), `${Math.max(0, Math.round((now.getTime() - a.lastHeartbeat.getTime()) / 1000))} s`,
      clockOffsetText(a.clockOffsetMs), a.planHash.slice(0, 12), a.tests.join(', ')],
  })), 'no agent has heartbeated into the store')}`;
}

export function renderTestsSection(tests: readonly TestView[]): string {
  return `<h2>Tests</h2>\n${table('tests', ['test', 'agents', 'status', 'last verdict', 'last run'], tests.map((t) => ({
    cls: t.uncovered ? 'failed' : undefined,
    cells: [`${t.experiment}/${t.test}`, t.agents.join(', ') || '-', t.status, t.lastVerdict, t.lastRun],
  })), 'the plan has no tests')}`;
}

export function renderCoordinatorPage(v: {
  plan: string; planSource: string; store: string; now: Date; agents: readonly AgentRow[]; tests: readonly TestView[]; refreshSeconds: number;
}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${v.refreshSeconds}">
<title>lakeprobe coordinator — ${esc(v.plan)}</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}.failed{color:#b00}.empty{color:#777}</style></head><body>
<h1>lakeprobe coordinator: ${esc(v.plan)}</h1>
<p id="summary">store ${esc(v.store)} · plan ${esc(v.planSource)} · page generated ${esc(iso(v.now))}</p>
${renderAgentsSection(v.agents, v.now)}${renderTestsSection(v.tests)}</body></html>
`;
}
