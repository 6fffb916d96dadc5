// Inline SVG charts for the HTML report: no script, no network, legible in print (dark on white).
import { escapeXml } from './junit.js';

const esc = (s: string): string => escapeXml(s, true);
const FONT = 'font-family="sans-serif" font-size="11"';
/** Charts show at most this many bars; the tables and CSV have the rest. */
export const MAX_BARS = 40;

export interface Bar {
  label: string;
  value: number;
  /** Text printed after the bar, e.g. "12.3 MB/s". */
  text: string;
  /** 'good' | 'bad' | 'neutral' */
  tone?: 'good' | 'bad' | 'neutral';
}

const FILL = { good: '#2e7d32', bad: '#c62828', neutral: '#1565c0' } as const;

/** Horizontal bars, one per label, scaled to the largest value (or to `max`). */
export function barChart(title: string, bars: Bar[], max?: number): string {
  const shown = bars.slice(0, MAX_BARS);
  // Wide enough for the longest label at ~7.5 px a character (11 px sans-serif), within bounds.
  const labelW = Math.min(340, Math.max(120, Math.ceil(Math.max(0, ...shown.map((b) => b.label.length)) * 7.5) + 10));
  const barW = 360;
  const rowH = 18;
  const top = 24;
  const height = top + shown.length * rowH + 8;
  const scale = max ?? Math.max(1e-9, ...shown.map((b) => b.value));
  const rows = shown.map((b, i) => {
    const y = top + i * rowH;
    const w = Math.max(0, Math.min(barW, (b.value / scale) * barW));
    return `<text x="${labelW - 6}" y="${y + 12}" text-anchor="end" ${FONT}>${esc(b.label)}</text>`
      + `<rect x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 5}" fill="${FILL[b.tone ?? 'neutral']}"/>`
      + `<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 12}" ${FONT}>${esc(b.text)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${esc(title)}" width="${labelW + barW + 240}" height="${height}" viewBox="0 0 ${labelW + barW + 240} ${height}">`
    + `<title>${esc(title)}</title><text x="0" y="14" font-family="sans-serif" font-size="13" font-weight="bold">${esc(title)}</text>${rows.join('')}</svg>`;
}

export interface Point { t: number; value: number; label: string }

/** A line over time with dots, the y axis from 0 to `max`. */
export function lineChart(title: string, points: Point[], max: number, yLabel: (v: number) => string): string {
  const w = 640;
  const h = 200;
  const left = 48;
  const top = 24;
  const plotW = w - left - 12;
  const plotH = h - top - 30;
  const t0 = points.reduce((m, p) => Math.min(m, p.t), Infinity);
  const t1 = points.reduce((m, p) => Math.max(m, p.t), -Infinity);
  const x = (t: number): number => left + (t1 > t0 ? ((t - t0) / (t1 - t0)) * plotW : plotW / 2);
  const y = (v: number): number => top + plotH - (Math.min(v, max) / max) * plotH;
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const grid = [0, 0.5, 1].map((f) => `<line x1="${left}" x2="${left + plotW}" y1="${y(max * f).toFixed(1)}" y2="${y(max * f).toFixed(1)}" stroke="#bbb" stroke-width="0.5"/>`
    + `<text x="${left - 4}" y="${(y(max * f) + 4).toFixed(1)}" text-anchor="end" ${FONT}>${esc(yLabel(max * f))}</text>`).join('');
  const dots = points.map((p) => `<circle cx="${x(p.t).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="2.5" fill="${p.value < max ? FILL.bad : FILL.good}"><title>${esc(p.label)}</title></circle>`).join('');
  const first = points[0]?.label.split(' ')[0] ?? '';
  const last = points[points.length - 1]?.label.split(' ')[0] ?? '';
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${esc(title)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`
    + `<title>${esc(title)}</title><text x="0" y="14" font-family="sans-serif" font-size="13" font-weight="bold">${esc(title)}</text>${grid}`
    + `<path d="${path}" fill="none" stroke="${FILL.neutral}" stroke-width="1.5"/>${dots}`
    + `<text x="${left}" y="${h - 8}" ${FONT}>${esc(first)}</text><text x="${left + plotW}" y="${h - 8}" text-anchor="end" ${FONT}>${esc(last)}</text></svg>`;
}
