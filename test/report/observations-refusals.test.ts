// A refusal is reported with the service that refused it and the operation: a plain account
// refused a rule deletion by Rucio is the catalogue's permission policy (catalogue_denied, with
// the catalogue's remedy), not a refused credential nor the RSE's.
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
    const found = observations({ results, groups: [], links: [], authFailures: [], runs: [] });
    expect(found.filter((o) => o.kind === 'credential').map((o) => o.title)).toEqual([
      'x509 credential refused 1× by the storage for upload (at SB-FAST_SCRATCHDISK) (auth_denied)',
    ]);
    const byClass = found.filter((o) => o.kind === 'error_class');
    expect(byClass.map((o) => o.title)).toEqual(['3× catalogue_denied (3× delete [x509] on SB-FAST_SCRATCHDISK)', '1× auth_denied (1× upload [x509] on SB-FAST_SCRATCHDISK)']);
    expect(byClass[0]?.detail).toMatch(/the catalogue \(Rucio\) refused this account.*What to do: ask the Rucio administrators/);
    expect(byClass[0]?.detail).toContain('DELETE /rules/0a1b: 401 AccessDenied: the catalogue refused this account "delete rule": Account probe can not delete rule 0a1b');
    expect(byClass[1]?.detail).toMatch(/What to do: ask the site for rights on that path/);
  });
});
