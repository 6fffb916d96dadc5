import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult, Sink } from '../../src/engine/op-result.js';
import { openLakeSession } from '../../src/engine/lake-session.js';
import { runPlan } from '../../src/engine/runner.js';
import type { StorageDriver } from '../../src/lake/storage/driver.js';
import { ResultsStore } from '../../src/results/store.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { loadTestPlan, runOutRules, startTestLake, STORAGE_KINDS } from './lake-fixture.js';

const FILES = 6;
const BATCH = 3;
const CONCURRENCY = 4;
const CHECKSUMS = 2;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe.each(STORAGE_KINDS)('upload with files in flight and bulk catalogue calls (%s storage)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  const paths: string[] = [];
  let results: OpResult[];
  let total: number;
  let pending: number;
  let maxInFlight = 0;
  let finalDone = 0;
  let finalExpected: number | null = null;
  let checksumsNow = 0;
  let maxChecksums = 0;

  beforeAll(async () => {
    env = await startTestLake(storage);
    // Every catalogue request passes the fault hook: record its path to count calls.
    const faults = env.lake.faults;
    const original = faults.catalogueFault.bind(faults);
    faults.catalogueFault = (path: string) => { paths.push(path); return original(path); };
    const plan = await loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true }
limits: { concurrency: 16 }
experiments:
  - name: IT
    tests:
      - name: bulk
        scenario: upload
        auth: [token]
        concurrency: ${CONCURRENCY}
        params: { files: ${FILES}, size: 200000, batch: ${BATCH}, lifetime: 600, checksum_concurrency: ${CHECKSUMS} }
`);
    const store = new ResultsStore(':memory:');
    const progress: Sink = {
      onResult: () => {},
      onProgress: (p) => {
        maxInFlight = Math.max(maxInFlight, p.inFlight);
        finalDone = p.done;
        finalExpected = p.expected;
      },
    };
    paths.length = 0;
    // The real session, with storage drivers that count checksum requests in flight.
    const counted = new Map<StorageDriver, StorageDriver>();
    const openSession: typeof openLakeSession = async (p, method) => {
      const session = await openLakeSession(p, method);
      const storage = session.storage.bind(session);
      session.storage = (protocol) => {
        const driver = storage(protocol);
        let wrapped = counted.get(driver);
        if (!wrapped) {
          wrapped = Object.assign(Object.create(driver) as StorageDriver, {
            checksum: async (...args: Parameters<StorageDriver['checksum']>) => {
              checksumsNow++;
              maxChecksums = Math.max(maxChecksums, checksumsNow);
              try {
                return await driver.checksum(...args);
              } finally {
                checksumsNow--;
              }
            },
          });
          counted.set(driver, wrapped);
        }
        return wrapped;
      };
      return session;
    };
    const { run, summary } = await runPlan({ plan, registry: builtinScenarios(), sinks: [store, progress], ledger: store, openSession });
    results = store.results(run.runId);
    total = summary.total;
    pending = store.pending(run.runId).length;
  });
  afterAll(() => env.stop());

  it("keeps more than one and at most the test's concurrency of operations in flight", () => {
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
  });

  it('asks storage for at most checksum_concurrency checksums at once per RSE', () => {
    expect(maxChecksums).toBeGreaterThan(0);
    expect(maxChecksums).toBeLessThanOrEqual(CHECKSUMS * env.lake.rses.length);
  });

  it('succeeds at every step and stores every result', () => {
    expect(results.filter((r) => r.outcome === 'failed').map((r) => `${r.operation} ${r.rse} ${r.errorMessage}`)).toEqual([]);
    expect(results).toHaveLength(total);
    const count = (op: string) => results.filter((r) => r.operation === op).length;
    const rses = env.lake.rses.length;
    expect(count('upload')).toBe(rses * FILES);
    expect(count('verify')).toBe(rses * FILES);
    expect(count('download')).toBe(rses * FILES);
    expect(count('rule')).toBe(rses);
    // One dataset per RSE, then one registration per batch.
    expect(count('register')).toBe(rses * (1 + FILES / BATCH));
  });

  it('declares its operations, so progress ends with done equal to the known total', () => {
    expect(finalExpected).toBe(total);
    expect(finalDone).toBe(total);
  });

  it('registers and attaches each batch in one call, with one rule per dataset and one replica listing per batch', () => {
    const rses = env.lake.rses.length;
    const attaches = paths.filter((p) => /^\/dids\/[^/]+\/[^/]+\.ds\/dids$/.test(p));
    expect(attaches).toHaveLength(rses * (FILES / BATCH));
    expect(paths.filter((p) => p === '/replicas')).toHaveLength(0);
    // Per batch: one listing verifies it, one says at cleanup which files are Rucio's to delete.
    expect(paths.filter((p) => p === '/replicas/list')).toHaveLength(2 * rses * (FILES / BATCH));
    expect(paths.filter((p) => p === '/rules/' || p === '/rules')).toHaveLength(rses);
    const ruleIds = new Set(results.filter((r) => r.operation === 'verify').map((r) => r.ruleId));
    expect(ruleIds.size).toBe(rses);
  });

  it('cleans up: nothing left in the ledger; the files go once the deleted rules run out (judge-cleaner, reaper)', async () => {
    expect(pending).toBe(0);
    const files = async (): Promise<number> => (await Promise.all(env.lake.rses.map((rse) => filesUnder(join(rse.root, 'rucio'))))).flat().length;
    expect(await files()).toBe(env.lake.rses.length * FILES);
    await runOutRules(env.lake, async () => (await files()) === 0);
    expect(await files()).toBe(0);
  }, 60_000);
});
