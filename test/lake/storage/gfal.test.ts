import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../../src/engine/classify.js';
import { loadX509CertKey, loadX509Proxy } from '../../../src/lake/credentials/index.js';
import type { BearerToken, X509Credential } from '../../../src/lake/credentials/types.js';
import { checksumStream } from '../../../src/lake/data/checksum.js';
import { syntheticChecksums, syntheticStream } from '../../../src/lake/data/synthetic.js';
import { StorageError } from '../../../src/lake/errors.js';
import { createStorageDriver, GfalDriver, type GfalDriverOptions } from '../../../src/lake/storage/index.js';
import { startXrootd, type XrootdServer } from './xrootd-server.js';

const MB = 1024 * 1024;
let server: XrootdServer;
let alice: X509Credential;

const bearer = (token: string): BearerToken => ({ token, claims: null, expiresAt: null, source: 'test token' });
const driverFor = (auth: { x509?: X509Credential; token?: BearerToken }, options: GfalDriverOptions = {}): GfalDriver =>
  new GfalDriver({ ...auth, ca: [server.caPem] }, options);

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.fail('expected a failure'), (error: unknown) => error);
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

beforeAll(async () => {
  server = await startXrootd();
  alice = await loadX509Proxy(server.proxies.alice);
});

afterAll(async () => {
  await server?.stop();
});

describe.each([
  { scheme: 'davs', base: () => server.davsUrl, sep: '' },
  { scheme: 'root', base: () => server.rootUrl, sep: '/' },
])('GfalDriver over $scheme:// with a proxy', ({ scheme, base, sep }) => {
  const url = (path: string): string => `${base()}${sep}/${scheme}${path}`;
  let driver: GfalDriver;
  beforeAll(() => {
    driver = driverFor({ x509: alice });
  });

  it('streams a few MB up and gets the same bytes back', async () => {
    const size = 3 * MB + 5;
    await driver.put(url('/a/b/file1'), syntheticStream({ seed: `gfal-${scheme}`, size }), size);
    const back = await checksumStream(await driver.get(url('/a/b/file1')));
    expect(back).toEqual(await syntheticChecksums(`gfal-${scheme}`, size));
  });

  it("reports the server's adler32 and md5, equal to the local ones", async () => {
    const size = MB;
    await driver.put(url('/sums'), () => syntheticStream({ seed: 'sums', size }), size);
    const local = await syntheticChecksums('sums', size);
    expect(await driver.checksum(url('/sums'), 'adler32')).toBe(local.adler32);
    expect(await driver.checksum(url('/sums'), 'md5')).toBe(local.md5);
  });

  it('overwrites an existing file', async () => {
    await driver.put(url('/over'), syntheticStream({ seed: 'x', size: 1000 }), 1000);
    await driver.put(url('/over'), Readable.from([Buffer.from('0123456789')]), 10);
    expect(await driver.stat(url('/over'))).toEqual({ size: 10, isDirectory: false });
  });

  it('stats files and directories, and answers null for a missing path', async () => {
    await driver.put(url('/stat/f'), syntheticStream({ seed: 's', size: 1234 }), 1234);
    expect(await driver.stat(url('/stat/f'))).toEqual({ size: 1234, isDirectory: false });
    expect(await driver.stat(url('/stat'))).toMatchObject({ isDirectory: true });
    expect(await driver.stat(url('/stat/missing'))).toBeNull();
  });

  it('creates nested directories, accepts an existing one, and deletes a file', async () => {
    await driver.mkdir(url('/m/n/o'));
    await driver.mkdir(url('/m/n/o'));
    expect(await driver.stat(url('/m/n/o'))).toMatchObject({ isDirectory: true });
    await driver.put(url('/m/n/o/f'), syntheticStream({ seed: 'd', size: 10 }), 10);
    await driver.delete(url('/m/n/o/f'));
    expect(await driver.stat(url('/m/n/o/f'))).toBeNull();
  });

  it('reports a missing file as 404, classified not_found, for get and delete', async () => {
    for (const call of [() => driver.get(url('/nothing-here')), () => driver.delete(url('/nothing-here'))]) {
      const error = await failure(call());
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ status: 404 });
      expect(classify(error).errorClass).toBe('not_found');
    }
  });

  it('keeps streaming through a consumer that pauses longer than the timeout', async () => {
    const size = 4 * MB;
    await driver.put(url('/slow'), syntheticStream({ seed: 'slow', size }), size);
    const stream = await driverFor({ x509: alice }, { timeoutMs: 1500 }).get(url('/slow'));
    await new Promise((r) => setTimeout(r, 2500));
    expect(await checksumStream(stream)).toEqual(await syntheticChecksums('slow', size));
  });

  // This XRootD's gridmap is optional: over https an unmapped DN gets an answer (403 from the
  // authdb), over root its gsi login is refused.
  it(`refuses a DN missing from the gridmap (${scheme === 'root' ? 'identity_refused' : 'auth_denied'})`, async () => {
    const mallory = driverFor({ x509: await loadX509Proxy(server.proxies.mallory) });
    const error = await failure(mallory.stat(url('/stat/f')));
    expect(error).toBeInstanceOf(StorageError);
    expect([401, 403]).toContain((error as StorageError).status);
    expect(classify(error).errorClass).toBe(scheme === 'root' ? 'identity_refused' : 'auth_denied');
  });

  it('refuses a write where the authdb allows only reading (auth_denied)', async () => {
    const error = await failure(driver.put(`${base()}${sep}/readonly/f`, syntheticStream({ seed: 'r', size: 10 }), 10));
    expect([401, 403]).toContain((error as StorageError).status);
    expect(classify(error).errorClass).toBe('auth_denied');
  });

  it('reports a closed port as connection_refused', async () => {
    const target = base().replace(/:\d+$/, `:${await closedPort()}`);
    const error = await failure(driver.stat(`${target}${sep}/x`));
    expect(classify(error).errorClass).toBe('connection_refused');
  });

  it('uploads and downloads with a bearer token, and is refused a write with a read-only one', async () => {
    const token = await server.mintToken('storage.read:/ storage.create:/ storage.modify:/');
    const withToken = createStorageDriver('gfal', { token: bearer(token), ca: [server.caPem] });
    await withToken.put(url('/tok/file'), syntheticStream({ seed: 't', size: MB }), MB);
    expect(await checksumStream(await withToken.get(url('/tok/file')))).toEqual(await syntheticChecksums('t', MB));

    const readOnly = await server.mintToken('storage.read:/');
    const error = await failure(driverFor({ token: bearer(readOnly) }).put(url('/tok/denied'), syntheticStream({ seed: 'r', size: 10 }), 10));
    expect(classify(error).errorClass).toMatch(/^auth_(?:denied|invalid)$/);
    expect(`${(error as Error).message} ${(error as StorageError).detail}`).not.toContain(readOnly);
  });
});

describe('GfalDriver specifics', () => {
  it('presents a plain certificate over davs://', async () => {
    const plain = await loadX509CertKey(server.aliceCert.certPath, server.aliceCert.keyPath);
    const driver = driverFor({ x509: plain });
    await driver.put(`${server.davsUrl}/plain/f`, syntheticStream({ seed: 'p', size: 100 }), 100);
    expect(await driver.stat(`${server.davsUrl}/plain/f`)).toEqual({ size: 100, isDirectory: false });
  });

  it('verifies the server certificate over davs:// unless the plan says insecure', async () => {
    const emptyTrust = mkdtempSync(join(tmpdir(), 'lakeprobe-notrust-'));
    try {
      const verifying = new GfalDriver({ x509: alice, ca: [] }, { certDir: emptyTrust });
      const error = await failure(verifying.mkdir(`${server.davsUrl}/insecure`));
      expect((error as StorageError).detail).toContain('issuer is not trusted');
      expect(classify(error).errorClass).toBe('server_ca_untrusted');
      await new GfalDriver({ x509: alice, ca: [], insecure: true }, { certDir: emptyTrust }).mkdir(`${server.davsUrl}/insecure`);
      expect(await driverFor({ x509: alice }).stat(`${server.davsUrl}/insecure`)).toMatchObject({ isDirectory: true });
    } finally {
      rmSync(emptyTrust, { recursive: true, force: true });
    }
  });

  it('rejects a body shorter than its declared size', async () => {
    const error = await failure(driverFor({ x509: alice }).put(`${server.davsUrl}/short`, syntheticStream({ seed: 's', size: 100 }), 200));
    expect((error as StorageError).detail).toContain('body ended after 100 of the declared 200 bytes');
  });

  it('kills a tool that makes no progress and raises ESOCKETTIMEDOUT (timeout)', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const { port } = silent.address() as AddressInfo;
      const error = await failure(driverFor({ x509: alice }, { timeoutMs: 1500 }).stat(`davs://localhost:${port}/x`));
      expect(error).toMatchObject({ code: 'ESOCKETTIMEDOUT' });
      expect(classify(error).errorClass).toBe('timeout');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('says which package to install when a gfal tool or the gfal2 Python is missing', async () => {
    const noTools = driverFor({ x509: alice }, { toolDir: '/nonexistent-tools' });
    expect(await failure(noTools.stat(`${server.davsUrl}/x`))).toMatchObject({
      detail: 'gfal-stat not installed (Debian package gfal2-util-scripts)',
    });
    // A missing interpreter must not read as a missing file: stat() throws instead of answering null.
    const noPython = driverFor({ x509: alice }, { pythonBin: '/nonexistent/python3' });
    const error = await failure(noPython.stat(`${server.davsUrl}/x`));
    expect(error).toMatchObject({
      status: 0,
      detail: 'gfal-stat cannot start (exit 127: its interpreter is missing); install Debian package gfal2-util-scripts',
    });
  });
});
