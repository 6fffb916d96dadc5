import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../../src/engine/classify.js';
import { loadX509CertKey, loadX509Proxy } from '../../../src/lake/credentials/index.js';
import type { BearerToken, X509Credential } from '../../../src/lake/credentials/types.js';
import { checksumStream } from '../../../src/lake/data/checksum.js';
import { syntheticChecksums, syntheticStream } from '../../../src/lake/data/synthetic.js';
import { CredentialError, StorageError } from '../../../src/lake/errors.js';
import { createStorageDriver, RootDriver } from '../../../src/lake/storage/index.js';
import { prepareToolCredentials } from '../../../src/lake/storage/tool-credentials.js';
import { startXrootd, type XrootdServer } from './xrootd-server.js';

const MB = 1024 * 1024;
let server: XrootdServer;
let alice: X509Credential;
let driver: RootDriver;

const url = (path: string): string => `${server.rootUrl}/${path}`;
const bearer = (token: string): BearerToken => ({ token, claims: null, expiresAt: null, source: 'test token' });
const driverFor = (auth: { x509?: X509Credential; token?: BearerToken }, timeoutMs?: number): RootDriver =>
  new RootDriver({ ...auth, ca: [server.caPem] }, { timeoutMs });

/** The rejection of `promise`, which must be one. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.fail('expected a failure'), (error: unknown) => error);
}

beforeAll(async () => {
  server = await startXrootd();
  alice = await loadX509Proxy(server.proxies.alice);
  driver = driverFor({ x509: alice });
});

afterAll(async () => {
  await server?.stop();
});

describe('RootDriver with a gsi proxy', () => {
  it('streams a few MB up with xrdcp and gets the same bytes back', async () => {
    const size = 3 * MB + 17;
    await driver.put(url('/rt/a/b/file1'), syntheticStream({ seed: 'root-1', size }), size);
    const back = await checksumStream(await driver.get(url('/rt/a/b/file1')));
    expect(back).toEqual(await syntheticChecksums('root-1', size));
  });

  it("reports the server's adler32 and md5, equal to the local ones", async () => {
    const size = 2 * MB;
    await driver.put(url('/rt/sums'), () => syntheticStream({ seed: 'root-2', size }), size);
    const local = await syntheticChecksums('root-2', size);
    expect(await driver.checksum(url('/rt/sums'), 'adler32')).toBe(local.adler32);
    expect(await driver.checksum(url('/rt/sums'), 'md5')).toBe(local.md5);
  });

  it('overwrites an existing file', async () => {
    await driver.put(url('/rt/over'), syntheticStream({ seed: 'x', size: 1000 }), 1000);
    await driver.put(url('/rt/over'), syntheticStream({ seed: 'y', size: 10 }), 10);
    expect(await driver.stat(url('/rt/over'))).toEqual({ size: 10, isDirectory: false });
  });

  it('stats files and directories, and answers null for a missing path', async () => {
    await driver.put(url('/rt/stat/f'), syntheticStream({ seed: 's', size: 1234 }), 1234);
    expect(await driver.stat(url('/rt/stat/f'))).toEqual({ size: 1234, isDirectory: false });
    expect(await driver.stat(url('/rt/stat'))).toMatchObject({ isDirectory: true });
    expect(await driver.stat(url('/rt/stat/missing'))).toBeNull();
  });

  it('creates nested directories and accepts an existing one', async () => {
    await driver.mkdir(url('/rt/m/n/o'));
    await driver.mkdir(url('/rt/m/n/o'));
    expect(await driver.stat(url('/rt/m/n/o'))).toMatchObject({ isDirectory: true });
  });

  it('deletes a file', async () => {
    await driver.put(url('/rt/del'), syntheticStream({ seed: 'd', size: 10 }), 10);
    await driver.delete(url('/rt/del'));
    expect(await driver.stat(url('/rt/del'))).toBeNull();
  });

  it('keeps streaming through a consumer that pauses longer than the timeout', async () => {
    const size = 4 * MB;
    await driver.put(url('/rt/slow'), syntheticStream({ seed: 'slow', size }), size);
    const stream = await driverFor({ x509: alice }, 1500).get(url('/rt/slow'));
    await new Promise((r) => setTimeout(r, 2500));
    expect(await checksumStream(stream)).toEqual(await syntheticChecksums('slow', size));
  });

  it('rejects a body shorter than its declared size and leaves no file', async () => {
    const error = await failure(driver.put(url('/rt/short'), syntheticStream({ seed: 'short', size: 100 }), 200));
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).detail).toContain('body ended after 100 of the declared 200 bytes');
    expect(await driver.stat(url('/rt/short'))).toBeNull();
  });
});

describe('RootDriver failures', () => {
  it('reports a missing file as 404: not_found for get and delete, destination_checksum_missing for checksum', async () => {
    for (const [call, errorClass] of [
      [() => driver.get(url('/rt/nothing-here')), 'not_found'],
      [() => driver.delete(url('/rt/nothing-here')), 'not_found'],
      [() => driver.checksum(url('/rt/nothing-here'), 'adler32'), 'destination_checksum_missing'],
    ] as const) {
      const error = await failure(call());
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).status).toBe(404);
      expect((error as StorageError).detail).toMatch(/\[3011\].*no such file or directory/);
      expect(classify(error).errorClass).toBe(errorClass);
    }
  });

  it('reports a write where the authdb allows only reading as 403, classified auth_denied', async () => {
    const error = await failure(driver.put(url('/readonly/f'), syntheticStream({ seed: 'r', size: 10 }), 10));
    expect(error).toMatchObject({ status: 403, method: 'PUT' });
    expect((error as StorageError).detail).toContain('[3010]');
    expect(classify(error).errorClass).toBe('auth_denied');
  });

  it('reports a DN missing from the gridmap as an identity refused at login (401), as davs reports the dropped connection', async () => {
    // The server logs "user mapping required, but lookup failed"; the client only learns "Auth failed".
    const mallory = driverFor({ x509: await loadX509Proxy(server.proxies.mallory) });
    const error = await failure(mallory.stat(url('/rt')));
    expect(error).toMatchObject({ status: 401 });
    expect((error as StorageError).detail).toContain('Auth failed');
    expect(classify(error).errorClass).toBe('identity_refused');
  });

  it('reports a proxy from an untrusted CA as an authentication failure', async () => {
    const eve = driverFor({ x509: await loadX509Proxy(server.proxies.eve) });
    const error = await failure(eve.stat(url('/rt')));
    expect(error).toMatchObject({ status: 401 });
    expect(classify(error).errorClass).toBe('identity_refused');
  });

  it('refuses an expired proxy before running any tool (auth_expired)', async () => {
    const expired = await loadX509Proxy(server.proxies.aliceExpired, { allowExpired: true });
    const error = await failure(driverFor({ x509: expired }).stat(url('/rt')));
    expect(error).toBeInstanceOf(CredentialError);
    expect(classify(error).errorClass).toBe('auth_expired');
  });

  it('asks for a proxy when given a plain certificate, which gsi cannot use', async () => {
    const plain = await loadX509CertKey(server.aliceCert.certPath, server.aliceCert.keyPath);
    const error = await failure(driverFor({ x509: plain }).stat(url('/rt')));
    expect(error).toMatchObject({ name: 'CredentialError', problem: 'invalid' });
    expect((error as Error).message).toContain('RFC 3820 proxy');
  });

  it('reports a server certificate from a CA it does not trust as server_ca_untrusted, naming the issuer (xrdcp says only "TLS error")', async () => {
    const emptyTrust = mkdtempSync(join(tmpdir(), 'lakeprobe-notrust-'));
    try {
      const untrusting = new RootDriver({ x509: alice, ca: [] }, { certDir: emptyTrust });
      const error = await failure(untrusting.mkdir(url('/rt/untrusted')));
      expect((error as Error).message).toContain('TLS error');
      const { errorClass, message } = classify(error);
      expect(errorClass).toBe('server_ca_untrusted');
      expect(message).toMatch(/host certificate at localhost:\d+ has an issuer this client does not trust \(subject O=lakeprobe-test, CN=localhost; issuer O=lakeprobe-test, CN=ca;/);
    } finally {
      rmSync(emptyTrust, { recursive: true, force: true });
    }
  });

  it('reports a closed port as connection_refused at once, without retrying', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const started = Date.now();
    const error = await failure(driver.stat(`root://localhost:${port}//rt`));
    expect(Date.now() - started).toBeLessThan(5000);
    expect((error as StorageError).detail).toMatch(/connection refused/i);
    expect(classify(error).errorClass).toBe('connection_refused');
  });

  it('kills a tool that makes no progress and raises ESOCKETTIMEDOUT (timeout)', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const { port } = silent.address() as AddressInfo;
      const error = await failure(driverFor({ x509: alice }, 1000).get(`root://localhost:${port}//rt/x`));
      expect(error).toMatchObject({ code: 'ESOCKETTIMEDOUT', status: 0 });
      expect(classify(error).errorClass).toBe('timeout');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('says which package to install when xrdcp is missing', async () => {
    const missing = new RootDriver({ x509: alice, ca: [server.caPem] }, { toolDir: '/nonexistent-tools' });
    const error = await failure(missing.get(url('/rt/x')));
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).detail).toBe('xrdcp not installed (Debian package xrootd-client)');
  });

  it('rejects a URL that is not root://', async () => {
    await expect(driver.stat('https://localhost/x')).rejects.toThrow('not a root:// or roots:// URL');
  });
});

describe('RootDriver with a bearer token (ztn)', () => {
  it('uploads and downloads with storage.create and storage.read scopes', async () => {
    const token = await server.mintToken('storage.read:/ storage.create:/ storage.modify:/');
    const withToken = createStorageDriver('root', { token: bearer(token), x509: alice, ca: [server.caPem] });
    await withToken.put(url('/tok/file'), syntheticStream({ seed: 't', size: MB }), MB);
    expect(await checksumStream(await withToken.get(url('/tok/file')))).toEqual(await syntheticChecksums('t', MB));
  });

  it('is refused a write with a read-only token, and never shows the token', async () => {
    const token = await server.mintToken('storage.read:/');
    const readOnly = driverFor({ token: bearer(token) });
    const error = await failure(readOnly.put(`${url('/tok/denied')}?authz=${token}`, syntheticStream({ seed: 'r', size: 10 }), 10));
    expect(error).toMatchObject({ status: 403 });
    expect(classify(error).errorClass).toBe('auth_denied');
    expect(JSON.stringify({ ...(error as StorageError), message: (error as Error).message })).not.toContain(token);
  });

  it('refuses an expired token before running any tool', async () => {
    const token = bearer(await server.mintToken('storage.read:/'));
    const error = await failure(driverFor({ token: { ...token, expiresAt: new Date(Date.now() - 1000) } }).stat(url('/tok')));
    expect(classify(error).errorClass).toBe('auth_expired');
  });
});

describe('tool credentials', () => {
  it('writes the proxy 0600 into a private directory, hides ambient credentials, and removes it all afterwards', async () => {
    const saved = process.env.BEARER_TOKEN;
    process.env.BEARER_TOKEN = 'ambient-token';
    try {
      const creds = await prepareToolCredentials({ x509: alice, ca: [server.caPem] });
      const proxy = creds.env.X509_USER_PROXY!;
      expect(creds.env.BEARER_TOKEN).toBeUndefined();
      expect(statSync(proxy).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(proxy)).mode & 0o777).toBe(0o700);
      expect(readFileSync(proxy, 'utf8')).toBe(readFileSync(server.proxies.alice, 'utf8'));
      expect(readdirSync(creds.env.X509_CERT_DIR!)).toContainEqual(expect.stringMatching(/^[0-9a-f]{8}\.0$/));
      expect(creds.secrets).toContain(alice.keyPem);
      await creds.dispose();
      expect(existsSync(dirname(proxy))).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.BEARER_TOKEN;
      else process.env.BEARER_TOKEN = saved;
    }
  });

  it('presents only the token when both a token and a proxy are given', async () => {
    const creds = await prepareToolCredentials({ token: bearer('tok-123'), x509: alice, ca: [] });
    try {
      expect(creds).toMatchObject({ kind: 'token', secrets: ['tok-123'] });
      expect(creds.env.BEARER_TOKEN).toBe('tok-123');
      expect(creds.env.X509_USER_PROXY).toBeUndefined();
    } finally {
      await creds.dispose();
    }
  });
});

describe('RootDriver streams', () => {
  it('accepts any Readable as the body', async () => {
    await driver.put(url('/rt/small'), Readable.from([Buffer.from('hello '), Buffer.from('world')]), 11);
    const chunks: Buffer[] = [];
    for await (const chunk of await driver.get(url('/rt/small'))) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello world');
  });

  it('gets an empty file as an empty stream', async () => {
    await driver.put(url('/rt/empty'), Readable.from([]), 0);
    const chunks: Buffer[] = [];
    for await (const chunk of await driver.get(url('/rt/empty'))) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).length).toBe(0);
  });
});
