// A daemon stopped while a run waits on the lake: the run it abandons is stored as
// interrupted, and the operation it cut short as aborted with the time it really ran.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/jobs/daemon.js';
import { ResultsStore } from '../../src/results/store.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { startTestLake } from '../integration/lake-fixture.js';

const PLAN = `name: abandon
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: E
    tests:
      - name: held
        scenario: replication
        auth: [token]
        params: { files: 1, size: 4096, poll_seconds: 0.2, timeout_seconds: 600, rules: [{ expression: SANDBOX-SAFE }] }
        schedule: { cron: "* * * * * *" }
`;

async function until<T>(what: string, probe: () => T | undefined | false, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a daemon stopped while a run waits on the lake', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let dir: string;
  beforeAll(async () => {
    env = await startTestLake();
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-daemon-abandon-'));
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the abandoned run as interrupted and its cut-short replicate as aborted, with its real duration', async () => {
    env.lake.faults.add({ kind: 'transfer_stuck', rse: 'SANDBOX-SAFE' });
    const planFile = join(dir, 'plan.yaml');
    const dbPath = join(dir, 'r.db');
    await writeFile(planFile, PLAN);
    const lines: string[] = [];
    const daemon = await startDaemon({
      planFile, env: env.lake.env, uid: 4_000_012, registry: builtinScenarios(), dbPath, port: 0,
      log: (l) => lines.push(l), stopGraceMs: 500, abandonGraceMs: 20_000, watch: false,
    });
    const reader = new ResultsStore(dbPath);
    let stoppedAt = 0;
    try {
      // Both rules exist (source and SANDBOX-SAFE): the run now waits on the held transfer.
      const runId = await until('the replication rule', () => {
        const run = reader.runs()[0];
        return run && reader.results(run.runId).filter((r) => r.operation === 'rule').length >= 2 && run.runId;
      });
      await new Promise((r) => setTimeout(r, 1500));
      stoppedAt = Date.now();
      const report = await daemon.stop();
      expect(report.abandoned).toEqual([`E/held (${runId})`]);
      const run = reader.run(runId);
      expect(run?.state).toBe('interrupted');
      const replicate = reader.results(runId).filter((r) => r.operation === 'replicate' && r.requestId === '');
      expect(replicate).toHaveLength(1);
      const [op] = replicate;
      expect(op).toMatchObject({ outcome: 'failed', errorClass: 'aborted', dstRse: 'SANDBOX-SAFE' });
      // It ran from rule creation until the stop: seconds, not the 600 s limit.
      const made = reader.results(runId).find((r) => r.operation === 'rule' && r.ruleId === op!.ruleId);
      const ranFor = stoppedAt - Date.parse(made!.start);
      expect(op!.durationMs).toBeGreaterThan(1000);
      expect(op!.durationMs).toBeGreaterThanOrEqual(ranFor);
      expect(op!.durationMs).toBeLessThan(ranFor + 5_000);
      expect(op!.errorMessage).toMatch(/^aborted after \d+\.\d s \(the daemon is stopping\)/);
      expect(op!.errorMessage).not.toContain('600 s');
      expect(Date.now() - stoppedAt).toBeLessThan(60_000);
    } finally {
      reader.close();
      await daemon.stop();
    }
  }, 120_000);
});
