// A refused credential is reported with the service that refused it and the operation:
// a plain account refused a rule deletion by Rucio is the catalogue's refusal, not the RSE's.
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/engine/classify.js';
import { RucioApiError, StorageError } from '../../src/lake/errors.js';
import { observations } from '../../src/report/observations.js';
import { opResult } from '../helpers/op-result.js';

const failed = (operation: 'delete' | 'upload', error: unknown) => {
  const { errorClass, message } = classify(error);
  return opResult({ operation, rse: 'SB-FAST_SCRATCHDISK', outcome: 'failed', severity: 'error', errorClass, errorMessage: message });
};

describe('observations: credential refusals', () => {
  it('name the catalogue and the operation for a Rucio refusal, the storage for a storage one', () => {
    const byCatalogue = new RucioApiError(401, 'AccessDenied', 'Account probe can not delete rule 0a1b', 'DELETE', '/rules/0a1b');
    const byStorage = new StorageError(403, 'PUT', 'davs://se.example:443/rucio/f', 'Permission refused');
    const results = [failed('delete', byCatalogue), failed('delete', byCatalogue), failed('delete', byCatalogue), failed('upload', byStorage)];
    const titles = observations({ results, groups: [], links: [], authFailures: [], runs: [] })
      .filter((o) => o.kind === 'credential').map((o) => o.title);
    expect(titles).toEqual([
      'x509 credential refused 3× by the catalogue for delete (about SB-FAST_SCRATCHDISK) (auth_denied)',
      'x509 credential refused 1× by the storage for upload (at SB-FAST_SCRATCHDISK) (auth_denied)',
    ]);
  });
});
