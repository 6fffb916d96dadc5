import { describe, expect, it } from 'vitest';
import { checkScale, SCALED_TIME_FLOOR_SECONDS, scaleCount, scalePlan, scaleSeconds, scaleSize } from '../../src/engine/scale.js';
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

  it('scales the criteria that depend on the work with it, keeps rates, and keeps the full-scale targets', () => {
    const registry = builtinScenarios();
    const params = registry.get('replication')?.params.parse({ files: 800_000, size: '10MiB', rules: [{ expression: 'IN2P3-CC-DCACHE' }] });
    const full = { maxFailureRate: 0, minFiles: 800_000, minBytes: 800_000 * 10 * 1024 ** 2, withinSeconds: 43_200, minRate: 350e6, maxRuleSeconds: 43_200, replicationTime: { percentile: 95, maxSeconds: 3600 } };
    const plan = {
      name: 'p', file: 'p.yaml', sandbox: true, lake: { vo: 'def', insecure: false }, credentials: {}, rses: {}, sources: [],
      experiments: [{ name: 'LSST', tests: [{ name: 'raw', scenario: 'replication', auth: null, params, success: full }] }],
    } as ResolvedPlan;
    const scaled = scalePlan(plan, registry, 1e-4);
    const t = scaled.experiments[0]?.tests[0];
    const p = t?.params as { files: number; size: number };
    // The work: ceil(800000 × 1e-4) = 80 files of round(10 MiB × 1e-4) = 1049 B.
    expect(p).toMatchObject({ files: 80, size: 1049 });
    expect(scaled.scale).toBe(1e-4);
    expect(t?.fullScaleSuccess).toEqual(full);
    expect(t?.success).toEqual({
      // Files and bytes shrink exactly as the work did: the plan asked for all of it, so it still does.
      maxFailureRate: 0, minFiles: 80, minBytes: 80 * 1049,
      // Times derived from the volume never drop below the floor; rates and latencies are kept.
      withinSeconds: SCALED_TIME_FLOOR_SECONDS, maxRuleSeconds: SCALED_TIME_FLOOR_SECONDS, minRate: 350e6, replicationTime: { percentile: 95, maxSeconds: 3600 },
    });
    // A scenario that does not shrink its work keeps its criteria.
    const embargo = { ...plan, experiments: [{ name: 'E', tests: [{ name: 'x', scenario: 'none', auth: null, params: {}, success: { minFiles: 5 } }] }] } as ResolvedPlan;
    expect(scalePlan(embargo, registry, 1e-4).experiments[0]?.tests[0]?.success).toEqual({ minFiles: 5 });
  });
});
