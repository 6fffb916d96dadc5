// A self-contained HTML page per experiment: inline CSS and SVG, no script, no network,
// readable when printed.
import { ERROR_CLASSES, type ErrorClass } from '../engine/taxonomy.js';
import { placesText } from './failures.js';
import {
  AGENTS, authGrids, AVAILABILITY_BY_AGENT, dailyPivot, formatBytes, IN_FLIGHT, linkGrid, LINKS_BY_AGENT, mbps, OPERATION_ROWS, percent,
  replicationTime, TIME_TO_REPLICATE, withAgentStatus,
} from './format.js';
import { summaryAgentStatus } from './agents.js';
import { escapeXml } from './junit.js';
import type { ChallengeReport, ExperimentReport } from './schema.js';
import { criterionLine } from './criteria.js';
import { barChart, lineChart } from './svg.js';

const h = (s: string | number): string => escapeXml(String(s), true);

const STYLE = `body{font-family:sans-serif;font-size:13px;color:#111;background:#fff;margin:24px;max-width:1100px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ccc}h3{font-size:14px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eee}td.num{text-align:right}.bad{color:#b71c1c;font-weight:bold}.ok{color:#1b5e20}
.verdict{display:inline-block;padding:2px 8px;border:2px solid currentColor;font-weight:bold}
.sev-critical{color:#b71c1c;font-weight:bold}.sev-error{color:#c62828}.sev-warning{color:#e65100}.sev-info{color:#455a64}
code{font-size:12px;background:#f4f4f4;word-break:break-all}.charts svg{display:block;margin:8px 0}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,svg{break-inside:avoid}}`;

type Cell = string | number | { html: string } | { text: string; cls: string };

function cellHtml(c: Cell): string {
  if (typeof c === 'number') return `<td class="num">${h(c)}</td>`;
  if (typeof c === 'string') return `<td>${h(c)}</td>`;
  if ('html' in c) return `<td>${c.html}</td>`;
  return `<td class="${h(c.cls)}">${h(c.text)}</td>`;
}

function table(header: string[], rows: Cell[][]): string {
  return `<table><thead><tr>${header.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cellHtml).join('')}</tr>`).join('')}</tbody></table>`;
}

const verdictCls = (v: string): string => (v === 'Completed' ? 'ok' : v === 'Not run' ? '' : 'bad');

function charts(e: ExperimentReport): string {
  const out: string[] = [];
  if (e.successOverTime.length) {
    out.push(lineChart('Success rate over time', e.successOverTime.map((b) => ({
      t: Date.parse(b.start), value: b.successRate, label: `${b.start} ${b.successes}/${b.attempts} ok`,
    })), 1, (v) => `${Math.round(v * 100)} %`));
  }
  if (e.availabilityByRse.length) {
    out.push(barChart('Availability per RSE (share of slots with a success)', e.availabilityByRse.map((a) => ({
      label: a.key, value: a.availability, text: `${percent(a.availability)} (${a.upSlots}/${a.slots})`, tone: a.availability < 1 ? 'bad' : 'good',
    })), 1));
  }
  if (e.links.length) {
    out.push(barChart('Throughput per link', e.links.map((l) => ({
      label: `${l.src} → ${l.dst}`, value: l.mbPerS, text: `${mbps(l.mbPerS)}, ${percent(l.successRate)} ok`, tone: l.successRate < 1 ? 'bad' : 'neutral',
    }))));
    out.push(barChart('Throughput per link and file size', e.linkSizes.map((s) => ({
      label: `${s.src} → ${s.dst} ${s.sizeClass}`, value: s.mbPerS, text: `${mbps(s.mbPerS)}${s.best ? ' ★ best' : ''}`, tone: s.best ? 'good' : 'neutral',
    }))));
  }
  if (e.replication.length) {
    out.push(barChart('Time to replicate per file (p95)', e.replication.map((r) => ({
      label: `${r.src} → ${r.dst}`, value: r.p95Ms, text: `p50 ${replicationTime(r.p50Ms)}, p95 ${replicationTime(r.p95Ms)}, max ${replicationTime(r.maxMs)}`,
    }))));
  }
  return out.length ? `<h2>Figures</h2><div class="charts">${out.join('')}</div>` : '';
}

function sections(e: ExperimentReport): string {
  const parts: string[] = [];
  parts.push('<h2>Tests</h2>', table(['test', 'description', 'QoS', 'success criteria', 'operations', 'failed', 'files', 'volume', 'data rate', 'RSEs', 'verdict'],
    e.tests.map((t) => [t.test, t.description || '–', t.qos || '–',
      { html: t.criteria.map((c) => `<span class="${c.met ? 'ok' : 'bad'}">${h(criterionLine(c))}</span>`).join('<br>') },
      t.operations, t.failures, t.files, formatBytes(t.bytes), mbps(t.dataRateMBps), t.rses.join(', ') || '–',
      { text: withAgentStatus(t.reasons.length ? `${t.verdict}: ${t.reasons.join('; ')}` : t.verdict, t.agentStatus), cls: verdictCls(t.verdict) }])));
  if (e.observations.length) {
    parts.push('<h2>Observations</h2><ul>', ...e.observations.map((o) => `<li><span class="sev-${h(o.severity)}">${h(o.severity)}</span> ${h(o.title)}. <code>${h(o.detail)}</code></li>`), '</ul>');
  }
  parts.push(charts(e));
  if (e.links.length) {
    const grid = linkGrid(e);
    parts.push('<h2>Link matrix (source ↓ × destination →)</h2>', table(['source', ...grid.dsts], grid.rows.map((r) => [r.src, ...r.cells])));
    parts.push('<h2>Links (source × destination)</h2>', '<p>One row per link; files count once per destination they reached, whatever results describe them.</p>',
      table(['source', 'destination', 'files tried', 'success', 'p50', 'p95', 'volume', 'rate'],
        e.links.map((l) => [l.src, l.dst, l.attempts, { text: percent(l.successRate), cls: l.successRate < 1 ? 'bad' : 'ok' }, replicationTime(l.p50Ms), replicationTime(l.p95Ms), formatBytes(l.bytes), mbps(l.mbPerS)])));
  }
  if (e.linksByAgent.length) {
    parts.push('<h2>Links per agent</h2>', `<p>${h(LINKS_BY_AGENT.about)}</p>`, table(LINKS_BY_AGENT.header, LINKS_BY_AGENT.rows(e.linksByAgent)));
  }
  if (e.replication.length) {
    parts.push('<h2>Time to replicate, per file</h2>', `<p>${h(TIME_TO_REPLICATE.perFile)}</p>`, table(TIME_TO_REPLICATE.header, TIME_TO_REPLICATE.rows(e.replication)));
  }
  if (e.replicationPerRule.length) {
    parts.push('<h2>Time to replicate, per rule</h2>', `<p>${h(TIME_TO_REPLICATE.perRule)}</p>`, table(TIME_TO_REPLICATE.header, TIME_TO_REPLICATE.rows(e.replicationPerRule)));
  }
  if (e.inFlight.length) parts.push('<h2>Transfers in flight</h2>', `<p>${h(IN_FLIGHT.about)}</p>`, table(IN_FLIGHT.header, IN_FLIGHT.rows(e.inFlight)));
  if (e.availabilityByRse.length) {
    parts.push('<h2>Availability per RSE</h2>', table(['RSE', 'slots exercised', 'slots up', 'availability'],
      e.availabilityByRse.map((a) => [a.key, a.slots, a.upSlots, { text: percent(a.availability), cls: a.availability < 1 ? 'bad' : 'ok' }])));
  }
  if (e.availabilityByAgent.length) {
    parts.push('<h2>Availability per agent</h2>', `<p>${h(AVAILABILITY_BY_AGENT.about)}</p>`, table(AVAILABILITY_BY_AGENT.header, AVAILABILITY_BY_AGENT.rows(e.availabilityByAgent)));
  }
  if (e.daily.length) {
    const p = dailyPivot(e);
    parts.push('<h2>Per RSE and day (storage operations ok / all)</h2>', table(['RSE', ...p.days], p.rows.map((r) => [r.rse, ...r.cells])));
  }
  if (e.availabilityByTest.length) {
    parts.push('<h2>Availability per test</h2>', table(['test', 'slots exercised', 'slots up', 'availability'],
      e.availabilityByTest.map((a) => [a.key, a.slots, a.upSlots, { text: percent(a.availability), cls: a.availability < 1 ? 'bad' : 'ok' }])));
  }
  const grids = authGrids(e);
  if (grids.length) {
    parts.push('<h2>RSE × auth method</h2><p>One table per test; a cell counts that test\'s operations on the RSE with the method.</p>');
    for (const g of grids) {
      parts.push(`<h3>${h(g.test)}</h3>`, table(['RSE', ...g.methods], g.rses.map((rse) => [rse, ...g.methods.map((m) => {
        const c = g.cells.get(`${rse}\u0000${m}`)!;
        return { text: c.text, cls: c.bad ? 'bad' : 'ok' };
      })])));
    }
  }
  if (e.embargo.length) {
    parts.push('<h2>Embargo (identity × operation × access path)</h2>', table(['identity', 'operation', 'access path', 'RSE', 'attempts', 'ok', 'violations', 'other failures'],
      e.embargo.map((c) => [c.identity, c.operation, c.accessPath, c.rse, c.attempts, c.ok, { text: String(c.violations), cls: c.violations ? 'bad' : 'ok' }, c.otherFailures])));
  }
  if (e.cache.length) {
    parts.push('<h2>Reads through caches (hits and misses as the cache counts them)</h2>', table(['test', 'cache RSE', 'reads', 'hits', 'misses'],
      e.cache.map((c) => [c.test, c.rse, c.reads, c.hits, c.misses])));
  }
  parts.push('<h2>Per RSE and operation</h2>', table(OPERATION_ROWS.header, OPERATION_ROWS.rows(e.rows)));
  if (e.failures.length) {
    parts.push('<h2>Why things failed</h2>');
    for (const g of e.failures) {
      const info = ERROR_CLASSES[g.errorClass as ErrorClass];
      parts.push(`<h3 class="sev-${h(g.severity)}"><code>${h(g.errorClass)}</code> — ${g.count}×</h3>`,
        info ? `<p>${h(info.meaning)}. <b>What to do:</b> ${h(info.remedy)}.</p>` : '',
        `<p>${h(placesText(g))}, from ${h(g.firstAt)} to ${h(g.lastAt)}<br>message: <code>${h(g.message)}</code><br>example: <code>${h(g.example)}</code></p>`);
    }
  }
  return parts.join('\n');
}

/** Each test that did not complete, with its reasons: what the console prints. */
function whyNot(report: ChallengeReport): string {
  const tests = report.experiments.flatMap((e) => e.tests).filter((t) => t.verdict !== 'Completed' && t.verdict !== 'Not run');
  if (!tests.length) return '';
  return `<h2>Why not completed</h2><ul>${tests.map((t) => `<li>${h(t.experiment)} / ${h(t.test)} — <b>${h(t.verdict)}</b>: ${h(t.reasons.join('; '))}</li>`).join('')}</ul>`;
}

/** summary.html: the challenge table across experiments, each experiment linking to its page. */
export function renderSummaryHtml(report: ChallengeReport, pageOf: (experiment: string) => string): string {
  const rows = report.summary.map((r): Cell[] => [
    { html: `<a href="${h(pageOf(r.experiment))}">${h(r.experiment)}</a>` }, r.test, r.description || '–', r.successMetric, r.volume, r.dataRate,
    r.qos, r.rses || '–', { text: withAgentStatus(r.completed, summaryAgentStatus(report, r)), cls: verdictCls(r.completed) },
  ]);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${h(report.name)} — challenge summary</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><h1>${h(report.name)} — challenge summary</h1>
<p>From ${h(report.selection.from || 'n/a')} to ${h(report.selection.to || 'n/a')}, ${report.selection.runs.length} run(s).
Verdict: <span class="verdict ${verdictCls(report.verdict)}">${h(report.verdict)}</span></p>
${report.scale ? `<p><b>${h(report.scale)}</b></p>` : ''}
${report.experiments.length ? barChart('Tests completed per experiment', report.experiments.map((e) => {
    const done = e.tests.filter((t) => t.verdict === 'Completed').length;
    return { label: e.name, value: e.tests.length ? done / e.tests.length : 0, text: `${done}/${e.tests.length} completed`, tone: done === e.tests.length ? 'good' : 'bad' };
  }), 1) : ''}
${table(['experiment', 'test', 'description', 'success metric', 'volume', 'data rate', 'QoS', 'RSEs', 'completed'], rows)}
${whyNot(report)}
${report.agents.length ? `<h2>Agents</h2>${table(AGENTS.header, AGENTS.rows(report.agents))}` : ''}
${report.notes.map((n) => `<p><i>${h(n)}</i></p>`).join('\n')}
</body></html>
`;
}

export function renderHtml(report: ChallengeReport, e: ExperimentReport): string {
  const runs = report.selection.runs.filter((r) => e.runs.includes(r.runId));
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${h(e.name)} — challenge report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><h1>${h(e.name)} — challenge report</h1>
<p>Verdict: <span class="verdict ${verdictCls(e.verdict)}">${h(e.verdict)}</span></p>
${report.scale ? `<p><b>${h(report.scale)}</b></p>` : ''}
<p>${h(e.description)}</p>
<p>Runs: ${runs.map((r) => `<code>${h(r.runId)}</code>${r.state === 'finished' ? '' : ` (${h(r.state)})`}${r.planHash ? ` plan <code>${h(r.planHash.slice(0, 12))}</code>` : ''}`).join(', ') || 'none'};
from ${h(report.selection.from || 'n/a')} to ${h(report.selection.to || 'n/a')}; time slots of ${report.slotSeconds} s.</p>
${report.notes.map((n) => `<p><i>${h(n)}</i></p>`).join('\n')}
${sections(e)}
</body></html>
`;
}
