import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XrootdEndpoint } from '../../../src/sandbox/xrootd/index.js';
import { startXrootdFixture, type XrootdFixture } from './xrootd-fixture.js';

describe('xrootd endpoint: WebDAV over HTTPS with a member proxy', () => {
  let f: XrootdFixture;
  let e: XrootdEndpoint;
  const member = () => f.proxy(f.pki.users.member.proxyPath);

  beforeAll(async () => {
    f = await startXrootdFixture('lakeprobe-xrd-dav-');
    e = await f.start('XRD-DAV');
  });
  afterAll(async () => {
    await f?.close();
  });

  it('reports its URLs and a running process', () => {
    expect(e.url).toBe(`https://localhost:${e.port}`);
    expect(e.rootUrl).toBe(`root://localhost:${e.rootPort}`);
    expect(e.pid).toBeGreaterThan(0);
    expect(e.logFile).toMatch(/logs\/XRD-DAV\/xrootd\.log$/);
  });

  it('answers PUT with 200 ":-)" and creates missing parent directories', async () => {
    const put = await f.send(e, 'PUT', '/rucio/deep/er/hello.txt', { ...member(), body: 'hello world' });
    expect(put.status).toBe(200);
    expect(put.body).toBe(':-)');
    const get = await f.send(e, 'GET', '/rucio/deep/er/hello.txt', member());
    expect(get.status).toBe(200);
    expect(get.body).toBe('hello world');
  });

  it('answers HEAD with the size and no body', async () => {
    const head = await f.send(e, 'HEAD', '/rucio/deep/er/hello.txt', member());
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('11');
    expect(head.body).toBe('');
  });

  it('answers Want-Digest with adler32 in hex and md5 in base64', async () => {
    const adler = await f.send(e, 'HEAD', '/rucio/deep/er/hello.txt', { ...member(), headers: { 'Want-Digest': 'adler32' } });
    expect(adler.headers.digest).toBe('adler32=1a0b045d');
    const md5 = await f.send(e, 'GET', '/rucio/deep/er/hello.txt', { ...member(), headers: { 'Want-Digest': 'md5' } });
    expect(md5.headers.digest).toBe('md5=XrY7u+Ae7tCTyyK7j1rNww==');
  });

  it('answers GET with 500 "Failed to determine checksum" for an algorithm it does not compute; HEAD answers adler32 instead', async () => {
    const get = await f.send(e, 'GET', '/rucio/deep/er/hello.txt', { ...member(), headers: { 'Want-Digest': 'sha-256' } });
    expect(get.status).toBe(500);
    expect(get.body).toBe('Failed to determine checksum');
    const head = await f.send(e, 'HEAD', '/rucio/deep/er/hello.txt', { ...member(), headers: { 'Want-Digest': 'sha-256' } });
    expect(head.status).toBe(200);
    expect(head.headers.digest).toBe('adler32=1a0b045d');
  });

  it('answers 404 naming the path for a missing file', async () => {
    const get = await f.send(e, 'GET', '/rucio/missing.dat', member());
    expect(get.status).toBe(404);
    expect(get.body.trim()).toBe('Unable to open /rucio/missing.dat; no such file or directory');
  });

  it('creates collections with MKCOL, parents included, and answers 201 again for an existing one', async () => {
    expect((await f.send(e, 'MKCOL', '/rucio/a/b/c', member())).status).toBe(201);
    expect((await f.send(e, 'MKCOL', '/rucio/a/b/c', member())).status).toBe(201);
    const onFile = await f.send(e, 'MKCOL', '/rucio/deep/er/hello.txt', member());
    expect(onFile.status).toBe(405);
    expect(onFile.body).toBe('Method is not allowed; resource already exists.');
  });

  it('lists a collection with PROPFIND depth 1 as a 207 multistatus', async () => {
    const reply = await f.send(e, 'PROPFIND', '/rucio/deep/er', { ...member(), headers: { Depth: '1' } });
    expect(reply.status).toBe(207);
    expect(reply.body).toContain('<D:multistatus');
    expect(reply.body).toContain('<D:href>/rucio/deep/er/hello.txt</D:href>');
    expect(reply.body).toContain('<lp1:getcontentlength>11</lp1:getcontentlength>');
  });

  it('deletes a file with 200, then answers 404', async () => {
    await f.send(e, 'PUT', '/rucio/gone.dat', { ...member(), body: 'x' });
    const del = await f.send(e, 'DELETE', '/rucio/gone.dat', member());
    expect(del.status).toBe(200);
    const again = await f.send(e, 'DELETE', '/rucio/gone.dat', member());
    expect(again.status).toBe(404);
    expect(again.body.trim()).toBe('Unable to locate /rucio/gone.dat; no such file or directory');
  });

  it('refuses to delete a non-empty directory with 500', async () => {
    const del = await f.send(e, 'DELETE', '/rucio/deep', member());
    expect(del.status).toBe(500);
    expect(del.body.trim()).toBe('Unable to remove /rucio/deep; directory not empty');
  });

  it('advertises COPY but not MKCOL in Allow', async () => {
    const reply = await f.send(e, 'OPTIONS', '/rucio/', member());
    expect(reply.status).toBe(200);
    expect(reply.headers.allow).toBe('HEAD,GET,PUT,PROPFIND,DELETE,OPTIONS,COPY');
  });
});
