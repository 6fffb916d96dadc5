import { describe, expect, it } from 'vitest';
import { cleanupLines } from '../../src/engine/cleanup.js';
import { RULE_DELETED } from '../../src/engine/cleanup.js';

describe('cleanup console lines', () => {
  it('say per entry what was done and count each kind', async () => {
    const entry = (id: number, kind: 'rule' | 'did' | 'storage_file', target: string) =>
      ({ id, runId: 'r1', kind, rse: kind === 'did' ? '' : 'SITE_A', target, authMethod: 'token', createdAt: '', state: 'pending' as const });
    const lines = cleanupLines([
      { entry: entry(1, 'rule', 'abc'), status: 'handed_over', ok: true, message: RULE_DELETED, actedAs: 'token' },
      { entry: entry(2, 'did', 'user.root:ds'), status: 'never_created', ok: true, message: 'never created (not found as userpass)', actedAs: 'userpass' },
      { entry: entry(3, 'storage_file', 'davs://se/f'), status: 'left_behind', ok: false, message: 'left behind: x509: boom', actedAs: '' },
    ]);
    expect(lines).toEqual([
      'handed over   rule SITE_A abc (run r1): rule deleted; replicas are removed by Rucio later',
      'never created did user.root:ds (run r1): never created (not found as userpass)',
      'LEFT BEHIND   storage_file SITE_A davs://se/f (run r1): left behind: x509: boom',
      '3 ledger entries processed: 1 handed over, 1 never created, 1 left behind',
    ]);
  });
});
