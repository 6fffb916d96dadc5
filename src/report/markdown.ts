import { ERROR_CLASSES } from '../engine/taxonomy.js';
import { formatBytes } from '../engine/sizes.js';
import type { ExperimentReport, ReportRow } from './model.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** Messages go in code spans: renderers would otherwise eat `<redacted>` as an HTML tag. */
const code = (s: string): string => `\`${s.replace(/\n/g, ' ').replace(/`/g, "'")}\``;

export function formatThroughput(bps: number): string {
  return bps > 0 ? `${formatBytes(bps)}/s` : '–';
}

function failureText(row: ReportRow): string {
  const parts = Object.entries(row.failuresByClass).map(([c, n]) => `${c}×${n}`);
  return parts.length ? parts.join(', ') : '–';
}

/** One line per RSE, one column per auth method: did every operation there succeed? */
function matrix(rows: ReportRow[]): string[] {
  const methods = [...new Set(rows.map((r) => r.authMethod))].sort();
  const rses = [...new Set(rows.map((r) => r.rse))].filter((r) => r !== '-').sort();
  const out = [`| RSE | ${methods.join(' | ')} |`, `|---|${methods.map(() => '---|').join('')}`];
  for (const rse of rses) {
    const cells = methods.map((m) => {
      const mine = rows.filter((r) => r.rse === rse && r.authMethod === m);
      const count = mine.reduce((n, r) => n + r.count, 0);
      const failures = mine.reduce((n, r) => n + r.failures, 0);
      if (count === 0) return 'not run';
      return failures === 0 ? `ok (${count} ops)` : `**${failures}/${count} failed**`;
    });
    out.push(`| ${cell(rse)} | ${cells.join(' | ')} |`);
  }
  return out;
}

/** The challenge report of one experiment: verdicts, the RSE × operation table, and why things failed. */
export function renderMarkdown(report: ExperimentReport): string {
  const lines: string[] = [];
  const passed = report.tests.every((t) => t.passed);
  lines.push(`# ${report.experiment} — challenge report`, '');
  lines.push(`Run \`${report.runId}\`, started ${report.startedAt || 'n/a'}. Verdict: **${passed ? 'PASSED' : 'FAILED'}**.`, '');
  lines.push('## Tests', '', '| test | scenario | operations | failures | failure rate | p95 (ms) | verdict |', '|---|---|---:|---:|---:|---:|---|');
  for (const t of report.tests) {
    const verdict = t.passed ? 'passed' : `failed: ${t.reasons.join('; ')}`;
    lines.push(`| ${cell(t.test)} | ${t.scenario} | ${t.count} | ${t.failures} | ${(t.failureRate * 100).toFixed(1)}% | ${t.p95Ms.toFixed(1)} | ${cell(verdict)} |`);
  }
  lines.push('', '## RSE × auth method', '', ...matrix(report.rows));
  lines.push('', '## Per RSE and operation', '');
  lines.push('| RSE | operation | auth | protocol | count | failures | failures by class | p50 (ms) | p95 (ms) | throughput |');
  lines.push('|---|---|---|---|---:|---:|---|---:|---:|---:|');
  for (const r of report.rows) {
    lines.push(`| ${cell(r.rse)} | ${r.operation} | ${r.authMethod} | ${r.protocol} | ${r.count} | ${r.failures} | ${failureText(r)} | ${r.p50Ms.toFixed(1)} | ${r.p95Ms.toFixed(1)} | ${formatThroughput(r.throughputBps)} |`);
  }
  if (report.failureSamples.length) {
    lines.push('', '## Why things failed', '');
    const classes = [...new Set(report.failureSamples.map((s) => s.errorClass))];
    for (const c of classes) {
      const info = ERROR_CLASSES[c];
      lines.push(`### \`${c}\``, '', `${info.meaning}. **What to do:** ${info.remedy}.`, '');
      for (const s of report.failureSamples.filter((x) => x.errorClass === c)) {
        lines.push(`- ${s.count}× ${s.operation} on ${cell(s.rse)}: ${code(s.message)}`);
      }
      lines.push('');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
