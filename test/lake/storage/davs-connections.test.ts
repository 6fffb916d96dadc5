// Connection reuse and early answers of PUT over HTTPS, against the builtin storage
// endpoint and a real XRootD (XrdHttp). A TCP forwarder counts the TLS connections.
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../../src/engine/classify.js';
import { loadX509Proxy } from '../../../src/lake/credentials/index.js';
import { syntheticStream } from '../../../src/lake/data/synthetic.js';
import { StorageError } from '../../../src/lake/errors.js';
import { DavsDriver } from '../../../src/lake/storage/davs.js';
import { tlsAgentOptions } from '../../../src/lake/storage/tls.js';
import { FaultSet } from '../../../src/sandbox/faults/index.js';
import { startStorageFixture, type StorageFixture } from '../../sandbox/storage/endpoint-fixture.js';
import { startCountingForwarder, type CountingForwarder } from './counting-forwarder.js';
import { startXrootd, type XrootdServer } from './xrootd-server.js';

const MiB = 1024 * 1024;
const UPLOADS = 20;

async function sequentialPuts(driver: DavsDriver, base: string, dir: string, count: number, size: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await driver.put(`${base}/${dir}/f${i}`, syntheticStream({ seed: `${dir}-${i}`, size }), size);
  }
}

describe('PUT over HTTPS to the builtin storage endpoint', () => {
  let fixture: StorageFixture;
  let forwarder: CountingForwarder;
  let driver: DavsDriver;
  const faults = new FaultSet();

  beforeAll(async () => {
    fixture = await startStorageFixture('lakeprobe-davs-conn-');
    const endpoint = await fixture.start({ name: 'FAULTY', faults });
    forwarder = await startCountingForwarder(endpoint.port);
    const x509 = await loadX509Proxy(fixture.pki.users.member.proxyPath);
    driver = new DavsDriver({ x509, ca: [fixture.pki.caCertPem] });
  });

  afterAll(async () => {
    driver?.close();
    await forwarder?.close();
    await fixture?.close();
  });

  it(`keeps one TLS connection for ${UPLOADS} sequential 1 MiB uploads`, async () => {
    const before = forwarder.connections();
    await sequentialPuts(driver, `davs://localhost:${forwarder.port}`, 'reuse', UPLOADS, MiB);
    expect(forwarder.connections() - before).toBe(1);
  });

  it('reports every 503 answered before the body was read as a 503, never as a reset', async () => {
    const id = faults.add({ kind: 'error_rate', rse: 'FAULTY', operation: 'PUT', rate: 1, status: 503 });
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 11; i++) {
        const size = 8 * MiB;
        const error = await driver.put(`davs://localhost:${forwarder.port}/refused/f${i}`, syntheticStream({ seed: `r${i}`, size }), size)
          .then(() => null, (e: unknown) => e);
        outcomes.push(error instanceof StorageError ? `${error.status} ${classify(error).errorClass}` : `not a StorageError: ${String(error)}`);
      }
      expect(outcomes).toEqual(Array(11).fill('503 service_unavailable'));
    } finally {
      faults.remove(id);
    }
  });
});

describe('PUT over HTTPS to a real XRootD', () => {
  let xrootd: XrootdServer;
  let forwarder: CountingForwarder;
  let driver: DavsDriver;

  beforeAll(async () => {
    xrootd = await startXrootd();
    forwarder = await startCountingForwarder(Number(new URL(xrootd.davsUrl.replace('davs:', 'https:')).port));
    driver = new DavsDriver({ x509: await loadX509Proxy(xrootd.proxies.alice), ca: [xrootd.caPem] });
  });

  afterAll(async () => {
    driver?.close();
    await forwarder?.close();
    await xrootd?.stop();
  });

  it(`keeps one TLS connection for ${UPLOADS} sequential 1 MiB uploads`, async () => {
    const before = forwarder.connections();
    await sequentialPuts(driver, `davs://localhost:${forwarder.port}`, 'reuse', UPLOADS, MiB);
    expect(forwarder.connections() - before).toBe(1);
  });

  it('negotiates AES-128-GCM with XRootD, the cheaper TLS 1.3 suite the driver prefers', async () => {
    const { port, hostname } = new URL(xrootd.davsUrl.replace('davs:', 'https:'));
    const options = tlsAgentOptions({ x509: await loadX509Proxy(xrootd.proxies.alice), ca: [xrootd.caPem] });
    const cipher = await new Promise<string>((resolve, reject) => {
      const socket = connect({ ...options, host: hostname, port: Number(port), servername: hostname }, () => {
        resolve(socket.getCipher().standardName);
        socket.end();
      });
      socket.once('error', reject);
    });
    expect(cipher).toBe('TLS_AES_128_GCM_SHA256');
  });
});
