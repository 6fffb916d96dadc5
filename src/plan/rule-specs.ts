// The rules a test's params ask for, wherever its scenario keeps them (`rule`, `rules`,
// `destination`, `output_rule`, `transitions[].to`, …): any object with an `expression`.
// The report shows them as the test's QoS; validate checks `replicas` criteria against them.

export interface RuleSpecOf {
  expression: string;
  copies: number;
  /** Seconds, when the params give one. */
  lifetime?: number;
}

/** How deep and how many: params are bounded data, the walk is bounded too. */
const MAX_DEPTH = 6;
const MAX_SPECS = 50;

export function ruleSpecsIn(params: unknown): RuleSpecOf[] {
  const out: RuleSpecOf[] = [];
  const walk = (value: unknown, depth: number): void => {
    if (depth > MAX_DEPTH || out.length >= MAX_SPECS || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const v of value) walk(v, depth + 1);
      return;
    }
    const o = value as Record<string, unknown>;
    if (typeof o.expression === 'string') {
      out.push({
        expression: o.expression, copies: typeof o.copies === 'number' ? o.copies : 1,
        ...(typeof o.lifetime === 'number' ? { lifetime: o.lifetime } : {}),
      });
    }
    for (const [k, v] of Object.entries(o)) if (k !== 'expression') walk(v, depth + 1);
  };
  walk(params, 0);
  return out;
}
