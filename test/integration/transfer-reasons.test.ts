// Transfer failures reach the report as the transfer's own reason, not as a STUCK rule:
// a transfer_failure fault makes the sandbox's FTS fail every transfer to one RSE with
// FTS's words, Rucio keeps them as the request's and the rule's error
// (rucio lib/rucio/core/rule.py: a failed lock puts the rule STUCK with the transfer's
// error; lib/rucio/core/request.py get_transfer_error for NO_SOURCES), and the replicate
// scenario's `replicate` result carries the class of that reason.
import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { loadTestPlan, runTestPlan, STORAGE_KINDS, useTestLake } from './lake-fixture.js';

const PLAN = `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
experiments:
  - name: T
    tests:
      - { name: rep, scenario: replicate, auth: [token], params: { size: 4096, timeout_seconds: 60, poll_seconds: 0.2 } }
`;

/** Fault reason → the class a site admin needs, and a word of the message that must reach the report. */
const REASONS = [
  ['checksum_unavailable', 'destination_checksum_missing', 'CHECKSUM'],
  ['source_error', 'transfer_source_error', '500'],
  ['tpc_refused', 'transfer_tpc_refused', 'COPY refused'],
  ['source_auth', 'transfer_source_auth', 'SOURCE'],
  ['destination_auth', 'transfer_destination_auth', 'DESTINATION'],
  ['no_space', 'transfer_no_space', 'No space left'],
  ['timeout', 'transfer_timeout', 'timeout'],
  ['no_route', 'transfer_no_route', 'no distance'],
] as const;

describe.each(STORAGE_KINDS)('transfer failures by reason (%s storage)', (storage) => {
  const env = useTestLake(storage);
  const replicate = async (): Promise<OpResult | undefined> => {
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, PLAN));
    return results.find((r) => r.operation === 'replicate');
  };

  it.each(REASONS)('transfer_failure reason=%s → %s', async (reason, errorClass, word) => {
    env.lake.faults.add({ kind: 'transfer_failure', rse: 'SANDBOX-SAFE', reason });
    const result = await replicate();
    expect(result).toMatchObject({ outcome: 'failed', errorClass, srcRse: 'SANDBOX-FAST', dstRse: 'SANDBOX-SAFE' });
    expect(result?.errorMessage).toContain(word);
  }, 90_000);

  it.runIf(storage === 'builtin')('checksum_missing at the destination (a real 404 on Want-Digest) → destination_checksum_missing', async () => {
    env.lake.faults.add({ kind: 'checksum_missing', rse: 'SANDBOX-SAFE' });
    const result = await replicate();
    expect(result).toMatchObject({ outcome: 'failed', errorClass: 'destination_checksum_missing' });
    expect(result?.errorMessage).toMatch(/DESTINATION checksum unavailable/);
  }, 90_000);

  it('a rule that stalls without a transfer error stays rule_timeout', async () => {
    env.lake.faults.add({ kind: 'transfer_stuck', rse: 'SANDBOX-SAFE' });
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, PLAN.replace('timeout_seconds: 60', 'timeout_seconds: 2')));
    expect(results.find((r) => r.operation === 'replicate')).toMatchObject({ outcome: 'failed', errorClass: 'rule_timeout' });
  }, 90_000);
});
