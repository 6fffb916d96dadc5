import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanText } from '../../src/plan/index.js';
import { storageTimeoutsOf } from '../../src/plan/lake-timeouts.js';
import { planContext } from './context.js';

const plan = (timeouts: string): string =>
  `lake:\n  sandbox: true\n  timeouts: ${timeouts}\nexperiments: [{ name: e, tests: [{ name: t, scenario: replicate }] }]\n`;

describe('lake.timeouts in a plan', () => {
  it('resolves to storage request limits in milliseconds, only for the phases set', async () => {
    const result = await loadPlanText(plan('{ connect: 5, stall: 1.5, total: 600 }'), 'p.yaml', planContext());
    expect(result.ok).toBe(true);
    expect(result.ok && result.plan.lake.storageTimeouts).toEqual({ connectMs: 5000, stallMs: 1500, totalMs: 600_000 });
  });

  it('leaves the drivers their defaults when absent', async () => {
    const result = await loadPlanText(plan('{}'), 'p.yaml', planContext());
    expect(result.ok && result.plan.lake.storageTimeouts).toEqual({});
  });

  it('names file, line and field of a limit out of bounds, a string and an unknown phase', async () => {
    const result = await loadPlanText(plan('{ stall: 0, connect: 100000, total: soon, read: 3 }'), 'p.yaml', planContext());
    expect(result.ok).toBe(false);
    const lines = result.diagnostics.map(formatDiagnostic);
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^p\.yaml:3:\d+: error: lake\.timeouts\.stall: must be at least 0\.1 seconds/),
      expect.stringMatching(/^p\.yaml:3:\d+: error: lake\.timeouts\.connect: must be at most 600 seconds/),
      expect.stringMatching(/^p\.yaml:3:\d+: error: lake\.timeouts\.total: must be a number of seconds/),
      expect.stringMatching(/^p\.yaml:3:\d+: error: lake\.timeouts(\.read)?: .*read/),
    ]));
  });

  it('converts seconds to whole milliseconds', () => {
    expect(storageTimeoutsOf({ first_byte: 0.25, stall: 60 })).toEqual({ firstByteMs: 250, stallMs: 60_000 });
  });
});
