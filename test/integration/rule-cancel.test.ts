// A rule deleted while its third-party copy runs stops that copy, on both storage kinds, as Rucio 41
// does: lib/rucio/core/rule.py delete_rule -> lib/rucio/core/request.py cancel_request_did (the
// request is archived) -> lib/rucio/core/transfer.py cancel_transfers (FTS cancels the job). The
// copy is pulled through a 1 MB/s link, so the bytes the link still carries show whether it goes on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksumStream, syntheticStream } from '../../src/lake/data/index.js';
import { loadTrustAnchors, loadX509Proxy } from '../../src/lake/credentials/index.js';
import { RucioClient } from '../../src/lake/rucio/index.js';
import { DavsDriver } from '../../src/lake/storage/davs.js';
import { startTestLake, STORAGE_KINDS, type TestLake } from './lake-fixture.js';

const FROM = 'SANDBOX-FAST';
const TO = 'SANDBOX-SAFE';
/** 40 MB at 1 MB/s: the copy would run for about 40 s. */
const SIZE = 40 * 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(STORAGE_KINDS)('a deleted rule cancels its transfer (%s storage)', (storage) => {
  let env: TestLake;
  let rucio: RucioClient;
  let driver: DavsDriver;

  beforeAll(async () => {
    env = await startTestLake(storage, { links: [{ from: FROM, to: TO, rtt_ms: 0, bandwidth_mbit: 8 }] });
    const ca = await loadTrustAnchors(env.lake.pki.certDir);
    const x509 = await loadX509Proxy(env.lake.memberProxyPath);
    rucio = new RucioClient({ rucioHost: env.lake.rucioUrl, authHost: env.lake.rucioUrl, account: 'root', ca, auth: { method: 'x509', credential: x509 } });
    driver = new DavsDriver({ x509, ca });
  });
  afterAll(() => env?.stop());

  it('stops pulling through the link, and the request is gone from the queue', async () => {
    const did = { scope: 'user.root', name: `cancel-${storage}.dat` };
    const seed = `cancel/${storage}`;
    const sums = await checksumStream(syntheticStream({ seed, size: SIZE }));
    const pfn = (await rucio.lfnsToPfns(FROM, [did], 'davs'))[`${did.scope}:${did.name}`] as string;
    await driver.put(pfn, syntheticStream({ seed, size: SIZE }), SIZE);
    await rucio.addReplicas(FROM, [{ ...did, bytes: SIZE, adler32: sums.adler32 }]);
    const [ruleId] = await rucio.addRule({ dids: [did], copies: 1, rseExpression: TO });
    const link = env.lake.links.link(FROM, TO);
    expect(link).toBeDefined();
    const carried = (): number => link?.stats().bytesDown ?? 0;

    const deadline = Date.now() + 60_000;
    while (carried() < 2 * 1024 * 1024 && Date.now() < deadline) await sleep(100);
    expect(carried()).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    expect(carried()).toBeLessThan(SIZE);

    // DELETE /rules/{id} makes the rule expire within the hour; the judge-cleaner deletes it then.
    await rucio.deleteRule(ruleId as string);
    expect(env.lake.catalogue.admin.expire(new Date(Date.now() + 3601 * 1000)).rules).toContain(ruleId);

    // The copy has stopped when the link carries nothing for 2 s (XRootD notices a gone client at its
    // next performance marker, every 5 s); without a cancel it would run on for half a minute.
    const stopBy = Date.now() + 20_000;
    let stopped = -1;
    while (Date.now() < stopBy) {
      const before = carried();
      await sleep(2000);
      if (carried() === before) {
        stopped = before;
        break;
      }
    }
    expect(stopped).toBeGreaterThan(0);
    expect(stopped).toBeLessThan(SIZE);
    expect(env.lake.transfers.stats()).toMatchObject({ running: 0, done: 0 });
    // The request left the queue (archived, as cancel_request_did does): no transfer tool picks it up again.
    const live = [...env.lake.catalogue.admin.listRequests('QUEUED'), ...env.lake.catalogue.admin.listRequests('SUBMITTED')];
    expect(live.filter((q) => q.name === did.name)).toEqual([]);
  });
});
