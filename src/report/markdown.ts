import { ERROR_CLASSES, type ErrorClass } from '../engine/taxonomy.js';
import { placesText } from './failures.js';
import {
  AGENTS, authGrids, AVAILABILITY_BY_AGENT, dailyPivot, formatBytes, IN_FLIGHT, linkGrid, LINKS_BY_AGENT, mbps, OPERATION_ROWS, percent,
  replicationTime, TIME_TO_REPLICATE, withAgentStatus,
} from './format.js';
import type { ChallengeReport, ExperimentReport, SummaryRow, TestReport } from './schema.js';
import { criterionLine } from './criteria.js';
import { summaryAgentStatus } from './agents.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** Messages go in code spans: renderers would otherwise eat `<redacted>` as an HTML tag. */
const code = (s: string): string => `\`${s.replace(/\n/g, ' ').replace(/`/g, "'")}\``;
/** The Markdown of success over time lists at most this many slots (the CSV has them all). */
const MAX_TIME_ROWS = 48;

function table(header: string[], rows: (string | number)[][], align?: string[]): string[] {
  return [
    `| ${header.join(' | ')} |`, `|${header.map((_, i) => (align?.[i] ?? '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => cell(String(c))).join(' | ')} |`),
  ];
}

function runLine(report: ChallengeReport, e: ExperimentReport): string {
  const runs = report.selection.runs.filter((r) => e.runs.includes(r.runId));
  const text = runs.map((r) => `\`${r.runId}\`${r.state === 'finished' ? '' : ` (${r.state})`}`).join(', ') || 'none';
  const hashes = [...new Set(runs.map((r) => r.planHash).filter(Boolean))].map((h) => `\`${h.slice(0, 12)}\``);
  return `Runs ${text}; from ${report.selection.from || 'n/a'} to ${report.selection.to || 'n/a'}${hashes.length ? `; plan ${hashes.join(', ')}` : ''}. Verdict: **${e.verdict}**.`;
}

/** A test's verdict with its reasons, and why no agent runs it when none does. */
function verdictText(t: TestReport): string {
  const verdict = t.verdict === 'Completed' || t.verdict === 'Not run' ? t.verdict : `${t.verdict}: ${t.reasons.join('; ')}`;
  return withAgentStatus(verdict, t.agentStatus);
}

function tests(e: ExperimentReport): string[] {
  const out = ['## Tests', ''];
  out.push(...table(['test', 'description', 'QoS', 'success criteria', 'operations', 'failed', 'files', 'volume', 'data rate', 'RSEs', 'verdict'],
    e.tests.map((t) => [
      t.test, t.description || '–', t.qos || '–', t.criteria.map(criterionLine).join('; '),
      t.operations, t.failures, t.files, formatBytes(t.bytes), mbps(t.dataRateMBps), t.rses.join(', ') || '–', verdictText(t),
    ])));
  return out;
}

function observations(e: ExperimentReport): string[] {
  if (!e.observations.length) return [];
  return ['', '## Observations', '', ...e.observations.map((o) => `- **${o.severity}** ${cell(o.title)}. ${code(o.detail)}`)];
}

function figures(e: ExperimentReport, slotSeconds: number): string[] {
  const out: string[] = [];
  if (e.links.length) {
    const grid = linkGrid(e);
    out.push('', '## Link matrix (source ↓ × destination →)', '', ...table(['source', ...grid.dsts], grid.rows.map((r) => [r.src, ...r.cells])));
    out.push('', '## Links (source × destination)', '', 'One row per link; files count once per destination they reached, whatever results describe them.', '', ...table(['source', 'destination', 'files tried', 'success', 'p50', 'p95', 'volume', 'rate'],
      e.links.map((l) => [l.src, l.dst, l.attempts, percent(l.successRate), replicationTime(l.p50Ms), replicationTime(l.p95Ms), formatBytes(l.bytes), mbps(l.mbPerS)])));
    out.push('', '## Throughput per link and file size', '', ...table(['source', 'destination', 'size', 'attempts', 'ok', 'rate', 'best'],
      e.linkSizes.map((s) => [s.src, s.dst, s.sizeClass, s.attempts, s.successes, mbps(s.mbPerS), s.best ? '★' : ''])));
  }
  if (e.linksByAgent.length) out.push('', '## Links per agent', '', LINKS_BY_AGENT.about, '', ...table(LINKS_BY_AGENT.header, LINKS_BY_AGENT.rows(e.linksByAgent)));
  if (e.replication.length) out.push('', '## Time to replicate, per file', '', TIME_TO_REPLICATE.perFile, '', ...table(TIME_TO_REPLICATE.header, TIME_TO_REPLICATE.rows(e.replication)));
  if (e.replicationPerRule.length) out.push('', '## Time to replicate, per rule', '', TIME_TO_REPLICATE.perRule, '', ...table(TIME_TO_REPLICATE.header, TIME_TO_REPLICATE.rows(e.replicationPerRule)));
  if (e.inFlight.length) out.push('', '## Transfers in flight', '', IN_FLIGHT.about, '', ...table(IN_FLIGHT.header, IN_FLIGHT.rows(e.inFlight)));
  const avail = (title: string, key: string, rows: ExperimentReport['availabilityByRse']): string[] => (rows.length
    ? ['', title, '', ...table([key, 'slots exercised', 'slots up', 'availability'], rows.map((a) => [a.key, a.slots, a.upSlots, percent(a.availability)]))]
    : []);
  out.push(...avail('## Availability per RSE', 'RSE', e.availabilityByRse), ...avail('## Availability per test', 'test', e.availabilityByTest));
  if (e.availabilityByRse.length) out.push('', `Slots of ${slotSeconds} s; an RSE or test is up in a slot it was exercised in when at least one of its operations (logins and listings aside) succeeded there.`);
  if (e.availabilityByAgent.length) {
    out.push('', '## Availability per agent', '', AVAILABILITY_BY_AGENT.about, '', ...table(AVAILABILITY_BY_AGENT.header, AVAILABILITY_BY_AGENT.rows(e.availabilityByAgent)));
  }
  if (e.daily.length) {
    const p = dailyPivot(e);
    out.push('', '## Per RSE and day (storage operations ok / all)', '', ...table(['RSE', ...p.days], p.rows.map((r) => [r.rse, ...r.cells])));
  }
  if (e.successOverTime.length) {
    const rows = e.successOverTime.slice(-MAX_TIME_ROWS);
    out.push('', '## Success over time', '');
    if (rows.length < e.successOverTime.length) out.push(`The last ${rows.length} of ${e.successOverTime.length} slots; all are in the CSV.`, '');
    out.push(...table(['slot start', 'operations', 'ok', 'success'], rows.map((b) => [b.start, b.attempts, b.successes, percent(b.successRate)])));
  }
  return out;
}

function auth(e: ExperimentReport): string[] {
  const grids = authGrids(e);
  if (!grids.length) return [];
  const out = ['', '## RSE × auth method', '', 'One table per test; a cell counts that test\'s operations on the RSE with the method (per operation in the CSV).'];
  for (const g of grids) {
    out.push('', `### ${cell(g.test)}`, '', `| RSE | ${g.methods.join(' | ')} |`, `|---|${g.methods.map(() => '---|').join('')}`);
    for (const rse of g.rses) {
      out.push(`| ${cell(rse)} | ${g.methods.map((m) => { const c = g.cells.get(`${rse}\u0000${m}`)!; return c.bad ? `**${cell(c.text)}**` : cell(c.text); }).join(' | ')} |`);
    }
    if (!g.rses.length) out.push(`| (no RSE reached) | ${g.methods.map((m) => { const a = e.authFailures.find((x) => x.test === g.test && x.authMethod === m); return a && !a.loggedIn ? `**auth failed (${a.errorClasses.join(', ')})**` : 'not run'; }).join(' | ')} |`);
  }
  return out;
}

function embargo(e: ExperimentReport): string[] {
  if (!e.embargo.length) return [];
  return ['', '## Embargo (identity × operation × access path)', '', ...table(['identity', 'operation', 'access path', 'RSE', 'attempts', 'ok', 'violations', 'other failures'],
    e.embargo.map((c) => [c.identity, c.operation, c.accessPath, c.rse, c.attempts, c.ok, c.violations ? `**${c.violations}**` : 0, c.otherFailures]))];
}

function cache(e: ExperimentReport): string[] {
  if (!e.cache.length) return [];
  return ['', '## Reads through caches (hits and misses as the cache counts them)', '', ...table(['test', 'cache RSE', 'reads', 'hits', 'misses'],
    e.cache.map((c) => [c.test, c.rse, c.reads, c.hits, c.misses]))];
}

function rows(e: ExperimentReport): string[] {
  return ['', '## Per RSE and operation', '', ...table(OPERATION_ROWS.header, OPERATION_ROWS.rows(e.rows),
    ['---', '---', '---', '---', '---:', '---:', '---', '---:', '---:', '---:'])];
}

function why(e: ExperimentReport): string[] {
  if (!e.failures.length) return [];
  const out = ['', '## Why things failed', ''];
  for (const g of e.failures) {
    const info = ERROR_CLASSES[g.errorClass as ErrorClass];
    out.push(`### \`${g.errorClass}\` — ${g.count}×${g.severity === 'critical' ? ' (critical)' : ''}`, '');
    if (info) out.push(`${info.meaning}. **What to do:** ${info.remedy}.`, '');
    out.push(`- ${placesText(g)}, from ${g.firstAt} to ${g.lastAt}`, `- message: ${code(g.message)}`, `- example: ${code(g.example)}`, '');
  }
  return out;
}

/** The challenge report of one experiment, to paste into a logbook. */
export function renderMarkdown(report: ChallengeReport, e: ExperimentReport): string {
  const lines = [`# ${e.name} — challenge report`, '', runLine(report, e), ''];
  if (report.scale) lines.push(`> **${report.scale}**`, '');
  if (e.description) lines.push(e.description, '');
  for (const n of report.notes) lines.push(`> ${n}`, '');
  lines.push(...tests(e), ...observations(e), ...figures(e, report.slotSeconds), ...auth(e), ...embargo(e), ...cache(e), ...rows(e), ...why(e));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** A summary row's verdict, and why no agent runs its test when none does. */
function completedText(report: ChallengeReport, s: SummaryRow): string {
  const note = summaryAgentStatus(report, s);
  return withAgentStatus(s.completed, note);
}

/** The agents as the report was written. */
function agents(report: ChallengeReport): string[] {
  if (!report.agents.length) return [];
  return ['', '## Agents', '', ...table(AGENTS.header, AGENTS.rows(report.agents))];
}

/** The challenge table across experiments, in the shape of the DAC21 logbook's. */
export function renderSummaryMarkdown(report: ChallengeReport): string {
  const lines = [`# ${report.name} — challenge summary`, '', `From ${report.selection.from || 'n/a'} to ${report.selection.to || 'n/a'}, ${report.selection.runs.length} run(s). Verdict: **${report.verdict}**.`, ''];
  if (report.scale) lines.push(`> **${report.scale}**`, '');
  lines.push(...table(['experiment', 'test', 'description', 'success metric', 'volume', 'data rate', 'QoS', 'RSEs', 'completed'],
    report.summary.map((s) => [s.experiment, s.test, s.description || '–', s.successMetric, s.volume, s.dataRate, s.qos, s.rses || '–', completedText(report, s)])));
  const why = report.experiments.flatMap((e) => e.tests).filter((t) => t.verdict !== 'Completed' && t.verdict !== 'Not run');
  if (why.length) lines.push('', '## Why not completed', '', ...why.map((t) => `- ${cell(t.experiment)} / ${cell(t.test)} — **${t.verdict}**: ${cell(t.reasons.join('; '))}`));
  lines.push(...agents(report));
  return `${lines.join('\n')}\n`;
}
