// A challenge run from several sites: results that name the agent that ran them, recounted here
// with plain loops (never the report's helpers) against the per-agent link matrix and
// availability; and the agents' states, a down agent's tests saying so in every format.
import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import type { AgentSummary } from '../../src/agents/view.js';
import { buildChallengeReport } from '../../src/report/challenge.js';
import { challengeReportSchema } from '../../src/report/schema.js';
import { renderReportFiles } from '../../src/report/write.js';
import { csvRows } from '../helpers/csv-rows.js';
import { opResult } from '../helpers/op-result.js';

const T0 = Date.parse('2026-06-01T00:00:00.000Z');
const SLOT = 60;
const AGENTS = ['site-a', 'site-b'];
const LINKS: [string, string][] = [['SITE_A', 'SITE_B'], ['SITE_A', 'SITE_C'], ['SITE_B', 'SITE_C']];
const RSES = ['SITE_A', 'SITE_B', 'SITE_C'];

interface LinkTruth { attempts: number; ok: number; bytes: number; okMs: number[] }

/** Nearest-rank percentile, as the README defines it. */
function nearestRank(values: number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

/**
 * Two agents copying over three links (one copy at a time, so a link's wall time is the sum of
 * its copies' durations) and uploading to three RSEs across slots; plus results the per-agent
 * tables must leave out (no agent, logins, listings, catalogue calls).
 */
function generate(): { results: OpResult[]; links: Map<string, LinkTruth> } {
  const results: OpResult[] = [];
  const links = new Map<string, LinkTruth>();
  let cursor = T0;
  let request = 0;
  for (const [ai, agent] of AGENTS.entries()) {
    for (const [li, [src, dst]] of LINKS.entries()) {
      if (agent === 'site-b' && li === 2) continue; // site-b never used SITE_B→SITE_C
      const truth: LinkTruth = { attempts: 0, ok: 0, bytes: 0, okMs: [] };
      for (let i = 0; i < 4 + ai + li; i++) {
        const ok = (i + ai + li) % 3 !== 0;
        const bytes = 1_000_000 * (i + 1);
        const durationMs = 1000 * (i + 1 + ai);
        results.push(opResult({
          agent, test: 'rep', scenario: 'replicate', operation: 'replicate', rse: dst, srcRse: src, dstRse: dst, protocol: 'davs',
          bytes, start: new Date(cursor).toISOString(), durationMs, requestId: `req-${request++}`,
          ...(ok ? {} : { outcome: 'failed', severity: 'error', errorClass: 'transfer_source_error', errorMessage: 'copy failed' }),
        }));
        cursor += durationMs + 500;
        truth.attempts++;
        if (ok) { truth.ok++; truth.bytes += bytes; truth.okMs.push(durationMs); }
      }
      links.set(`${agent}|${src}|${dst}`, truth);
    }
  }
  // Uploads from each agent to each RSE over five slots; some fail, some slots see only failures.
  for (const [ai, agent] of AGENTS.entries()) {
    for (const [ri, rse] of RSES.entries()) {
      for (let slot = 0; slot < 5; slot++) {
        if ((slot + ri) % 4 === 3) continue; // a slot this agent never exercised this RSE in
        const ok = (slot + ai + ri) % 3 !== 1;
        results.push(opResult({
          agent, test: 'up', operation: 'upload', rse, start: new Date(T0 + (slot * SLOT + 10 * ri) * 1000).toISOString(),
          ...(ok ? {} : { outcome: 'failed', severity: 'error', errorClass: 'server_error', errorMessage: 'HTTP 500' }),
        }));
      }
    }
    // Neither logins, listings nor catalogue calls make an RSE up or down.
    results.push(opResult({ agent, test: 'up', operation: 'auth', rse: 'SITE_C', protocol: 'rucio', start: new Date(T0 + 400_000).toISOString() }));
    results.push(opResult({ agent, test: 'up', operation: 'list', rse: 'SITE_C', start: new Date(T0 + 400_000).toISOString() }));
    results.push(opResult({ agent, test: 'up', operation: 'register', rse: 'SITE_C', protocol: 'rucio', start: new Date(T0 + 460_000).toISOString() }));
  }
  // A result no agent ran (a process without --agent) is in no per-agent table.
  results.push(opResult({ test: 'up', operation: 'upload', rse: 'SITE_D', start: new Date(T0).toISOString() }));
  return { results, links };
}

/** Availability recounted: per (agent, RSE) and per agent, the slots exercised and those with a success. */
function availabilityTruth(results: OpResult[]): Map<string, { slots: Set<number>; up: Set<number> }> {
  const truth = new Map<string, { slots: Set<number>; up: Set<number> }>();
  for (const r of results) {
    if (!r.agent || !r.rse || r.protocol === 'rucio' || r.operation === 'auth' || r.operation === 'list') continue;
    const slot = Math.floor(Date.parse(r.start) / 1000 / SLOT);
    for (const key of [`${r.agent}|`, `${r.agent}|${r.rse}`]) {
      const t = truth.get(key) ?? { slots: new Set<number>(), up: new Set<number>() };
      t.slots.add(slot);
      if (r.outcome === 'ok') t.up.add(slot);
      truth.set(key, t);
    }
  }
  return truth;
}

const report = (results: OpResult[], agents?: AgentSummary[]) => buildChallengeReport({
  name: 'multi', runs: [{ runId: 'run-1', planName: 'multi', planHash: '', startedAt: '', finishedAt: '', state: 'finished' }],
  plans: new Map(), results, slotSeconds: SLOT, agents,
});

describe('per-agent tables of a challenge run from several sites', () => {
  const { results, links } = generate();

  it('states the link matrix per agent exactly as recounted', () => {
    const e = report(results).experiments[0]!;
    expect(e.linksByAgent.map((c) => `${c.agent}|${c.src}|${c.dst}`).sort()).toEqual([...links.keys()].sort());
    for (const c of e.linksByAgent) {
      const t = links.get(`${c.agent}|${c.src}|${c.dst}`)!;
      const okSeconds = t.okMs.reduce((s, ms) => s + ms, 0) / 1000;
      expect(c).toEqual({
        agent: c.agent, src: c.src, dst: c.dst, attempts: t.attempts, successes: t.ok, successRate: t.ok / t.attempts,
        p50Ms: nearestRank(t.okMs, 50), p95Ms: nearestRank(t.okMs, 95), bytes: t.bytes, mbPerS: t.bytes / okSeconds / 1e6,
      });
    }
  });

  it('states availability per agent and RSE, and per agent over all its RSEs, exactly as recounted', () => {
    const e = report(results).experiments[0]!;
    const truth = availabilityTruth(results);
    expect(e.availabilityByAgent.map((a) => `${a.agent}|${a.rse}`).sort()).toEqual([...truth.keys()].sort());
    for (const a of e.availabilityByAgent) {
      const t = truth.get(`${a.agent}|${a.rse}`)!;
      expect(a).toEqual({ agent: a.agent, rse: a.rse, slots: t.slots.size, upSlots: t.up.size, availability: t.up.size / t.slots.size });
    }
    // The recount has down slots to find: the figures are not all 100 %.
    expect(e.availabilityByAgent.some((a) => a.availability < 1)).toBe(true);
  });

  it('writes the per-agent tables in Markdown, HTML and CSV, the CSV stating the recounted figures', () => {
    const built = report(results);
    const files = renderReportFiles(built, ['md', 'html', 'csv']);
    const base = built.experiments[0]!.name;
    const md = files.get(`${base}.md`)!;
    const html = files.get(`${base}.html`)!;
    expect(md).toContain('## Links per agent');
    expect(md).toContain('## Availability per agent');
    expect(html).toContain('<h2>Links per agent</h2>');
    expect(html).toContain('<h2>Availability per agent</h2>');
    const linkRows = csvRows(files.get(`${base}.links-by-agent.csv`)!);
    expect(linkRows).toHaveLength(links.size);
    for (const row of linkRows) {
      const t = links.get(`${row.agent}|${row.src_rse}|${row.dst_rse}`)!;
      expect([Number(row.attempts), Number(row.successes), Number(row.bytes)]).toEqual([t.attempts, t.ok, t.bytes]);
    }
    const truth = availabilityTruth(results);
    const availRows = csvRows(files.get(`${base}.availability-agent.csv`)!);
    expect(availRows).toHaveLength(truth.size);
    for (const row of availRows) {
      const t = truth.get(`${row.agent}|${row.rse}`)!;
      expect([Number(row.slots), Number(row.up_slots)]).toEqual([t.slots.size, t.up.size]);
    }
  });

  it('leaves the per-agent sections out of a report whose results name no agent', () => {
    const built = report(results.map(({ agent: _, ...r }) => r));
    const e = built.experiments[0]!;
    expect([e.linksByAgent, e.availabilityByAgent, built.agents]).toEqual([[], [], []]);
    const files = renderReportFiles(built, ['md', 'html', 'csv']);
    expect(files.get(`${e.name}.md`)).not.toContain('per agent');
    expect(files.get(`${e.name}.html`)).not.toContain('per agent');
    expect(files.get('summary.md')).not.toContain('## Agents');
    expect([...files.keys()].filter((f) => f.includes('agent'))).toEqual([]);
  });
});

describe('the agents in a challenge report', () => {
  const downSince = new Date('2026-06-01T00:05:00.000Z');
  const agents: AgentSummary[] = [
    { name: 'site-a', state: 'down', downSince, lastHeartbeat: downSince, clockOffsetMs: 12.5, tests: ['EXP/t1', 'EXP/t4'] },
    { name: 'site-b', state: 'running', downSince: null, lastHeartbeat: new Date('2026-06-01T01:00:00.000Z'), clockOffsetMs: -3, tests: ['EXP/t2', 'EXP/t4'] },
    { name: 'site-c', state: 'stopped', downSince: null, lastHeartbeat: new Date('2026-06-01T00:30:00.000Z'), clockOffsetMs: 0, tests: ['EXP/t3'] },
  ];
  const results = ['t1', 't2', 't3', 't4', 't5'].map((test, i) => opResult({ experiment: 'EXP', test, start: new Date(T0 + i * 1000).toISOString() }));

  it('says of each test whose every agent is down "agent down since T", naming the agent; "no running agent" when none is up or down', () => {
    const built = report(results, agents);
    const status = Object.fromEntries(built.experiments[0]!.tests.map((t) => [t.test, t.agentStatus]));
    expect(status.t1).toBe('site-a: agent down since 2026-06-01T00:05:00Z');
    expect(status.t2).toBe(''); // site-b runs it
    expect(status.t3).toMatch(/^no running agent \(site-c /);
    expect(status.t4).toBe(''); // site-a is down, but site-b runs it too
    expect(status.t5).toBe(''); // no agent claims it
    expect(built.agents.map((a) => [a.agent, a.state, a.status, a.lastHeartbeat, a.clockOffsetMs, a.tests])).toEqual([
      ['site-a', 'down', 'agent down since 2026-06-01T00:05:00Z', '2026-06-01T00:05:00.000Z', 12.5, ['EXP/t1', 'EXP/t4']],
      ['site-b', 'running', 'up', '2026-06-01T01:00:00.000Z', -3, ['EXP/t2', 'EXP/t4']],
      ['site-c', 'stopped', 'stopped (last heartbeat 2026-06-01T00:30:00Z)', '2026-06-01T00:30:00.000Z', 0, ['EXP/t3']],
    ]);
    expect(challengeReportSchema.safeParse(JSON.parse(JSON.stringify(built))).success).toBe(true);
  });

  it('shows the down agent in the summary and test tables of Markdown and HTML, and in the CSV', () => {
    const files = renderReportFiles(report(results, agents), ['md', 'html', 'csv']);
    const down = 'site-a: agent down since 2026-06-01T00:05:00Z';
    for (const name of ['summary.md', 'EXP.md', 'summary.html', 'EXP.html']) expect(files.get(name), name).toContain(down);
    expect(files.get('summary.md')).toContain('## Agents');
    expect(files.get('summary.md')).toMatch(/\| site-a \| agent down since 2026-06-01T00:05:00Z \| 2026-06-01T00:05:00.000Z \| \+0\.013 s \| EXP\/t1, EXP\/t4 \|/);
    expect(files.get('summary.html')).toContain('<h2>Agents</h2>');
    const tests = csvRows(files.get('EXP.tests.csv')!);
    expect(tests.find((t) => t.test === 't1')?.agent_status).toBe(down);
    expect(csvRows(files.get('summary.agents.csv')!).map((a) => [a.agent, a.state])).toEqual([['site-a', 'down'], ['site-b', 'running'], ['site-c', 'stopped']]);
  });
});
