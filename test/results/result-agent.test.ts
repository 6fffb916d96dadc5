// The agent that ran an operation travels with its result: written by a store named for an agent,
// read back, copied into another store (as a report from the shared store does) and read again.
import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { loadForReport, SqliteReader } from '../../src/results/reader.js';
import { ResultsStore } from '../../src/results/store.js';
import { opResult } from '../helpers/op-result.js';

const RUN = { runId: 'r1', planName: 'multi', planFile: '/plans/multi.yaml', startedAt: '2026-06-01T00:00:00.000Z' };

describe('a result\'s agent', () => {
  it('is the store\'s agent when the result names none, and the result\'s own when it does', () => {
    const store = new ResultsStore(':memory:', { agent: 'site-a' });
    try {
      store.onBegin(RUN);
      store.onResult(opResult({ runId: 'r1' }));
      store.onResult(opResult({ runId: 'r1', agent: 'site-b', start: '2024-03-01T10:00:01.000Z' }));
      expect(store.results('r1').map((r) => r.agent)).toEqual(['site-a', 'site-b']);
      expect(store.run('r1')?.agent).toBe('site-a');
    } finally {
      store.close();
    }
  });

  it('is absent, not "", when no agent was named', () => {
    const store = new ResultsStore(':memory:');
    try {
      const result = opResult({ runId: 'r1' });
      store.onBegin(RUN);
      store.onResult(result);
      expect(store.results('r1')).toEqual([result]);
      expect(store.results('r1')[0]).not.toHaveProperty('agent');
      expect(store.run('r1')).not.toHaveProperty('agent');
    } finally {
      store.close();
    }
  });

  it('survives the copy a report makes of its selection (runs and results)', async () => {
    const journal = new ResultsStore(':memory:', { agent: 'site-a' });
    try {
      journal.onBegin(RUN);
      const results: OpResult[] = [
        opResult({ runId: 'r1', agent: 'site-a' }),
        opResult({ runId: 'r1', agent: 'site-b', operation: 'replicate', srcRse: 'SITE_A', dstRse: 'SITE_B', start: '2024-03-01T10:00:02.000Z' }),
      ];
      journal.onResult(results[0]!);
      journal.onResult(results[1]!);
      journal.onEnd(RUN, { total: 2, failed: 0, finishedAt: '2026-06-01T00:01:00.000Z' });
      const copy = await loadForReport(new SqliteReader(journal), { runs: ['r1'] });
      try {
        expect(copy.results('r1')).toEqual(results);
        expect(copy.run('r1')?.agent).toBe('site-a');
      } finally {
        copy.close();
      }
    } finally {
      journal.close();
    }
  });
});
