// The output board: a consumer waits for its upstream's complete output up to its bound, starves at
// once when the upstream will publish no more, reads the latest complete output from the store when
// the upstream is outside the run, and a producer holds its output until its consumers are done.
import { describe, expect, it } from 'vitest';
import { OutputBoard, StarvedError, type Consumption, type OutputRecord } from '../../src/engine/outputs.js';
import { ResultsStore } from '../../src/results/store.js';
import { classify } from '../../src/engine/classify.js';
import { ERROR_CLASSES } from '../../src/engine/taxonomy.js';

const output = (over: Partial<OutputRecord>): OutputRecord => ({
  runId: 'r1', experiment: 'E', test: 'up', authMethod: 'x509', kind: 'dataset', scope: 'user.probe', name: 'ds', ruleId: 'rule1',
  rse: 'A', state: 'REPLICATING', complete: false, detail: '', at: new Date().toISOString(), ...over,
});
const wants = (waitSeconds: number): Consumption => ({ experiment: 'E', test: 'up', output: 'dataset', waitSeconds });
const chain = [
  { experiment: 'E', test: 'up', units: 1, consumedBy: [{ experiment: 'E', test: 'down' }] },
  { experiment: 'E', test: 'down', units: 1, consumes: wants(1) },
];
const never = new AbortController().signal;

async function starvation(p: Promise<unknown>): Promise<StarvedError> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(StarvedError);
  return e as StarvedError;
}

describe('output board', () => {
  it('hands over the complete output published while the consumer waits', async () => {
    const board = new OutputBoard();
    board.plan(chain);
    const got = board.awaitOutput(wants(30), never);
    board.publish(output({ state: 'REPLICATING' }));
    board.publish(output({ state: 'OK', complete: true, name: 'ds-done' }));
    expect((await got).name).toBe('ds-done');
  });

  it('starves at its bound with the upstream\'s last state, as upstream_starved', async () => {
    const board = new OutputBoard();
    board.plan(chain);
    board.publish(output({ detail: 'rule rule1 REPLICATING, 0 of 2 files locked OK' }));
    const started = Date.now();
    const e = await starvation(board.awaitOutput(wants(1), never));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(e.upstream).toBe('E/up');
    expect(e.upstreamState).toBe('REPLICATING');
    expect(e.message).toMatch(/^starved by E\/up \(REPLICATING\): no complete dataset after 1 s \(wait_seconds 1\); rule rule1 REPLICATING, 0 of 2 files locked OK at \S+; dataset user\.probe:ds$/);
    expect(classify(e).errorClass).toBe('upstream_starved');
    expect(ERROR_CLASSES.upstream_starved.remedy).toContain('upstream test');
  });

  it('starves at once when the upstream in the run will publish no more', async () => {
    const board = new OutputBoard();
    board.plan(chain);
    const started = Date.now();
    const waiting = board.awaitOutput(wants(600), never);
    board.producerDone('E', 'up');
    const e = await starvation(waiting);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(e.message).toBe('starved by E/up (never published): ended without a complete dataset; it published no dataset');
  });

  it('outside the run, reads the latest complete output from the store and never a newer incomplete one', async () => {
    const store = new ResultsStore(':memory:');
    store.recordOutput(output({ runId: 'r1', name: 'first', state: 'OK', complete: true }));
    store.recordOutput(output({ runId: 'r2', name: 'second', state: 'OK', complete: true }));
    store.recordOutput(output({ runId: 'r3', name: 'third', state: 'STUCK', complete: false }));
    const board = new OutputBoard(store, 50);
    board.plan([chain[1]!]);
    const got = await board.awaitOutput(wants(1), never);
    expect([got.runId, got.name]).toEqual(['r2', 'second']);
    // Nothing complete at all: starved at the bound, quoting the store's latest state and its run.
    const empty = new ResultsStore(':memory:');
    empty.recordOutput(output({ runId: 'r9', name: 'stuck', state: 'STUCK', complete: false }));
    const lonely = new OutputBoard(empty, 50);
    lonely.plan([chain[1]!]);
    const e = await starvation(lonely.awaitOutput(wants(1), never));
    expect(e.message).toMatch(/^starved by E\/up \(STUCK\): no complete dataset after 1 s \(wait_seconds 1\); STUCK at \S+ in run r9; dataset user\.probe:stuck$/);
    store.close();
    empty.close();
  });

  it('holds a producer until its consumers in the run are done, and keeps the output for a consumer outside the run', async () => {
    const board = new OutputBoard();
    board.plan(chain);
    let released = false;
    const held = board.consumersDone('E', 'up', never).then((r) => { released = true; return r; });
    await new Promise((r) => setTimeout(r, 100));
    expect(released).toBe(false);
    board.consumerDone(wants(1));
    expect(await held).toEqual({ keep: false });
    const alone = new OutputBoard();
    alone.plan([chain[0]!]);
    expect(await alone.consumersDone('E', 'up', never)).toEqual({ keep: true });
    // A test nobody consumes publishes nothing.
    const store = new ResultsStore(':memory:');
    const quiet = new OutputBoard(store);
    quiet.plan([{ experiment: 'E', test: 'up', units: 1 }]);
    quiet.publish(output({ complete: true }));
    expect(store.latestOutput('E', 'up', 'dataset', false)).toBeUndefined();
    store.close();
  });
});
