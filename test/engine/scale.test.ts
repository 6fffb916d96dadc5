import { describe, expect, it } from 'vitest';
import { checkScale, scaleCount, scalePlan, scaleSeconds, scaleSize } from '../../src/engine/scale.js';
import type { ResolvedPlan } from '../../src/plan/index.js';
import { builtinScenarios } from '../../src/scenarios.js';

describe('scaling a plan for a rehearsal run', () => {
  it('keeps every value usable: counts at least 1, sizes at least 1 KiB, durations at their floor', () => {
    expect([scaleCount(800_000, 1e-5), scaleCount(300, 1e-5), scaleCount(0, 0.5)]).toEqual([8, 1, 1]);
    expect([scaleSize(5e9, 1e-4), scaleSize(10, 1e-4), scaleSize(50e6, 1e-5)]).toEqual([500_000, 10, 1024]);
    expect([scaleSeconds(3600, 1e-3), scaleSeconds(3600, 1e-5, 5), scaleSeconds(2, 0.5, 5)]).toEqual([3.6, 5, 2]);
    expect(checkScale(0)).toMatch(/--scale must be a number in/);
    expect(checkScale(2)).toMatch(/--scale/);
    expect(checkScale(0.001)).toBeNull();
  });

  it('each scenario shrinks its own params; the long-haul volume shrinks by the square so the file count shrinks once', () => {
    const registry = builtinScenarios();
    const parse = (name: string, params: unknown): unknown => registry.get(name)?.params.parse(params);
    const plan = {
      name: 'p', file: 'p.yaml', sandbox: true, lake: { vo: 'def', insecure: false }, credentials: {}, rses: {}, sources: [],
      experiments: [{ name: 'E', tests: [
        { name: 'r', scenario: 'replication', auth: null, params: parse('replication', { files: 2000, size: '3GB' }) },
        { name: 's', scenario: 'longhaul-sweep', auth: null, params: parse('longhaul-sweep', {}) },
        { name: 'u', scenario: 'upload', auth: null, params: parse('upload', { size: '2GB' }) },
      ] }],
    } as ResolvedPlan;
    const [r, s, u] = scalePlan(plan, registry, 0.001).experiments[0]?.tests.map((t) => t.params as Record<string, unknown>) ?? [];
    expect(r).toMatchObject({ files: 2, size: 3_000_000 });
    expect(s).toMatchObject({ sizes: [50_000, 500_000, 5_000_000], volume: 50_000 });
    expect(u).toMatchObject({ size: 2_000_000 });
    expect(scalePlan(plan, registry, 1)).toBe(plan);
  });
});
