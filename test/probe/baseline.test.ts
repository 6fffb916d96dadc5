import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBaseline, findRegressions, readBaseline, writeBaseline } from '../../src/probe/baseline.js';
import { opResult } from '../helpers/op-result.js';

const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-baseline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Ten 10 MB uploads on SITE_A taking `ms` each, plus failures of the given classes. */
function run(ms: number, failures: string[] = []) {
  return [
    ...Array.from({ length: 10 }, () => opResult({ test: 'up', operation: 'upload', bytes: 10e6, sizeClass: '8MiB', durationMs: ms })),
    ...failures.map((c) => opResult({
      test: 'up', operation: 'upload', bytes: 10e6, sizeClass: '8MiB', durationMs: 5,
      outcome: 'failed', severity: 'error', errorClass: c as never,
    })),
  ];
}

describe('regression baselines', () => {
  const rules = { throughputDropPercent: 20, p95RisePercent: 50, newErrorClass: true, minSamples: 5 };

  it('finds nothing when the new run matches the baseline', () => {
    const base = buildBaseline('p', 'r1', run(100, ['quota']));
    expect(findRegressions(base, buildBaseline('p', 'r2', run(105, ['quota'])), rules)).toEqual([]);
  });

  it('names the metric, the place, the baseline and the value of each regression', () => {
    const base = buildBaseline('p', 'r1', run(100));
    const found = findRegressions(base, buildBaseline('p', 'r2', run(200, ['connection_refused'])), rules);
    expect(found.map((r) => [r.metric, r.baseline, r.value])).toEqual([
      ['throughput', '100.00 MB/s', '50.00 MB/s'],
      ['p95', '100 ms', '200 ms'],
      ['error_class', 'none', 'connection_refused'],
    ]);
    expect(found[0]?.message).toBe(
      'median throughput of up upload on SITE_A (8MiB) fell 50.0 % (limit 20.0 %): baseline 100.00 MB/s, now 50.00 MB/s');
  });

  it('skips figures of groups with fewer samples than min_samples', () => {
    const base = buildBaseline('p', 'r1', run(100));
    expect(findRegressions(base, buildBaseline('p', 'r2', run(300)), { ...rules, minSamples: 50 })
      .filter((r) => r.metric !== 'error_class')).toEqual([]);
  });

  it('round-trips through a file and names the file and field of a broken one', async () => {
    const file = join(dir, 'base.json');
    const base = buildBaseline('p', 'r1', run(100), new Date('2026-01-01T00:00:00Z'));
    await writeBaseline(file, base);
    expect(await readBaseline(file)).toEqual(base);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...base, entries: [{ ...base.entries[0], count: -1 }] }));
    await expect(readBaseline(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json: entries\.0\.count: /);
    writeFileSync(join(dir, 'junk.json'), '{');
    await expect(readBaseline(join(dir, 'junk.json'))).rejects.toThrow(/junk\.json: cannot read baseline/);
  });
});
