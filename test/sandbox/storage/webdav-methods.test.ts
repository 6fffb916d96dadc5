import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdler32 } from 'hash-wasm';
import { startStorageFixture, type StorageFixture } from './endpoint-fixture.js';
import { call, type CallOptions } from './https-client.js';

describe('storage endpoint: WebDAV methods (x509 proxy of a mapped user)', () => {
  let f: StorageFixture;
  let send: (method: string, path: string, extra?: Partial<CallOptions>) => ReturnType<typeof call>;

  beforeAll(async () => {
    f = await startStorageFixture('lakeprobe-webdav-');
    const creds = f.credentials(f.pki.users.member.proxyPath);
    send = (method, path, extra = {}) =>
      call(`${f.endpoint.url}${path}`, { method, ca: f.pki.caCertPem, ...creds, ...extra });
  });
  afterAll(async () => {
    await f.close();
    rmSync(f.tmp, { recursive: true, force: true });
  });

  it('PUT creates parent directories and answers 201; GET returns the bytes', async () => {
    const put = await send('PUT', '/data/run1/hello.txt', { body: 'hello world' });
    expect(put.status).toBe(201);
    expect(statSync(join(f.root, 'data', 'run1')).isDirectory()).toBe(true);
    const get = await send('GET', '/data/run1/hello.txt');
    expect(get.status).toBe(200);
    expect(get.body).toBe('hello world');
  });

  it('PUT over an existing file replaces it', async () => {
    await send('PUT', '/data/replace.txt', { body: 'first version' });
    expect((await send('PUT', '/data/replace.txt', { body: 'second' })).status).toBe(201);
    expect((await send('GET', '/data/replace.txt')).body).toBe('second');
  });

  it('HEAD gives the Content-Length without a body', async () => {
    const head = await send('HEAD', '/data/run1/hello.txt');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('11');
    expect(head.body).toBe('');
  });

  it('answers Want-Digest with adler32 hex, md5 base64, and adler32 for anything else', async () => {
    const digest = async (want: string) =>
      (await send('HEAD', '/data/run1/hello.txt', { headers: { 'Want-Digest': want } })).headers.digest;
    expect(await digest('adler32')).toBe('adler32=1a0b045d');
    expect(await digest('md5')).toBe('md5=XrY7u+Ae7tCTyyK7j1rNww==');
    expect(await digest('sha-256')).toBe('adler32=1a0b045d');
    const get = await send('GET', '/data/run1/hello.txt', { headers: { 'Want-Digest': 'adler32' } });
    expect(get.headers.digest).toBe('adler32=1a0b045d');
  });

  it('serves a byte range with 206', async () => {
    const part = await send('GET', '/data/run1/hello.txt', { headers: { Range: 'bytes=6-' } });
    expect(part.status).toBe(206);
    expect(part.body).toBe('world');
    expect(part.headers['content-range']).toBe('bytes 6-10/11');
    expect((await send('GET', '/data/run1/hello.txt', { headers: { Range: 'bytes=50-' } })).status).toBe(416);
  });

  it('GET of a missing file is 404', async () => {
    expect((await send('GET', '/data/run1/missing.txt')).status).toBe(404);
  });

  it('PROPFIND lists a collection with Depth 1 and only itself with Depth 0', async () => {
    const listing = await send('PROPFIND', '/data/run1', { headers: { Depth: '1' } });
    expect(listing.status).toBe(207);
    expect(listing.body).toContain('<D:href>/data/run1/</D:href>');
    expect(listing.body).toContain('<D:href>/data/run1/hello.txt</D:href>');
    expect(listing.body).toContain('<D:getcontentlength>11</D:getcontentlength>');
    expect(listing.body).toMatch(/<D:href>\/data\/run1\/<\/D:href>[\s\S]*?<D:resourcetype><D:collection\/><\/D:resourcetype>/);
    const self = await send('PROPFIND', '/data/run1/hello.txt', { headers: { Depth: '0' } });
    expect(self.status).toBe(207);
    expect(self.body.match(/<D:response>/g)).toHaveLength(1);
    expect(self.body).toContain('<D:resourcetype></D:resourcetype>');
    expect((await send('PROPFIND', '/nowhere', { headers: { Depth: '0' } })).status).toBe(404);
  });

  it('MKCOL creates a collection (with parents) and answers 405 when it exists', async () => {
    expect((await send('MKCOL', '/made/deep/dir')).status).toBe(201);
    expect(statSync(join(f.root, 'made', 'deep', 'dir')).isDirectory()).toBe(true);
    expect((await send('MKCOL', '/made/deep/dir')).status).toBe(405);
  });

  it('DELETE removes a file (204), refuses a non-empty directory (409), then 404', async () => {
    await send('PUT', '/doomed/file.bin', { body: 'x' });
    expect((await send('DELETE', '/doomed')).status).toBe(409);
    expect((await send('DELETE', '/doomed/file.bin')).status).toBe(204);
    expect(existsSync(join(f.root, 'doomed', 'file.bin'))).toBe(false);
    expect((await send('DELETE', '/doomed/file.bin')).status).toBe(404);
    expect((await send('DELETE', '/doomed')).status).toBe(204);
  });

  it('answers a push-mode COPY (Destination header) with 501: only pull mode is served', async () => {
    const copy = await send('COPY', '/data/run1/hello.txt', { headers: { Destination: 'https://elsewhere/x' } });
    expect(copy.status).toBe(501);
  });

  it('keeps paths inside the data directory', async () => {
    const reply = await send('GET', '/../../etc/passwd');
    expect(reply.status).toBe(404);
  });

  it('streams a 50 MB PUT to disk while it arrives and checksums it without loading it', async () => {
    const size = 50 * 1024 * 1024;
    const chunkSize = 1024 * 1024;
    const expected = await createAdler32();
    let partialSeenWhileSending = 0;
    const partialSize = (dir: string): number =>
      readdirSync(dir)
        .filter((n) => n.startsWith('.lakeprobe-partial-'))
        .reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < size; sent += chunkSize) {
        const chunk = Buffer.alloc(chunkSize, (sent / chunkSize) % 251);
        expected.update(chunk);
        if (sent === 40 * chunkSize) partialSeenWhileSending = partialSize(join(f.root, 'big'));
        yield chunk;
      }
    }
    const put = await send('PUT', '/big/50mb.bin', {
      body: Readable.from(chunks()),
      headers: { 'Content-Length': size },
    });
    expect(put.status).toBe(201);
    expect(partialSeenWhileSending).toBeGreaterThan(0);
    expect(statSync(join(f.root, 'big', '50mb.bin')).size).toBe(size);
    expect(partialSize(join(f.root, 'big'))).toBe(0);
    const head = await send('HEAD', '/big/50mb.bin', { headers: { 'Want-Digest': 'adler32' } });
    expect(head.headers['content-length']).toBe(String(size));
    expect(head.headers.digest).toBe(`adler32=${expected.digest('hex')}`);
    const record = f.access.find((r) => r.method === 'PUT' && r.path === '/big/50mb.bin');
    expect(record).toMatchObject({ status: 201, bytes: size, identity: f.pki.users.member.dn });
  });
});
