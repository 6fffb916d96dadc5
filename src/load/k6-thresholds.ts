// The plan's thresholds handed to a k6 script, so a load run and a probe judge alike.
// Our k6 scripts emit lakeprobe_op_* metrics tagged by operation; a threshold on another
// tag, or on the operation count, has no k6 counterpart and is listed as not applicable.
import type { Threshold } from '../probe/threshold.js';

const K6_METRIC: Partial<Record<Threshold['metric'], string>> = {
  duration: 'lakeprobe_op_duration',
  failure_rate: 'lakeprobe_op_failed',
  throughput: 'lakeprobe_op_throughput',
};

export function toK6Thresholds(thresholds: readonly Threshold[]): {
  k6: Record<string, string[]>;
  notApplicable: { threshold: Threshold; why: string }[];
} {
  const k6: Record<string, string[]> = {};
  const notApplicable: { threshold: Threshold; why: string }[] = [];
  for (const t of thresholds) {
    const metric = K6_METRIC[t.metric];
    const otherTags = Object.keys(t.tags).filter((tag) => tag !== 'operation');
    if (!metric) {
      notApplicable.push({ threshold: t, why: `k6 scripts do not count ${t.metric}` });
      continue;
    }
    if (otherTags.length) {
      notApplicable.push({ threshold: t, why: `k6 scripts tag by operation only, not ${otherTags.join(', ')}` });
      continue;
    }
    const key = t.tags.operation ? `${metric}{operation:${t.tags.operation}}` : metric;
    const agg = t.aggregate === 'p' ? `p(${t.percentile})` : t.aggregate;
    (k6[key] ??= []).push(`${agg}${t.comparator}${t.limit}`);
  }
  return { k6, notApplicable };
}
