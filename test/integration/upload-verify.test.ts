// The upload scenario learns each file's sums beside the PUT (from the bytes on their way out,
// or from the seed for large files): verification must still catch a file whose stored bytes
// differ on the way to storage, and a plan that turns md5 off registers adler32 only.
import { Transform, type Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { openLakeSession } from '../../src/engine/lake-session.js';
import { runPlan } from '../../src/engine/runner.js';
import type { ReplicaFile } from '../../src/lake/rucio/index.js';
import type { StorageDriver } from '../../src/lake/storage/driver.js';
import { ResultsStore } from '../../src/results/store.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { loadTestPlan, startTestLake, STORAGE_KINDS } from './lake-fixture.js';

/** Flips one byte in the middle of the stream: the count stays right, the content does not. */
function flipOneByte(at: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (at >= seen && at < seen + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[at - seen] = (copy[at - seen] as number) ^ 0xff;
        chunk = copy;
      }
      seen += chunk.length;
      callback(null, chunk);
    },
  });
}

describe.each(STORAGE_KINDS)('upload verification against storage checksums (%s storage)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let results: OpResult[];
  const attached: ReplicaFile[] = [];

  beforeAll(async () => {
    env = await startTestLake(storage);
    const plan = await loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: IT
    tests:
      - name: corrupt
        scenario: upload
        auth: [token]
        params: { files: 3, size: 200000, lifetime: 600, download: false }
      - name: adleronly
        scenario: upload
        auth: [token]
        params: { files: 2, size: 200000, lifetime: 600, md5: false }
`);
    const store = new ResultsStore(':memory:');
    // The real session; file 1 of test "corrupt" reaches storage with one byte changed.
    const openSession: typeof openLakeSession = async (p, method) => {
      const session = await openLakeSession(p, method);
      const attach = session.rucio.attachReplicas.bind(session.rucio);
      session.rucio.attachReplicas = async (scope, name, rse, files) => {
        attached.push(...files);
        return attach(scope, name, rse, files);
      };
      const storageOf = session.storage.bind(session);
      session.storage = (protocol) => {
        const driver = storageOf(protocol);
        return Object.assign(Object.create(driver) as StorageDriver, {
          put: (url: string, body: Readable, size: number) =>
            driver.put(url, /\.corrupt\..*\.1$/.test(url) ? body.pipe(flipOneByte(size >> 1)) : body, size),
        });
      };
      return session;
    };
    const { run } = await runPlan({ plan, registry: builtinScenarios(), sinks: [store], ledger: store, openSession });
    results = store.results(run.runId);
  });
  afterAll(() => env.stop());

  it('fails verification of the changed file as a critical checksum_mismatch, and only that file', () => {
    const verifies = results.filter((r) => r.test === 'corrupt' && r.operation === 'verify');
    expect(verifies).toHaveLength(3);
    const failed = verifies.filter((r) => r.outcome === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ errorClass: 'checksum_mismatch', severity: 'critical' });
    expect(failed[0]?.errorMessage).toMatch(/adler32/);
    // Among several files the message names the bad one, as scope:name and the PFN read.
    const corrupt = attached.filter((f) => f.name.includes('.corrupt.'));
    const bad = corrupt.find((f) => f.name.endsWith('.1'));
    expect(bad).toBeDefined();
    const message = failed[0]?.errorMessage ?? '';
    expect(message).toContain(`${bad?.scope}:${bad?.name} (`);
    expect(message).toMatch(new RegExp(`\\((?:davs|https|root)://[^ )]*/${(bad?.name ?? '').replace(/\./g, '\\.')}\\)`));
    for (const other of corrupt.filter((f) => f !== bad)) expect(message).not.toContain(other.name);
    // The upload itself succeeded: only the comparison with storage's checksum can tell.
    expect(results.filter((r) => r.test === 'corrupt' && r.operation === 'upload').every((r) => r.outcome === 'ok')).toBe(true);
  });

  it('registers md5 and adler32 by default, adler32 alone with md5: false, and verifies both', () => {
    const byTest = (test: string) => attached.filter((f) => f.name.includes(`.${test}.`));
    expect(byTest('corrupt')).toHaveLength(3);
    expect(byTest('corrupt').every((f) => /^[0-9a-f]{32}$/.test(f.md5 ?? '') && /^[0-9a-f]{8}$/.test(f.adler32))).toBe(true);
    expect(byTest('adleronly')).toHaveLength(2);
    expect(byTest('adleronly').every((f) => f.md5 === undefined && /^[0-9a-f]{8}$/.test(f.adler32))).toBe(true);
    const adlerOnly = results.filter((r) => r.test === 'adleronly');
    expect(adlerOnly.filter((r) => r.outcome === 'failed').map((r) => `${r.operation}: ${r.errorMessage}`)).toEqual([]);
    expect(adlerOnly.filter((r) => r.operation === 'verify' || r.operation === 'download')).toHaveLength(4);
  });
});
