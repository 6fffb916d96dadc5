import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseK6Summary, readK6Summary } from '../../src/load/k6-summary.js';

const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-k6-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('k6 summary import', () => {
  it('reads metrics with their submetric tags, threshold verdicts and nested checks', async () => {
    const s = await readK6Summary('test/fixtures/k6/storage-summary.json');
    expect(s.durationMs).toBe(30512.77);
    expect(s.metrics).toHaveLength(7);
    expect(s.metrics.find((m) => m.name === 'lakeprobe_op_duration')).toEqual({
      name: 'lakeprobe_op_duration', tags: { operation: 'upload' }, type: 'trend', contains: 'time',
      values: { avg: 61.0, min: 12.0, med: 55.0, max: 402.9, 'p(90)': 110.0, 'p(95)': 140.5, 'p(99)': 390.0, count: 150 },
    });
    expect(s.thresholds).toEqual([
      { metric: 'http_req_duration', expression: 'p(95)<500', ok: true },
      { metric: 'lakeprobe_op_duration{operation:upload}', expression: 'p(95)<100', ok: false },
      { metric: 'lakeprobe_op_failed', expression: 'rate<0.01', ok: true },
    ]);
    expect(s.checks).toEqual([
      { name: 'status is 201', passes: 150, fails: 0 },
      { name: 'put-get-delete::body intact', passes: 148, fails: 2 },
    ]);
  });

  it('names the file and the field of a summary that is not one', async () => {
    expect(() => parseK6Summary({ metrics: { x: { type: 'histogram', values: {} } } }, 's.json'))
      .toThrow(/^s\.json: metrics\.x\.type: /);
    expect(() => parseK6Summary({}, 's.json')).toThrow(/^s\.json: metrics: /);
    writeFileSync(join(dir, 'cut.json'), '{"metrics": {');
    await expect(readK6Summary(join(dir, 'cut.json'))).rejects.toThrow(/cut\.json: cannot read k6 summary/);
  });
});

describe('k6 scripts', () => {
  it('are type-checked against @types/k6, so a misused k6 API fails the check', () => {
    const tsc = 'node_modules/typescript/bin/tsc';
    const ok = spawnSync(process.execPath, [tsc, '-p', 'scenarios/k6/tsconfig.json'], { encoding: 'utf8' });
    expect(ok.stdout + ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const broken = join(dir, 'broken.ts');
    writeFileSync(broken, "import http from 'k6/http';\nexport default function (): void { http.gett('https://x'); }\n");
    const bad = spawnSync(process.execPath, [
      tsc, '--noEmit', '--strict', '--types', 'k6', '--typeRoots', join(process.cwd(), 'node_modules/@types'),
      '--moduleResolution', 'Bundler', '--module', 'ESNext', '--target', 'ES2020', broken,
    ], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain("Property 'gett' does not exist");
  });
});

describe('plan thresholds for k6', () => {
  it('translate into k6 threshold expressions in base units, and say which cannot', async () => {
    const { parseThreshold } = await import('../../src/probe/threshold.js');
    const { toK6Thresholds } = await import('../../src/load/k6-thresholds.js');
    const { k6, notApplicable } = toK6Thresholds([
      parseThreshold('duration{operation:upload}', 'p(95) < 30s'),
      parseThreshold('duration{operation:upload}', 'max < 1m'),
      parseThreshold('failure_rate', 'rate < 0.01'),
      parseThreshold('throughput{operation:download}', 'med >= 50MB/s'),
      parseThreshold('duration{rse:SITE_A}', 'p(95) < 1s'),
      parseThreshold('operations', 'count > 10'),
    ]);
    expect(k6).toEqual({
      'lakeprobe_op_duration{operation:upload}': ['p(95)<30000', 'max<60000'],
      lakeprobe_op_failed: ['rate<0.01'],
      'lakeprobe_op_throughput{operation:download}': ['med>=50000000'],
    });
    expect(notApplicable.map((n) => n.why)).toEqual([
      'k6 scripts tag by operation only, not rse', 'k6 scripts do not count operations',
    ]);
  });
});
