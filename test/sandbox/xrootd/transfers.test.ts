import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXrootdEndpoint, type XrootdEndpoint } from '../../../src/sandbox/xrootd/index.js';
import { bearer, MEMBER_SCOPE, NONMEMBER_SCOPE, READ_ONLY_SCOPE, startXrootdFixture, type XrootdFixture } from './xrootd-fixture.js';

const run = promisify(execFile);

interface Outcome {
  code: number;
  stderr: string;
}

async function xrdcp(args: string[], env: Record<string, string>): Promise<Outcome> {
  try {
    const { stderr } = await run('/usr/bin/xrdcp', ['--nopbar', ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

const lastLine = (body: string): string => body.trimEnd().split('\n').pop() ?? '';

describe('xrootd endpoint: third-party copy, root:// and the process lifecycle', () => {
  let f: XrootdFixture;
  let src: XrootdEndpoint;
  let dst: XrootdEndpoint;
  let token: string;
  const member = () => f.proxy(f.pki.users.member.proxyPath);
  const copyHeaders = (source: string, destToken: string, srcToken: string) => ({
    headers: { Source: source, Authorization: `Bearer ${destToken}`, TransferHeaderAuthorization: `Bearer ${srcToken}` },
  });

  beforeAll(async () => {
    f = await startXrootdFixture('lakeprobe-xrd-tpc-');
    [src, dst] = [await f.start('XRD-SRC'), await f.start('XRD-DST')];
    token = await f.mint('member', MEMBER_SCOPE);
    const payload = Buffer.alloc(3 * 1024 * 1024, 'lakeprobe ');
    expect((await f.send(src, 'PUT', '/rucio/tpc/file.dat', { ...bearer(token), body: payload })).status).toBe(200);
  });
  afterAll(async () => {
    await f?.close();
  });

  describe('HTTP-TPC pull', () => {
    it('answers 400 when the destination directory does not exist yet', async () => {
      const reply = await f.send(dst, 'COPY', '/rucio/tpc/file.dat', copyHeaders(`${src.url}/rucio/tpc/file.dat`, token, token));
      expect(reply.status).toBe(400);
      expect(reply.body).toBe('Unable to create /rucio/tpc/file.dat; no such file or directory');
    });

    it('copies after MKCOL: 201, last line "success: Created", same adler32 on both sides', async () => {
      expect((await f.send(dst, 'MKCOL', '/rucio/tpc', bearer(token))).status).toBe(201);
      const reply = await f.send(dst, 'COPY', '/rucio/tpc/file.dat', copyHeaders(`${src.url}/rucio/tpc/file.dat`, token, token));
      expect(reply.status).toBe(201);
      expect(reply.body).toContain('Perf Marker');
      expect(lastLine(reply.body)).toBe('success: Created');
      const digest = async (e: XrootdEndpoint) =>
        (await f.send(e, 'HEAD', '/rucio/tpc/file.dat', { headers: { Authorization: `Bearer ${token}`, 'Want-Digest': 'adler32' } }))
          .headers.digest;
      expect(await digest(dst)).toMatch(/^adler32=[0-9a-f]{8}$/);
      expect(await digest(dst)).toBe(await digest(src));
    });

    it('answers 201 and ends with "failure: Remote side failed with status code 404" for a missing source', async () => {
      const reply = await f.send(dst, 'COPY', '/rucio/tpc/none.dat', copyHeaders(`${src.url}/rucio/tpc/none.dat`, token, token));
      expect(reply.status).toBe(201);
      expect(lastLine(reply.body)).toMatch(/^failure: Remote side failed with status code 404; error message: /);
    });

    it('ends with a 403 failure when the source gets no credentials', async () => {
      const reply = await f.send(dst, 'COPY', '/rucio/tpc/noauth.dat', {
        headers: { Source: `${src.url}/rucio/tpc/file.dat`, Authorization: `Bearer ${token}` },
      });
      expect(reply.status).toBe(201);
      expect(lastLine(reply.body)).toMatch(/^failure: Remote side failed with status code 403; error message: /);
    });

    it('refuses a destination token that may not write with 401, not 403', async () => {
      const readOnly = await f.mint('member', READ_ONLY_SCOPE);
      const reply = await f.send(dst, 'COPY', '/rucio/tpc/ro.dat', copyHeaders(`${src.url}/rucio/tpc/file.dat`, readOnly, token));
      expect(reply.status).toBe(401);
      expect(reply.body).toBe('Unable to create /rucio/tpc/ro.dat; permission denied');
    });
  });

  describe('root://', () => {
    it('serves xrdcp with the member proxy (gsi)', async () => {
      const out = join(f.tmp, 'gsi.dat');
      const env = { X509_USER_PROXY: f.pki.users.member.proxyPath, X509_CERT_DIR: f.pki.certDir };
      const result = await xrdcp(['-f', `${src.rootUrl}//rucio/tpc/file.dat`, out], env);
      expect(result).toMatchObject({ code: 0 });
      expect(readFileSync(out).length).toBe(3 * 1024 * 1024);
    });

    it('refuses the non-member proxy on the embargoed tree with [3010] permission denied', async () => {
      await f.send(src, 'PUT', '/embargo/secret.dat', { ...member(), body: 'classified' });
      const env = { X509_USER_PROXY: f.pki.users.nonmember.proxyPath, X509_CERT_DIR: f.pki.certDir };
      const result = await xrdcp(['-f', `${src.rootUrl}//embargo/secret.dat`, join(f.tmp, 'nope.dat')], env);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('[3010] Unable to open /embargo/secret.dat; permission denied');
    });

    it('uploads and downloads with a bearer token (ztn over TLS)', async () => {
      const local = join(f.tmp, 'ztn-up.dat');
      writeFileSync(local, 'hello world');
      const outsider = await f.mint('nonmember', NONMEMBER_SCOPE);
      const env = { BEARER_TOKEN: outsider, X509_CERT_DIR: f.pki.certDir };
      expect(await xrdcp(['-f', local, `${src.rootUrl}//rucio/ztn/up.dat`], env)).toMatchObject({ code: 0 });
      const back = join(f.tmp, 'ztn-down.dat');
      expect(await xrdcp(['-f', `${src.rootUrl}//rucio/ztn/up.dat`, back], env)).toMatchObject({ code: 0 });
      expect(readFileSync(back, 'utf8')).toBe('hello world');
      const embargoed = await xrdcp(['-f', `${src.rootUrl}//embargo/secret.dat`, join(f.tmp, 'no.dat')], env);
      expect(embargoed.stderr).toContain('[3010] Unable to open /embargo/secret.dat; permission denied');
    });

    it('fails with "Auth failed" for an expired proxy', async () => {
      const env = { X509_USER_PROXY: f.pki.users.member.expiredProxyPath, X509_CERT_DIR: f.pki.certDir };
      const result = await xrdcp(['-f', `${src.rootUrl}//rucio/tpc/file.dat`, join(f.tmp, 'expired.dat')], env);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('Auth failed');
    });
  });

  describe('lifecycle', () => {
    it('refuses connections after stop() and serves the same data after start()', async () => {
      const pid = dst.pid;
      await dst.stop();
      expect(dst.pid).toBe(0);
      await expect(f.send(dst, 'GET', '/rucio/tpc/file.dat', bearer(token))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await dst.start();
      expect(dst.pid).toBeGreaterThan(0);
      expect(dst.pid).not.toBe(pid);
      const head = await f.send(dst, 'HEAD', '/rucio/tpc/file.dat', bearer(token));
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe(String(3 * 1024 * 1024));
    });

    it('fails to start with the log tail when its HTTPS port is taken', async () => {
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const address = blocker.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      try {
        const attempt = f.start('XRD-BUSY', { httpsPort: port });
        await expect(attempt).rejects.toThrow(/xrootd XRD-BUSY initialization failed; log .*xrootd\.log:\n/);
        await expect(attempt).rejects.toThrow(/Unable to bind socket to port \d+; address already in use/);
      } finally {
        await new Promise<void>((resolve) => blocker.close(() => resolve()));
      }
    });

    it('refuses to start when user xrootd cannot enter its run directory', async () => {
      const closed = join(f.tmp, 'closed');
      mkdirSync(closed, { mode: 0o700 });
      const attempt = startXrootdEndpoint({
        name: 'XRD-CLOSED', root: join(f.tmp, 'data', 'closed'), runDir: join(closed, 'run'), pki: f.pki,
        gridmap: {}, embargo: { path: '/embargo', members: [], group: '/lakeprobe/embargo' },
        issuer: { url: f.issuer.issuer, jwks: f.issuer.jwks },
      });
      await expect(attempt).rejects.toThrow(`user xrootd cannot enter ${closed} (mode 700)`);
    });
  });
});
