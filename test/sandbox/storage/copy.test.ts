import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdler32 } from 'hash-wasm';
import type { StorageEndpoint } from '../../../src/sandbox/storage/index.js';
import { startStorageFixture, type StorageFixture } from './endpoint-fixture.js';
import { call, type Reply } from './https-client.js';

const lastLine = (body: string): string => body.trimEnd().split('\n').pop() ?? '';

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('storage endpoint: HTTP third-party copy (pull mode)', () => {
  let f: StorageFixture;
  let source: StorageEndpoint;
  let sourceRoot = '';
  let writeToken = '';
  let readToken = '';
  const data = randomBytes(3 * 1024 * 1024 + 17);

  const copy = (destPath: string, headers: Record<string, string>): Promise<Reply> =>
    call(`${f.endpoint.url}${destPath}`, { method: 'COPY', ca: f.pki.caCertPem, headers });
  const pullHeaders = (sourcePath: string): Record<string, string> => ({
    Source: `${source.url}${sourcePath}`,
    Authorization: `Bearer ${writeToken}`,
    TransferHeaderAuthorization: `Bearer ${readToken}`,
  });

  beforeAll(async () => {
    f = await startStorageFixture('lakeprobe-copy-');
    sourceRoot = join(f.tmp, 'source');
    mkdirSync(sourceRoot);
    source = await f.start({ name: 'SOURCE_DISK', root: sourceRoot });
    writeToken = await f.issuer.mint({ sub: 'fts', scope: 'storage.read:/ storage.create:/ storage.modify:/' });
    readToken = await f.issuer.mint({ sub: 'fts', scope: 'storage.read:/' });
    const put = await call(`${source.url}/data/file.bin`, {
      method: 'PUT', ca: f.pki.caCertPem, body: data, headers: { Authorization: `Bearer ${writeToken}` },
    });
    expect(put.status).toBe(201);
    mkdirSync(join(f.root, 'data'));
  });
  afterAll(async () => {
    await f.close();
    rmSync(f.tmp, { recursive: true, force: true });
  });

  it('copies the source with 201, Perf Markers and a final success line; the digests agree', async () => {
    const answer = await copy('/data/copied.bin', pullHeaders('/data/file.bin'));
    expect(answer.status).toBe(201);
    expect(answer.headers['content-type']).toMatch(/^text\/plain/);
    expect(answer.body).toContain('Perf Marker');
    expect(answer.body).toContain(`Stripe Bytes Transferred: ${data.length}`);
    expect(answer.body).toMatch(/^RemoteConnections: tcp:127\.0\.0\.1:\d+$/m);
    expect(lastLine(answer.body)).toBe('success: Created');
    expect(readFileSync(join(f.root, 'data', 'copied.bin')).equals(data)).toBe(true);

    const want = { 'Want-Digest': 'adler32', Authorization: `Bearer ${readToken}` };
    const dest = await call(`${f.endpoint.url}/data/copied.bin`, { method: 'HEAD', ca: f.pki.caCertPem, headers: want });
    const src = await call(`${source.url}/data/file.bin`, { method: 'HEAD', ca: f.pki.caCertPem, headers: want });
    expect(dest.headers.digest).toBe(`adler32=${(await createAdler32()).update(data).digest('hex')}`);
    expect(dest.headers.digest).toBe(src.headers.digest);
  });

  it('reports a missing source in the body of a 201 and leaves a 0-byte file', async () => {
    const answer = await copy('/data/missing.bin', pullHeaders('/data/no-such-file.bin'));
    expect(answer.status).toBe(201);
    expect(answer.body).toContain('Perf Marker');
    expect(lastLine(answer.body)).toBe('failure: Remote side failed with status code 404; error message: "No such file or directory: /data/no-such-file.bin"');
    expect(statSync(join(f.root, 'data', 'missing.bin')).size).toBe(0);
  });

  it('forwards only TransferHeader* headers to the source: without one the source refuses', async () => {
    const { TransferHeaderAuthorization: _dropped, ...headers } = pullHeaders('/data/file.bin');
    const answer = await copy('/data/anonymous.bin', headers);
    expect(answer.status).toBe(201);
    expect(lastLine(answer.body)).toMatch(/^failure: Remote side failed with status code 401; error message: "No client certificate or bearer token/);
  });

  it('reports an unreachable source as a failure line', async () => {
    const port = await closedPort();
    const answer = await copy('/data/unreachable.bin', { ...pullHeaders('/x'), Source: `https://localhost:${port}/data/file.bin` });
    expect(answer.status).toBe(201);
    expect(lastLine(answer.body)).toBe('failure: Could not connect to source: ECONNREFUSED');
  });

  it('answers 400 when the destination parent does not exist, like XRootD (MKCOL first)', async () => {
    const answer = await copy('/nowhere/copied.bin', pullHeaders('/data/file.bin'));
    expect([answer.status, answer.body]).toEqual([400, 'Unable to create /nowhere/copied.bin; no such file or directory\n']);
    expect(existsSync(join(f.root, 'nowhere'))).toBe(false);
  });

  it('authorizes the destination write with the request credentials: a read-only token gets 401 like XRootD', async () => {
    const answer = await copy('/data/readonly.bin', { ...pullHeaders('/data/file.bin'), Authorization: `Bearer ${readToken}` });
    expect([answer.status, answer.body]).toEqual([401, 'Unable to create /data/readonly.bin; permission denied\n']);
    expect(existsSync(join(f.root, 'data', 'readonly.bin'))).toBe(false);
  });

  it('answers push mode (Destination header) with 501', async () => {
    const answer = await call(`${source.url}/data/file.bin`, {
      method: 'COPY', ca: f.pki.caCertPem,
      headers: { Destination: `${f.endpoint.url}/data/pushed.bin`, Authorization: `Bearer ${writeToken}` },
    });
    expect(answer.status).toBe(501);
  });
});
