import { AGENT_LABEL, METRICS, type MetricKey, type MetricSpec } from '../metrics/catalogue.js';

// Panels and alert rules name metrics only through these helpers, so a query
// can only use a metric (and a label) the catalogue declares.

type Suffix = '' | '_bucket' | '_sum' | '_count';

/** The series name of a catalogue metric. */
export function m(key: MetricKey, suffix: Suffix = ''): string {
  const spec: MetricSpec = METRICS[key];
  if (suffix && spec.type !== 'histogram') throw new Error(`${spec.name} is a ${spec.type}: it has no ${suffix} series`);
  return spec.name + suffix;
}

/** `metric{a=~"$a",b="x"}` with each label checked against the catalogue. */
export function sel(key: MetricKey, matchers: Record<string, string> = {}, suffix: Suffix = ''): string {
  const spec: MetricSpec = METRICS[key];
  const parts = Object.entries(matchers).map(([label, matcher]) => {
    // `agent` is on every series an agent exports (a registry default label).
    if (label !== 'le' && label !== 'job' && label !== AGENT_LABEL && !spec.labels.includes(label)) throw new Error(`${spec.name} has no label ${label}`);
    return matcher.startsWith('=~') || matcher.startsWith('!=') || matcher.startsWith('!~') ? `${label}${matcher.slice(0, 2)}"${matcher.slice(2)}"` : `${label}="${matcher}"`;
  });
  return `${m(key, suffix)}${parts.length ? `{${parts.join(',')}}` : ''}`;
}

/** The series names a PromQL expression mentions (for the drift and existence tests). */
export function seriesIn(expr: string): string[] {
  return [...new Set(expr.match(/\blakeprobe_[a-z0-9_]+/g) ?? [])];
}

/** Every series name the catalogue makes available (histograms with their _bucket, _sum, _count). */
export function knownSeries(): Set<string> {
  const out = new Set<string>();
  for (const spec of Object.values(METRICS) as MetricSpec[]) {
    out.add(spec.name);
    if (spec.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(spec.name + s);
  }
  return out;
}
