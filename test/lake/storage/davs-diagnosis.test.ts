// A PUT that real XRootD drops without an HTTP answer is diagnosed with small follow-up
// requests and classified by what the admin should check: a DN missing from a required
// gridmap, a write refused mid-body (full disk, here a per-process file size limit),
// or a server that is gone.
import { readdirSync } from 'node:fs';
import { Transform } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../../src/engine/classify.js';
import { ERROR_CLASSES } from '../../../src/engine/taxonomy.js';
import { loadX509Proxy } from '../../../src/lake/credentials/index.js';
import type { X509Credential } from '../../../src/lake/credentials/types.js';
import { syntheticStream } from '../../../src/lake/data/synthetic.js';
import { DavsDriver } from '../../../src/lake/storage/davs.js';
import { DiagnosedStorageError } from '../../../src/lake/storage/diagnosis.js';
import { startXrootd, type XrootdServer } from './xrootd-server.js';

const MiB = 1024 * 1024;
let server: XrootdServer;
let alice: X509Credential;
let mallory: X509Credential;
const drivers: DavsDriver[] = [];

function driver(x509: X509Credential, diagnose = true): DavsDriver {
  const d = new DavsDriver({ x509, ca: [server.caPem] }, { diagnose, timeouts: { connectMs: 10_000, firstByteMs: 10_000, stallMs: 10_000 } });
  drivers.push(d);
  return d;
}

async function putFailure(d: DavsDriver, path: string, size: number): Promise<unknown> {
  return d.put(`${server.davsUrl}${path}`, syntheticStream({ seed: path, size }), size).then(() => expect.fail('expected the PUT to fail'), (e: unknown) => e);
}

beforeAll(async () => {
  // 4 MiB is the largest file this xrootd may write: a larger upload fails inside it with EFBIG.
  server = await startXrootd({ gridmapRequired: true, fileSizeLimitBytes: 4 * MiB });
  alice = await loadX509Proxy(server.proxies.alice);
  mallory = await loadX509Proxy(server.proxies.mallory);
});

afterAll(async () => {
  for (const d of drivers) d.close();
  await server?.stop();
});

describe('diagnosis of a PUT dropped by XRootD', () => {
  it('without diagnosis both causes look the same: connection_reset', async () => {
    const unmapped = await putFailure(driver(mallory, false), '/diag/plain-unmapped', MiB);
    const full = await putFailure(driver(alice, false), '/diag/plain-full', 8 * MiB);
    expect(classify(unmapped).errorClass).toBe('connection_reset');
    expect(classify(full).errorClass).toBe('connection_reset');
  });

  it('names a DN missing from the gridmap identity_refused, with the steps in the message', async () => {
    const error = await putFailure(driver(mallory), '/diag/unmapped', MiB);
    expect(error).toBeInstanceOf(DiagnosedStorageError);
    const { errorClass, message } = classify(error);
    expect(errorClass).toBe('identity_refused');
    expect(message).toMatch(/stat of the parent as \/O=lakeprobe-test\/CN=mallory: no answer/);
    expect(message).toMatch(/the same without credentials: answered 403/);
    expect(ERROR_CLASSES.identity_refused.remedy).toMatch(/gridmap/);
  });

  it('names a write that fails mid-body while an empty write succeeds write_refused, and removes its probe', async () => {
    await driver(alice).put(`${server.davsUrl}/diag/full/first`, syntheticStream({ seed: 'first', size: 1000 }), 1000);
    const error = await putFailure(driver(alice), '/diag/full/big', 8 * MiB);
    const { errorClass, message } = classify(error);
    expect(errorClass).toBe('write_refused');
    expect(message).toMatch(/stat of the parent as \/O=lakeprobe-test\/CN=alice: succeeded/);
    expect(message).toMatch(/zero-byte write beside it: succeeded/);
    expect(ERROR_CLASSES.write_refused.remedy).toMatch(/space/);
    expect(readdirSync(`${server.dataDir}/diag/full`).filter((f) => f.includes('lakeprobe-probe'))).toEqual([]);
  });

  it('keeps connection_reset for a server that is gone, and says so', async () => {
    const d = driver(alice);
    const size = 3 * MiB;
    // The server dies while the body is on its way.
    let sent = 0;
    const body = syntheticStream({ seed: 'crash', size }).pipe(new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        sent += chunk.length;
        if (sent > MiB && sent - chunk.length <= MiB) server.crash();
        callback(null, chunk);
      },
    }));
    const error = await d.put(`${server.davsUrl}/diag/crash`, body, size).then(() => expect.fail('expected a failure'), (e: unknown) => e);
    const { errorClass, message } = classify(error);
    expect(errorClass).toBe('connection_reset');
    expect(message).toMatch(/the server does not answer at all/);
  });
});
