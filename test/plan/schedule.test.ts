import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlanFile, formatDiagnostic } from '../../src/plan/index.js';
import { builtinScenarios } from '../../src/scenarios.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'lakeprobe-schedule-plan-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function load(schedule: string) {
  const file = join(dir, `p${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, `name: s
lake: { sandbox: true }
experiments:
  - name: E
    tests:
      - name: t
        scenario: replicate
        params: { size: 1MiB }
        schedule: ${schedule}
`);
  const registry = builtinScenarios();
  const result = await loadPlanFile(file, {
    env: {}, uid: 4_000_000, knownScenarios: registry.names(), scenarioParams: (n) => registry.get(n)?.params,
  });
  return { result, lines: result.diagnostics.map(formatDiagnostic) };
}

describe('plan schedules', () => {
  it('resolves offset, jitter, seed, time zone and cycle, with UTC by default', async () => {
    const { result } = await load('{ cron: "0 * * * *", offset_seconds: 120, jitter_seconds: 30, cycle: { param: size, values: [50MB, 500MB, 5GB] } }');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.plan.experiments[0]?.tests[0]?.schedule).toEqual({
      cron: '0 * * * *', offsetSeconds: 120, jitterSeconds: 30, timezone: 'UTC',
      cycle: { param: 'size', values: ['50MB', '500MB', '5GB'] },
    });
  });

  it('refuses a cycle value the scenario does not accept, naming line and value', async () => {
    const { result, lines } = await load('{ cron: "0 * * * *", cycle: { param: size, values: [50MB, lots] } }');
    expect(result.ok).toBe(false);
    expect(lines.join('\n')).toMatch(/:9:\d+: error: experiments\[0\]\.tests\[0\]\.schedule\.cycle\.values\[1\]: size="lots" is not valid for scenario replicate/);
  });

  it('refuses a parameter the scenario does not have', async () => {
    const { lines } = await load('{ cron: "0 * * * *", cycle: { param: colour, values: [red, blue] } }');
    expect(lines.join("\n"), lines.join("\n")).toMatch(/schedule\.cycle\.param: scenario replicate has no parameter "colour"/);
  });

  it('refuses an unknown time zone and out-of-bound offsets', async () => {
    const { lines } = await load('{ cron: "0 * * * *", timezone: Mars/Olympus, offset_seconds: 100000 }');
    const text = lines.join('\n');
    expect(text).toMatch(/schedule\.timezone: unknown time zone/);
    expect(text).toMatch(/schedule\.offset_seconds: /);
  });

  it('warns when day-of-month and day-of-week are both set, and still accepts the plan', async () => {
    const { result, lines } = await load('{ cron: "0 3 1 * MON" }');
    expect(result.ok).toBe(true);
    expect(lines.join('\n')).toMatch(/warning: experiments\[0\]\.tests\[0\]\.schedule\.cron: sets both day-of-month and day-of-week/);
    expect((await load('{ cron: "0 3 * * MON" }')).lines).toEqual([]);
  });
});
