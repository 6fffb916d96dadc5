import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reapOnce, startTransferEngine, type TransferEngine } from '../../../src/sandbox/transfers/index.js';
import { adler32, randomData, SCOPE, startLakeFixture, type LakeFixture } from './lake-fixture.js';

const FAST = 'SANDBOX-FAST';
const SAFE = 'SANDBOX-SAFE';
const HOUR_MS = 3600 * 1000;

describe('sandbox reaper', () => {
  let fx: LakeFixture;
  let engine: TransferEngine;
  const replicas = (name: string): { rse: string; state: string }[] =>
    fx.catalogue.admin.listReplicas(SCOPE, name).map(({ rse, state }) => ({ rse, state }));

  beforeAll(async () => {
    fx = await startLakeFixture();
    engine = startTransferEngine({ admin: fx.catalogue.admin, caPems: fx.caPems, credentials: fx.credentials });
  });
  afterAll(async () => {
    await engine?.stop();
    await fx?.close();
  });

  it('moves data off the source: after replication, purging the source rule lets the reaper delete the origin', async () => {
    const data = randomData(64 * 1024);
    await fx.addFile(FAST, 'moved.dat', data);
    const sourceRule = await fx.addRule('moved.dat', FAST);
    const destRule = await fx.addRule('moved.dat', SAFE);
    await engine.runOnce();
    expect(await fx.json(`/rules/${destRule}`)).toMatchObject({ state: 'OK' });
    const origin = fx.diskFile(FAST, 'moved.dat');
    const copy = fx.diskFile(SAFE, 'moved.dat');
    expect(fx.catalogue.admin.replicasToReap(FAST)).toEqual([]);

    const del = await fx.rest('DELETE', `/rules/${sourceRule}`, { purge_replicas: true });
    expect(del.status, del.body).toBe(200);
    // The soft delete leaves the rule for at most an hour: run the judge-cleaner past it.
    expect(fx.catalogue.admin.expire(new Date(Date.now() + 2 * HOUR_MS)).rules).toEqual([sourceRule]);

    const result = await reapOnce({ admin: fx.catalogue.admin, caPems: fx.caPems, credentials: fx.credentials, rse: FAST });
    expect(result.failed).toEqual([]);
    expect(result.removed).toEqual([expect.objectContaining({ rse: FAST, scope: SCOPE, name: 'moved.dat' })]);
    expect(existsSync(origin)).toBe(false);
    expect(replicas('moved.dat')).toEqual([{ rse: SAFE, state: 'AVAILABLE' }]);
    // A file that still has a replica keeps its DID.
    expect((await fx.rest('GET', `/dids/${SCOPE}/moved.dat`)).status).toBe(200);
    expect(adler32(readFileSync(copy))).toBe(adler32(data));
  });

  it('marks the replica BEING_DELETED, deletes its file, and only then removes its row (daemons/reaper/reaper.py)', async () => {
    await fx.addFile(FAST, 'ordered.dat', randomData(1000));
    const tomb = await fx.rest('POST', '/replicas/tombstone', { replicas: [{ rse: FAST, scope: SCOPE, name: 'ordered.dat' }] });
    expect(tomb.status, tomb.body).toBe(201);
    const file = fx.diskFile(FAST, 'ordered.dat');
    const seen: { state: string | undefined; fileThere: boolean }[] = [];
    const admin = fx.catalogue.admin;
    const watched = {
      ...admin,
      removeReapedReplica: (scope: string, name: string, rse: string): boolean => {
        seen.push({ state: replicas(name).find((r) => r.rse === rse)?.state, fileThere: existsSync(file) });
        return admin.removeReapedReplica(scope, name, rse);
      },
    };
    const result = await reapOnce({ admin: watched, caPems: fx.caPems, credentials: fx.credentials, rse: FAST });
    expect(result.removed.map((r) => r.name)).toEqual(['ordered.dat']);
    expect(seen).toEqual([{ state: 'BEING_DELETED', fileThere: false }]);
    expect(replicas('ordered.dat')).toEqual([]);
  });

  it('removes the data of a rule whose lifetime ran out', async () => {
    await fx.addFile(FAST, 'expiring.dat', randomData(1000));
    const id = await fx.addRule('expiring.dat', FAST, { lifetime: 1 });
    const file = fx.diskFile(FAST, 'expiring.dat');
    expect(fx.catalogue.admin.replicasToReap(FAST)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(fx.catalogue.admin.expire().rules).toEqual([id]);

    const result = await reapOnce({ admin: fx.catalogue.admin, caPems: fx.caPems, credentials: fx.credentials });
    expect(result.removed.map((r) => r.name)).toEqual(['expiring.dat']);
    expect(existsSync(file)).toBe(false);
    expect(replicas('expiring.dat')).toEqual([]);
    // core/replica.py __cleanup_after_replica_deletion: a file with no replica left leaves the DID table.
    expect((await fx.rest('GET', `/dids/${SCOPE}/expiring.dat`)).status).toBe(404);
  });

  it('never reaps a replica registered without a rule: Rucio gives it no tombstone', async () => {
    // lib/rucio/core/replica.py __bulk_add_replicas: no tombstone unless the RSE has tombstone_delay.
    await fx.addFile(FAST, 'orphan-kept.dat', randomData(1000));
    expect(fx.catalogue.admin.listReplicas(SCOPE, 'orphan-kept.dat')).toEqual([expect.objectContaining({ tombstone: null, locks: 0 })]);
    const result = await reapOnce({ admin: fx.catalogue.admin, caPems: fx.caPems, credentials: fx.credentials, rse: FAST });
    expect(result.removed.map((r) => r.name)).not.toContain('orphan-kept.dat');
    expect(existsSync(fx.diskFile(FAST, 'orphan-kept.dat'))).toBe(true);
  });

  it('keeps the replica when storage refuses the DELETE, and reports why', async () => {
    await fx.addFile(FAST, 'guarded.dat', randomData(1000));
    const tomb = await fx.rest('POST', '/replicas/tombstone', { replicas: [{ rse: FAST, scope: SCOPE, name: 'guarded.dat' }] });
    expect(tomb.status, tomb.body).toBe(201);
    const file = fx.diskFile(FAST, 'guarded.dat');
    const readOnly = async (): Promise<{ destToken: string; sourceToken: string }> => {
      const token = await fx.issuer.mint({ sub: 'fts', scope: 'storage.read:/' });
      return { destToken: token, sourceToken: token };
    };
    const result = await reapOnce({ admin: fx.catalogue.admin, caPems: fx.caPems, credentials: readOnly, rse: FAST });
    expect(result.removed).toEqual([]);
    expect(result.failed).toEqual([expect.objectContaining({ name: 'guarded.dat', error: expect.stringMatching(/^DELETE answered 403/) })]);
    expect(existsSync(file)).toBe(true);
    // Marked before its file was tried (list_and_mark_unlocked_replicas): never again listed as available.
    expect(replicas('guarded.dat')).toEqual([{ rse: FAST, state: 'BEING_DELETED' }]);
    const listed = await fx.rest('POST', '/replicas/list', { dids: [{ scope: SCOPE, name: 'guarded.dat' }] });
    expect(JSON.parse(listed.body)).toMatchObject({ name: 'guarded.dat', states: {}, rses: {} });
    // Rucio takes a BEING_DELETED replica again only after delay_seconds (600).
    expect(fx.catalogue.admin.replicasToReap(FAST).map((r) => r.name)).not.toContain('guarded.dat');
  });

  it('treats a file already gone from storage (404) as deleted', async () => {
    const file = fx.diskFile(FAST, 'guarded.dat');
    rmSync(file);
    const result = await reapOnce({ admin: fx.catalogue.admin, caPems: fx.caPems, credentials: fx.credentials, rse: FAST, retrySeconds: 0 });
    expect(result).toEqual({ removed: [expect.objectContaining({ name: 'guarded.dat' })], failed: [] });
    expect(replicas('guarded.dat')).toEqual([]);
  });
});
