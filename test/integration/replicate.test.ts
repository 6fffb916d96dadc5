import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { checksumStream } from '../../src/lake/data/index.js';
import { DavsDriver } from '../../src/lake/storage/davs.js';
import { loadTrustAnchors, loadX509Proxy } from '../../src/lake/credentials/index.js';
import { RucioClient } from '../../src/lake/rucio/index.js';
import { loadTestPlan, runTestPlan, startTestLake, STORAGE_KINDS } from './lake-fixture.js';

const plan = (params: string): string => `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
experiments:
  - name: IT
    tests:
      - name: replicate
        scenario: replicate
        auth: [x509]
        params: ${params}
`;

describe.each(STORAGE_KINDS)('replication by rule through HTTP-TPC (%s storage)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let results: OpResult[];
  let rucio: RucioClient;
  let driver: DavsDriver;
  let file: { scope: string; name: string };

  beforeAll(async () => {
    env = await startTestLake(storage);
    const p = await loadTestPlan(env.lake, env.dir, plan('{ size: 3000000, poll_seconds: 0.2, timeout_seconds: 60, cleanup: false }'));
    results = (await runTestPlan(p)).results;
    const ca = await loadTrustAnchors(env.lake.pki.certDir);
    const x509 = await loadX509Proxy(env.lake.memberProxyPath);
    rucio = new RucioClient({ rucioHost: env.lake.rucioUrl, authHost: env.lake.rucioUrl, account: 'root', ca, auth: { method: 'x509', credential: x509 } });
    driver = new DavsDriver({ x509, ca });
    const ruleId = results.find((r) => r.operation === 'replicate')?.ruleId ?? '';
    const [lock] = ruleId ? await rucio.listRuleLocks(ruleId) : [];
    file = { scope: lock?.scope ?? '', name: lock?.name ?? '' };
  });
  afterAll(() => env.stop());

  it('takes the rule from REPLICATING to OK with a real third-party copy', () => {
    const replicate = results.find((r) => r.operation === 'replicate');
    expect(replicate).toMatchObject({ outcome: 'ok', srcRse: 'SANDBOX-FAST', dstRse: 'SANDBOX-SAFE', bytes: 3000000, errorMessage: '' });
    expect(replicate?.ruleId).toMatch(/^[0-9a-f]{32}$/);
    expect(replicate?.requestId).toMatch(/^[0-9a-f]{32}$/);
    const verify = results.filter((r) => r.operation === 'verify');
    expect(verify.map((r) => [r.rse, r.outcome])).toEqual([['SANDBOX-SAFE', 'ok']]);
  });

  it('leaves a destination copy whose bytes and checksum match the source', async () => {
    const [replica] = await rucio.listReplicas({ dids: [file], allStates: true });
    expect(replica?.states).toEqual({ 'SANDBOX-FAST': 'AVAILABLE', 'SANDBOX-SAFE': 'AVAILABLE' });
    const src = replica?.rses?.['SANDBOX-FAST']?.[0] as string;
    const dst = replica?.rses?.['SANDBOX-SAFE']?.[0] as string;
    const [a, b] = await Promise.all([checksumStream(await driver.get(src)), checksumStream(await driver.get(dst))]);
    expect(b).toEqual(a);
    expect(a.bytes).toBe(3000000);
    expect(await driver.checksum(dst, 'adler32')).toBe(a.adler32);
  });

  it('shows the transfer request DONE with its bytes, source and times', async () => {
    const request = await rucio.getRequest(file.scope, file.name, 'SANDBOX-SAFE');
    expect(request).toMatchObject({ state: 'DONE', bytes: 3000000, source_rse: 'SANDBOX-FAST', dest_rse: 'SANDBOX-SAFE' });
    expect(request.started_at).toMatch(/UTC$/);
    expect(request.transferred_at).toMatch(/UTC$/);
  });
});

describe.each(STORAGE_KINDS)('moving data off the source after replication (%s storage)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  afterAll(() => env.stop());

  it('cuts the source rule, the lake reaps the origin replica, the destination copy stays', async () => {
    env = await startTestLake(storage);
    const p = await loadTestPlan(env.lake, env.dir, plan('{ size: 100000, poll_seconds: 0.2, timeout_seconds: 30, move: true, cleanup: false }'));
    const { results, store, runId } = await runTestPlan(p);
    const replicate = results.find((r) => r.operation === 'replicate');
    expect(replicate?.outcome).toBe('ok');
    const move = results.find((r) => r.operation === 'delete' && r.rse === 'SANDBOX-FAST');
    expect(move).toMatchObject({ outcome: 'ok', errorMessage: '' });
    const ca = await loadTrustAnchors(env.lake.pki.certDir);
    const x509 = await loadX509Proxy(env.lake.memberProxyPath);
    const rucio = new RucioClient({ rucioHost: env.lake.rucioUrl, authHost: env.lake.rucioUrl, account: 'root', ca, auth: { method: 'x509', credential: x509 } });
    const [lock] = await rucio.listRuleLocks(replicate?.ruleId ?? '');
    const [replica] = await rucio.listReplicas({ dids: [{ scope: lock?.scope ?? '', name: lock?.name ?? '' }], allStates: true });
    expect(replica?.states).toEqual({ 'SANDBOX-SAFE': 'AVAILABLE' });
    // The origin file is gone from the storage, and the ledger holds only the destination rule.
    const files = async (rse: string): Promise<string[]> => {
      const root = env.lake.rses.find((r) => r.name === rse)?.root as string;
      const entries = await readdir(join(root, 'rucio'), { recursive: true, withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => e.name);
    };
    expect(await files('SANDBOX-FAST')).toEqual([]);
    expect(await files('SANDBOX-SAFE')).toEqual([lock?.name]);
    expect(store.pending(runId).map((e) => [e.kind, e.rse])).toEqual([['rule', 'SANDBOX-SAFE']]);
  });
});
