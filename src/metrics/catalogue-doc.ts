import { METRICS, type MetricSpec } from './catalogue.js';

export const CATALOGUE_BEGIN = '<!-- metric-catalogue:begin (generated from src/metrics/catalogue.ts) -->';
export const CATALOGUE_END = '<!-- metric-catalogue:end -->';

/** The catalogue as a Markdown table, as the README shows it. */
export function catalogueMarkdown(): string {
  const rows = (Object.values(METRICS) as MetricSpec[]).map((m) =>
    `| \`${m.name}\` | ${m.type} | ${m.labels.length ? m.labels.map((l) => `\`${l}\``).join(', ') : '—'} | ${m.source === undefined || m.source === 'run' ? 'every run' : m.source} | ${m.help.replace(/\|/g, '\\|')} |`);
  return ['| metric | type | labels | set by | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Replaces the generated block between the markers of a README text. */
export function withCatalogue(readme: string): string {
  const start = readme.indexOf(CATALOGUE_BEGIN);
  const end = readme.indexOf(CATALOGUE_END);
  if (start < 0 || end < start) throw new Error('README has no metric catalogue markers');
  return `${readme.slice(0, start + CATALOGUE_BEGIN.length)}\n${catalogueMarkdown()}\n${readme.slice(end)}`;
}
