// WebDAV MOVE on the builtin storage, as `rucio upload` relies on: gfal2's http plugin (davix) uploads to
// `<pfn>.rucio.upload`, then renames it onto the PFN (lib/rucio/client/uploadclient.py, then
// lib/rucio/rse/protocols/gfal.py rename). Status codes of RFC 4918 §9.9.4.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageFixture, type StorageFixture } from './endpoint-fixture.js';
import { call, type CallOptions } from './https-client.js';

const run = promisify(execFile);

describe('storage endpoint: WebDAV MOVE', () => {
  let f: StorageFixture;
  let send: (method: string, path: string, extra?: Partial<CallOptions>) => ReturnType<typeof call>;
  const onDisk = (path: string): string | undefined => {
    const file = join(f.root, ...path.split('/').filter(Boolean));
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  };
  const move = (from: string, to: string, headers: Record<string, string> = {}, extra: Partial<CallOptions> = {}) =>
    send('MOVE', from, { headers: { Destination: `${f.endpoint.url}${to}`, ...headers }, ...extra });

  beforeAll(async () => {
    f = await startStorageFixture('lakeprobe-move-');
    const creds = f.credentials(f.pki.users.member.proxyPath);
    send = (method, path, extra = {}) => call(`${f.endpoint.url}${path}`, { method, ca: f.pki.caCertPem, ...creds, ...extra });
  });
  afterAll(async () => {
    await f.close();
    rmSync(f.tmp, { recursive: true, force: true });
  });

  it('lets davix (gfal2\'s http plugin) rename an upload into place', async () => {
    const proxy = f.pki.users.member.proxyPath;
    const tls = ['--cert', proxy, '--key', proxy, '--capath', f.pki.certDir];
    const local = join(f.tmp, 'payload.dat');
    writeFileSync(local, 'uploaded by davix');
    const staged = `${f.endpoint.url}/rucio/user/probe/file1.rucio.upload`;
    await run('davix-put', [...tls, local, staged], { timeout: 60_000 });
    // davix-mv 0.8.4 exits 255 even when the server moved the file (XRootD 5.5.3's 201 too): judge by the server.
    await run('davix-mv', [...tls, staged, `${f.endpoint.url}/rucio/user/probe/file1`], { timeout: 60_000 }).catch(() => undefined);
    expect(f.access.filter((r) => r.method === 'MOVE').map((r) => [r.path, r.status])).toEqual([['/rucio/user/probe/file1.rucio.upload', 201]]);
    expect(onDisk('/rucio/user/probe/file1.rucio.upload')).toBeUndefined();
    expect(onDisk('/rucio/user/probe/file1')).toBe('uploaded by davix');
  });

  it('answers 201 for a new destination and 204 when it replaced one (Overwrite: T, the default)', async () => {
    await send('PUT', '/data/a.tmp', { body: 'first' });
    expect((await move('/data/a.tmp', '/data/a')).status).toBe(201);
    expect([onDisk('/data/a.tmp'), onDisk('/data/a')]).toEqual([undefined, 'first']);
    await send('PUT', '/data/b.tmp', { body: 'second' });
    const replaced = await move('/data/b.tmp', '/data/a', { Overwrite: 'T' });
    expect([replaced.status, replaced.body]).toEqual([204, '']);
    expect([onDisk('/data/b.tmp'), onDisk('/data/a')]).toEqual([undefined, 'second']);
  });

  it('keeps both files with Overwrite: F on an existing destination (412)', async () => {
    await send('PUT', '/data/c.tmp', { body: 'third' });
    expect((await move('/data/c.tmp', '/data/a', { Overwrite: 'F' })).status).toBe(412);
    expect([onDisk('/data/c.tmp'), onDisk('/data/a')]).toEqual(['third', 'second']);
    expect((await move('/data/c.tmp', '/data/a', { Overwrite: 'maybe' })).status).toBe(400);
  });

  it('refuses what RFC 4918 refuses: 400 no Destination, 502 another server, 403 same resource, 404 no source, 409 no parent', async () => {
    expect((await send('MOVE', '/data/c.tmp')).status).toBe(400);
    expect((await send('MOVE', '/data/c.tmp', { headers: { Destination: 'https://elsewhere.test:8443/data/x' } })).status).toBe(502);
    expect((await move('/data/c.tmp', '/data/c.tmp')).status).toBe(403);
    expect((await move('/data/missing', '/data/x')).status).toBe(404);
    expect((await move('/data/c.tmp', '/no/such/dir/x')).status).toBe(409);
    expect(onDisk('/data/c.tmp')).toBe('third');
    // A Destination given as an absolute path names this server.
    expect((await send('MOVE', '/data/c.tmp', { headers: { Destination: '/data/c' } })).status).toBe(201);
    expect(onDisk('/data/c')).toBe('third');
  });

  it('moves a collection with its content, never below itself', async () => {
    await send('PUT', '/tree/x/one', { body: '1' });
    expect((await move('/tree/x', '/tree/x/inner')).status).toBe(409);
    expect((await move('/tree/x', '/tree/y', { Depth: '0' })).status).toBe(400);
    expect((await move('/tree/x', '/tree/y', { Depth: 'infinity' })).status).toBe(201);
    expect([onDisk('/tree/x/one'), onDisk('/tree/y/one')]).toEqual([undefined, '1']);
  });

  it('authorizes a write of the destination and a read and delete of the source', async () => {
    // Token scopes (WLCG profile): deleting the source needs storage.modify; storage.create alone only adds files.
    const noCert: Partial<CallOptions> = { cert: undefined, key: undefined };
    const bearer = async (scope: string): Promise<Record<string, string>> => ({ Authorization: `Bearer ${await f.issuer.mint({ sub: 'probe-robot', scope })}` });
    await send('PUT', '/scoped/in.tmp', { body: 'scoped' });
    const createOnly = await move('/scoped/in.tmp', '/scoped/in', await bearer('storage.read:/scoped storage.create:/scoped'), noCert);
    expect(createOnly.status).toBe(403);
    const outside = await move('/scoped/in.tmp', '/elsewhere/in', await bearer('storage.read:/scoped storage.modify:/scoped'), noCert);
    expect(outside.status).toBe(403);
    expect(onDisk('/scoped/in.tmp')).toBe('scoped');
    const allowed = await move('/scoped/in.tmp', '/scoped/in', await bearer('storage.read:/scoped storage.modify:/scoped'), noCert);
    expect(allowed.status).toBe(201);
    // The embargoed tree stays closed to a non-member, in either direction.
    const nonmember = f.credentials(f.pki.users.nonmember.proxyPath);
    await send('PUT', '/public/n.tmp', { body: 'n' });
    expect((await move('/public/n.tmp', '/embargo/n', {}, nonmember)).status).toBe(403);
    expect(onDisk('/embargo/n')).toBeUndefined();
  });

  it('advertises MOVE in Allow', async () => {
    expect(String((await send('OPTIONS', '/')).headers.allow).split(', ')).toContain('MOVE');
  });
});
