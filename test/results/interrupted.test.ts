import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportJob } from '../../src/jobs/report.js';
import { snapshotPlan } from '../../src/results/plan-snapshot.js';
import { ResultsStore } from '../../src/results/store.js';
import { knownPlan } from '../report/known-store.js';
import { killedRun } from './killed-run.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lakeprobe-interrupted-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

describe('a run killed before it finished', () => {
  it('is marked interrupted by the next report, which reports what it recorded', async () => {
    const db = join(dir, 'r.db');
    await killedRun(db);
    const store = new ResultsStore(db);
    try {
      expect(store.run('killed')).toMatchObject({ state: 'running', finishedAt: null });
      const lines: string[] = [];
      const { report, interrupted, written } = await reportJob({ store, outDir: join(dir, 'reports'), runs: ['killed'], log: (l) => lines.push(l) });
      expect(interrupted.map((r) => r.runId)).toEqual(['killed']);
      expect(store.run('killed')).toMatchObject({ state: 'interrupted', finishedAt: null, total: 2, failed: 1 });
      expect(lines).toContain('run killed never finished: marked interrupted (2 operations recorded)');
      expect(report.experiments[0]?.verdict).toBe('Interrupted');
      expect(report.experiments[0]?.tests[0]).toMatchObject({ verdict: 'Interrupted', operations: 2, failures: 1 });
      expect(readFileSync(join(written!.dir, 'ska.md'), 'utf8')).toContain('Runs `killed` (interrupted);');
    } finally {
      store.close();
    }
  }, 60_000);

  it('leaves a run alone while the process recording it is alive', () => {
    const store = new ResultsStore(':memory:');
    try {
      store.onBegin({ runId: 'live', planName: 'p', planFile: '/p.yaml', startedAt: '2026-03-01T10:00:00.000Z' });
      expect(store.markInterrupted()).toEqual([]);
      expect(store.run('live')?.state).toBe('running');
      expect(store.markInterrupted(() => false).map((r) => r.runId)).toEqual(['live']);
    } finally {
      store.close();
    }
  });
});

describe('stores written before runs had states and stored plans', () => {
  it('are migrated in place: finished runs stay finished, unfinished ones are marked interrupted', () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE runs (run_id TEXT PRIMARY KEY, plan_name TEXT NOT NULL, plan_file TEXT NOT NULL,
      started_at TEXT NOT NULL, finished_at TEXT, total INTEGER, failed INTEGER)`);
    old.exec(`INSERT INTO runs VALUES ('done', 'p', '/p.yaml', '2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z', 3, 0),
      ('dead', 'p', '/p.yaml', '2026-01-02T00:00:00Z', NULL, NULL, NULL)`);
    old.close();
    const store = new ResultsStore(path);
    try {
      expect(store.run('done')?.state).toBe('finished');
      expect(store.run('dead')?.state).toBe('running');
      expect(store.plan('done')).toBeUndefined();
      // No process is known for a run recorded before pids were: it cannot still be running.
      expect(store.markInterrupted().map((r) => r.runId)).toEqual(['dead']);
      store.savePlan('done', snapshotPlan(knownPlan()));
      expect(store.plan('done')?.snapshot.experiments[0]?.tests[0]?.success).toEqual({ minSuccessRate: 0.75 });
      expect(store.plan('done')?.hash).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      store.close();
    }
  });

  it('keeps the first plan stored for a run, and never stores a credential', () => {
    const store = new ResultsStore(':memory:');
    try {
      const base = knownPlan();
      const plan = {
        ...base, credentials: { userpass: { username: 'u', password: 'hunter2-secret' } },
        experiments: [{ ...base.experiments[0]!, tests: [{ ...base.experiments[0]!.tests[0]!, params: { note: 'hunter2-secret', url: 'https://u:pw-in-url@se.example/x' } }] }],
      };
      store.savePlan('r', snapshotPlan(plan));
      store.savePlan('r', snapshotPlan(knownPlan({ upload: 1 })));
      expect(store.plan('r')?.snapshot.experiments[0]?.tests[0]?.success).toEqual({ minSuccessRate: 0.75 });
      expect(JSON.stringify(store.plan('r'))).not.toContain('hunter2');
      expect(JSON.stringify(store.plan('r'))).not.toContain('pw-in-url');
      expect(store.plan('r')?.snapshot.experiments[0]?.tests[0]?.params).toBe('{"note":"<redacted>","url":"https://u:<redacted>@se.example/x"}');
    } finally {
      store.close();
    }
  });
});
