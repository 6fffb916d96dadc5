import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunTest } from '../../src/jobs/daemon.js';
import { builtinScenarios } from '../../src/scenarios.js';

const PLAN = `name: stop
lake: { sandbox: true }
experiments:
  - name: E
    tests:
      - name: hang
        scenario: upload
        rses: { names: [SANDBOX-FAST] }
        schedule: { cron: "* * * * * *" }
`;

describe('daemon stop', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'lakeprobe-daemon-stop-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('abandons a run that does not finish within the grace period by aborting it, and waits for it to record', async () => {
    const planFile = join(dir, 'plan.yaml');
    await writeFile(planFile, PLAN);
    let started!: () => void;
    const running = new Promise<void>((r) => { started = r; });
    let abortedWith = '';
    const runTest: RunTest = ({ signal, runId }) => new Promise((resolve) => {
      started();
      signal.addEventListener('abort', () => {
        abortedWith = String((signal.reason as Error).message);
        resolve({ total: 1, failed: 1, finishedAt: new Date().toISOString(), scenarioCrashes: 0, runId } as never);
      });
    });
    const lines: string[] = [];
    const daemon = await startDaemon({
      planFile, env: {}, uid: 4_000_003, registry: builtinScenarios(), dbPath: ':memory:', port: 0,
      log: (l) => lines.push(l), runTest, stopGraceMs: 200, abandonGraceMs: 5_000, watch: false,
    });
    await running;
    const report = await daemon.stop();
    expect(report.abandoned).toHaveLength(1);
    expect(report.abandoned[0]).toMatch(/^E\/hang \(\S+\)$/);
    expect(abortedWith).toBe('the daemon is stopping');
    expect(daemon.history.runs[0]?.outcome).toBe('abandoned');
    expect(lines.join('\n')).toMatch(/abandoning E\/hang .*lakeprobe cleanup/);
  });
});
