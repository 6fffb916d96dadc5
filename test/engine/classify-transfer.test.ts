// A rule's error carries its transfers' reason (FTS's "SCOPE [errno] text" behind Rucio's
// RequestErrMsg prefix): the class follows the reason, the rule state only when there is none.
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/engine/classify.js';
import { RuleStateError } from '../../src/lake/errors.js';

const stuck = (error: string): string => classify(new RuleStateError('r1', 'STUCK', error)).errorClass;

describe('classify: transfer reasons in a rule error', () => {
  it.each([
    // DAC21 logbook, IN2P3_CC_LSST, 22-11-21.
    ['RequestErrMsg.TRANSFER_FAILED:TRANSFER [2] DESTINATION CHECKSUM HTTP 404 : File not found', 'destination_checksum_missing'],
    ['RequestErrMsg.TRANSFER_FAILED:DESTINATION checksum unavailable', 'destination_checksum_missing'],
    ['RequestErrMsg.TRANSFER_FAILED:SOURCE [5] Result HTTP 500 : Unexpected server error: 500  after 1 attempts', 'transfer_source_error'],
    ['RequestErrMsg.TRANSFER_FAILED:TRANSFER failure: rejected GET: 500 Internal Server Error', 'transfer_source_error'],
    ['RequestErrMsg.TRANSFER_FAILED:TRANSFER COPY refused with status code 400: Bad Request', 'transfer_tpc_refused'],
    ['RequestErrMsg.TRANSFER_FAILED:SOURCE [13] Result HTTP 401 : Authentication Error  after 1 attempts', 'transfer_source_auth'],
    ['RequestErrMsg.TRANSFER_FAILED:DESTINATION [13] Result HTTP 403 : Permission refused  after 1 attempts', 'transfer_destination_auth'],
    ['RequestErrMsg.TRANSFER_FAILED:DESTINATION [28] No space left on device', 'transfer_no_space'],
    ['RequestErrMsg.TRANSFER_FAILED:TRANSFER [110] Transfer canceled because the gsiftp performance marker timeout of 360 seconds has been exceeded', 'transfer_timeout'],
    ['RequestErrMsg.TRANSFER_FAILED:TRANSFER timed out after 30 s', 'transfer_timeout'],
    ['RequestErrMsg.NO_SOURCES:RequestState.NO_SOURCES no path from any source to B (no distance)', 'transfer_no_route'],
  ])('%s → %s', (error, errorClass) => {
    expect(stuck(error)).toBe(errorClass);
  });

  it('a rule stuck without a transfer reason stays rule_stuck; one still replicating at the deadline rule_timeout', () => {
    expect(stuck('RequestErrMsg.NO_SOURCES:RequestState.NO_SOURCES')).toBe('rule_stuck');
    expect(stuck('')).toBe('rule_stuck');
    expect(classify(new RuleStateError('r1', 'TIMEOUT', 'still REPLICATING after 60 s')).errorClass).toBe('rule_timeout');
  });
});
