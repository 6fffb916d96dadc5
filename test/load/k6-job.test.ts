import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/jobs/errors.js';
import { importK6Summary, runK6 } from '../../src/jobs/k6.js';
import { loadPlanText } from '../../src/plan/index.js';
import { ResultsStore } from '../../src/results/store.js';
import { planContext } from '../plan/context.js';

const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-k6-job-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SUMMARY = resolve('test/fixtures/k6/storage-summary.json');

describe('k6 summaries in the results store', () => {
  it('are stored as one finished run, with the summary beside it and failed thresholds counted', async () => {
    const dbPath = join(dir, 'import.db');
    const r = await importK6Summary({
      dbPath, summaryFile: SUMMARY, planName: 'nightly', script: 'scenarios/k6/storage.ts', finishedAt: '2026-03-01T10:00:30.513Z',
    });
    expect(r.failedThresholds).toEqual([{ metric: 'lakeprobe_op_duration{operation:upload}', expression: 'p(95)<100', ok: false }]);
    const store = new ResultsStore(dbPath);
    try {
      expect(store.run(r.runId)).toMatchObject({
        planName: 'nightly', planFile: 'scenarios/k6/storage.ts', startedAt: '2026-03-01T10:00:00.000Z', total: 3, failed: 1, state: 'finished',
      });
      expect(store.loadSummary(r.runId)).toEqual({ tool: 'k6', script: 'scenarios/k6/storage.ts', summary: r.summary });
      expect(store.results(r.runId)).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('refuses a file that is no k6 summary as invalid input, naming it', async () => {
    writeFileSync(join(dir, 'bad.json'), '{"metrics": 3}');
    await expect(importK6Summary({ dbPath: join(dir, 'bad.db'), summaryFile: join(dir, 'bad.json'), planName: 'p', script: '' }))
      .rejects.toMatchObject({ exitCode: EXIT.invalidInput, message: expect.stringContaining('bad.json: metrics') });
  });
});

describe('lakeprobe k6 run', () => {
  it('says how to go on when no k6 binary is on PATH', async () => {
    await expect(runK6({ script: 'scenarios/k6/storage.ts', dbPath: join(dir, 'none.db'), vars: {}, env: { PATH: dir }, log: () => {} }))
      .rejects.toMatchObject({ exitCode: EXIT.setupFailed, message: expect.stringContaining('lakeprobe k6 import') });
  });

  it("hands a k6 on PATH the plan's thresholds and the summary path, and imports what it wrote", async () => {
    // k6 cannot be installed here: a stand-in on PATH records its arguments and environment,
    // writes a summary where asked and exits 99 as k6 does when a threshold failed.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const seen = join(dir, 'seen.json');
    writeFileSync(join(bin, 'k6'), `#!/bin/sh
printf '{"args":"%s","rate":"%s","thresholds":%s}' "$*" "$RATE" "$LAKEPROBE_THRESHOLDS" > ${seen}
/bin/cp ${SUMMARY} "$LAKEPROBE_K6_SUMMARY"
exit 99
`);
    chmodSync(join(bin, 'k6'), 0o755);
    const loaded = await loadPlanText(`
lake: { sandbox: true }
thresholds: { "duration{operation:upload}": ["p(95) < 30s"], "operations": ["count > 1"] }
experiments: [{ name: E, tests: [{ name: t, scenario: replicate }] }]
`, join(dir, 'plan.yaml'), planContext());
    if (!loaded.ok) throw new Error('plan refused');
    const r = await runK6({
      script: 'scenarios/k6/storage.ts', dbPath: join(dir, 'run.db'), plan: loaded.plan,
      vars: { RATE: '2', DURATION_S: '5' }, env: { PATH: bin }, log: () => {},
    });
    expect(JSON.parse(readFileSync(seen, 'utf8'))).toEqual({
      // The script's variables reach it through the environment, never the command line.
      args: 'run scenarios/k6/storage.ts', rate: '2',
      thresholds: { 'lakeprobe_op_duration{operation:upload}': ['p(95)<30000'] },
    });
    expect(r.k6Exit).toBe(99);
    expect(r.notApplicable).toEqual(['operations count > 1: k6 scripts do not count operations']);
    expect(r.failedThresholds).toHaveLength(1);
  });
});
