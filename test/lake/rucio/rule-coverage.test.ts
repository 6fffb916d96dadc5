import { describe, expect, it } from 'vitest';
import { describeCoverage, ruleCoverage, type LockInfo } from '../../../src/lake/rucio/index.js';

const files = ['f0', 'f1', 'f2'].map((name) => ({ scope: 'user.probe', name }));
const lock = (name: string, rse: string, state: LockInfo['state'] = 'OK'): LockInfo =>
  ({ scope: 'user.probe', name, rse, rse_id: `${rse}-id`, state, rule_id: 'r1' });

describe('when a rule is done', () => {
  it('is not done while it reads OK with no locks (the judge-evaluator has not seen the attach)', () => {
    const c = ruleCoverage({ state: 'OK', copies: 1 }, [], files);
    expect(c).toEqual({ files: 3, locked: 0, ok: 0, done: false });
    expect(describeCoverage({ state: 'OK' }, c)).toBe('OK, 0 of 3 files locked OK');
  });

  it('is not done with some files locked, and done once every file has its OK lock', () => {
    expect(ruleCoverage({ state: 'OK', copies: 1 }, [lock('f0', 'A'), lock('f1', 'A')], files).done).toBe(false);
    expect(ruleCoverage({ state: 'OK', copies: 1 }, files.map((f) => lock(f.name, 'A')), files).done).toBe(true);
  });

  it('counts a file once per copy and ignores locks of files outside the DID', () => {
    const oneCopy = [...files.map((f) => lock(f.name, 'A')), lock('other', 'A'), lock('other', 'B')];
    expect(ruleCoverage({ state: 'OK', copies: 2 }, oneCopy, files)).toMatchObject({ ok: 0, done: false });
    const twoCopies = files.flatMap((f) => [lock(f.name, 'A'), lock(f.name, 'B')]);
    expect(ruleCoverage({ state: 'OK', copies: 2 }, twoCopies, files)).toMatchObject({ ok: 3, done: true });
  });

  it('is not done while a lock replicates, nor when the rule is not OK', () => {
    const locks = [lock('f0', 'A'), lock('f1', 'A'), lock('f2', 'A', 'REPLICATING')];
    const c = ruleCoverage({ state: 'REPLICATING', copies: 1 }, locks, files);
    expect(c).toEqual({ files: 3, locked: 3, ok: 2, done: false });
    expect(describeCoverage({ state: 'REPLICATING' }, c)).toBe('REPLICATING, 2 of 3 files locked OK (1 still replicating or stuck)');
    expect(ruleCoverage({ state: 'STUCK', copies: 1 }, files.map((f) => lock(f.name, 'A')), files).done).toBe(false);
  });

  it('is done at once for a DID with no files', () => {
    expect(ruleCoverage({ state: 'OK', copies: 1 }, [], []).done).toBe(true);
  });
});
