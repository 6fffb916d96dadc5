import { describe, expect, it } from 'vitest';
import { cleanupLedger, REPLICA_REGISTERED } from '../../src/engine/cleanup.js';
import { NOBODY_DELETES_REPLICAS } from '../../src/engine/removal.js';
import type { LakeSession } from '../../src/engine/lake-session.js';
import type { AuthMethod } from '../../src/engine/op-result.js';
import { RucioApiError } from '../../src/lake/errors.js';
import type { ReplicaRecord, RucioClient } from '../../src/lake/rucio/index.js';
import type { StorageDriver } from '../../src/lake/storage/driver.js';
import { ResultsStore } from '../../src/results/store.js';

const TARGET = 'user.alice:lakeprobe.run-1.f0';

/** A catalogue holding the replica on SITE_A or not; deleting it is refused unless allowed. */
function fakeCatalogue(listed: boolean, mayDelete: boolean) {
  const state = { listed, calls: [] as string[] };
  const session = async (method: AuthMethod): Promise<LakeSession> => {
    const rucio = {
      listReplicas: async (): Promise<ReplicaRecord[]> => {
        state.calls.push('list');
        return [{ scope: 'user.alice', name: 'lakeprobe.run-1.f0', bytes: 1, md5: null, adler32: null, pfns: {}, rses: {}, states: state.listed ? { SITE_A: 'AVAILABLE' } : {} }];
      },
      deleteReplicas: async (rse: string, files: { scope: string; name: string }[]) => {
        state.calls.push(`delete ${rse} ${files.map((f) => `${f.scope}:${f.name}`).join(',')}`);
        if (!mayDelete) throw new RucioApiError(401, 'AccessDenied', 'Account alice can not delete replicas on SITE_A', 'DELETE', '/replicas');
        state.listed = false;
      },
    } as unknown as RucioClient;
    const storage = () => ({}) as StorageDriver;
    return { method, account: 'alice', rucio, storage, storageAs: async () => storage(), secrets: [], identity: method };
  };
  return { state, session };
}

function ledgerWithReplica() {
  const ledger = new ResultsStore(':memory:');
  const id = ledger.intend({ runId: 'run-1', kind: 'replica', rse: 'SITE_A', target: TARGET, authMethod: 'token' });
  ledger.created(id);
  return ledger;
}

describe('cleanup of replica registrations', () => {
  it('closes an entry whose replica is no longer listed, without trying to delete it', async () => {
    const ledger = ledgerWithReplica();
    const lake = fakeCatalogue(false, false);
    const [outcome] = await cleanupLedger(ledger, { session: lake.session, methods: ['token'] });
    expect(outcome).toMatchObject({ ok: true, status: 'already_gone', message: 'already gone (not found as token)' });
    expect(lake.state.calls).toEqual(['list']);
    expect(ledger.pending()).toEqual([]);
  });

  it('never asks Rucio to delete a listed replica (DELETE /replicas is refused to every account): it goes with its dataset\'s rule', async () => {
    // lib/rucio/core/permission/generic.py perm_delete_replicas returns False, root included.
    const ledger = ledgerWithReplica();
    const lake = fakeCatalogue(true, true);
    const [outcome] = await cleanupLedger(ledger, { session: lake.session, methods: ['token'] });
    expect(outcome).toMatchObject({ ok: true, status: 'handed_over', message: REPLICA_REGISTERED });
    expect(lake.state.calls).toEqual(['list']);
    expect(ledger.pending()).toEqual([]);
  });

  it('when no credential can ask the catalogue, it is left behind with what Rucio really allows, not "an admin can remove it"', async () => {
    const ledger = ledgerWithReplica();
    const refused = new RucioApiError(401, 'CannotAuthenticate', 'Cannot authenticate with given credentials', 'POST', '/replicas/list');
    const [outcome] = await cleanupLedger(ledger, { session: async () => { throw refused; }, methods: ['token'] });
    expect(outcome?.status).toBe('left_behind');
    expect(outcome?.message).toContain(`replica ${TARGET} on SITE_A: ${NOBODY_DELETES_REPLICAS}`);
    expect(outcome?.message).not.toMatch(/admin can remove/);
    expect(ledger.pending().map((e) => e.kind)).toEqual(['replica']);
  });
});
