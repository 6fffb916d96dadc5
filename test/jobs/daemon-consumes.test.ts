// In a daemon each test fires on its own schedule: a consumer reads its upstream's latest
// complete output from an earlier fire (through the results store), never an incomplete one,
// and the upstream keeps that output for it. Recounted from the raw results of each fire.
// Rucio behaviour relied on: a dataset's replicas list its files' (rucio/lib/rucio/core/replica.py, list_replicas).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/jobs/daemon.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { ResultsStore } from '../../src/results/store.js';
import { startTestLake } from '../integration/lake-fixture.js';
import { chainPlan } from '../helpers/chain-plan.js';

const PLAN = chainPlan({
  files: 2, runs: 2, wait: 30, schedules: { up: '0,10,20,30,40,50 * * * * *', down: '5,15,25,35,45,55 * * * * *' },
});

async function until(what: string, probe: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a daemon\'s consumer and its upstream on their own schedules', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let dir: string;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    env = await startTestLake();
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-daemon-consumes-'));
    await writeFile(join(dir, 'plan.yaml'), PLAN);
  }, 120_000);
  afterAll(async () => {
    await daemon?.stop();
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the latest complete output of an earlier fire of its upstream', async () => {
    daemon = await startDaemon({
      planFile: join(dir, 'plan.yaml'), env: env.lake.env, uid: 4_000_021, registry: builtinScenarios(), dbPath: join(dir, 'r.db'),
      port: 0, log: () => {}, watch: false, stopGraceMs: 20_000,
    });
    const d = daemon;
    // Enough fires that a consumer fires after two complete upstream fires: it must take the second.
    const fired = (): boolean => {
      const ups = d.history.runs.filter((r) => r.test === 'up' && r.outcome === 'passed' && r.finishedAt).map((r) => Date.parse(r.finishedAt!)).sort();
      const downs = d.history.runs.filter((r) => r.test === 'down' && r.outcome === 'passed');
      return ups.length >= 2 && downs.length >= 2 && downs.some((r) => Date.parse(r.startedAt) > ups[1]!);
    };
    await until('a consumer fire after two complete upstream fires', fired, 180_000);
    await d.stop();
    daemon = undefined;

    const store = new ResultsStore(join(dir, 'r.db'));
    const runs = store.runs().map((r) => ({ runId: r.runId, results: store.results(r.runId) }));
    const ups = runs.filter((r) => r.results.some((x) => x.test === 'up'));
    const downs = runs.filter((r) => r.results.some((x) => x.test === 'down') && r.results.every((x) => x.outcome !== 'failed'));
    expect(downs.length).toBeGreaterThanOrEqual(2);
    // When each upstream fire's replication rule had every lock OK (its `replicate` result's end).
    const completed = ups.flatMap((u) => {
      const replicated = u.results.filter((x) => x.operation === 'replicate' && x.outcome === 'ok');
      const rule = u.results.find((x) => x.operation === 'rule' && x.rse === '' && x.outcome === 'ok');
      return replicated.length && rule ? [{ runId: u.runId, ruleId: rule.ruleId, at: Math.max(...replicated.map((x) => Date.parse(x.start) + x.durationMs)) }] : [];
    });
    for (const down of downs) {
      const wait = down.results.find((x) => x.operation === 'list' && x.rse === '');
      expect(wait?.outcome).toBe('ok');
      const consumed = completed.find((c) => c.ruleId === wait?.ruleId);
      expect(consumed, `the rule ${wait?.ruleId} a consumer read is an upstream fire's`).toBeDefined();
      // Complete before the consumer's wait ended (it waits when no fire is complete yet), and no fire completed later
      // than it before the consumer asked: the latest complete output (a second of slack for the publication).
      const asked = Date.parse(wait!.start);
      expect(consumed!.at).toBeLessThanOrEqual(asked + wait!.durationMs + 1000);
      const later = completed.filter((c) => c.at > consumed!.at && c.at < asked - 1000);
      expect(later).toEqual([]);
      // It read that fire's files: as many downloads as the upstream wrote, at the consumer's RSE.
      expect(down.results.filter((x) => x.operation === 'download').map((x) => x.rse)).toEqual(['SANDBOX-FAST', 'SANDBOX-FAST']);
      expect(down.results.filter((x) => x.operation === 'upload')).toHaveLength(2); // its outputs only
    }
    // Each complete upstream fire kept its output for the consumer outside its run: its rules stay in the ledger.
    for (const c of completed) expect(store.pending(c.runId).some((e) => e.kind === 'rule' && e.target === c.ruleId)).toBe(true);
    console.log(`daemon: ${ups.length} upstream fires (${completed.length} complete), ${downs.length} consumer fires, consumed ${downs.map((d) => {
      const w = d.results.find((x) => x.operation === 'list' && x.rse === '');
      return `${completed.find((c) => c.ruleId === w?.ruleId)?.runId} after ${((w?.durationMs ?? 0) / 1000).toFixed(1)} s`;
    }).join(', ')}`);
    store.close();
  }, 300_000);
});
