import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTpcBody, runAttempt, type AttemptSpec } from '../../../src/sandbox/transfers/index.js';
import type { XrootdEndpoint } from '../../../src/sandbox/xrootd/index.js';
import { adler32 } from './lake-fixture.js';
import { bearer, MEMBER_SCOPE, READ_ONLY_SCOPE, startXrootdFixture, type XrootdFixture } from '../xrootd/xrootd-fixture.js';

const MARKER = 'Perf Marker\nTimestamp: 1\nStripe Index: 0\nStripe Bytes Transferred: 42\nTotal Stripe Count: 1\nEnd\n';

describe('readTpcBody', () => {
  it('takes the verdict from the last line and the bytes from the last marker', () => {
    const body = `${MARKER}${MARKER.replace('42', '1024')}success: Created\n`;
    expect(readTpcBody(body)).toEqual({ bytes: 1024, lastLine: 'success: Created' });
    expect(readTpcBody(`${MARKER}failure: Remote side failed with status code 404\n\n`).lastLine)
      .toBe('failure: Remote side failed with status code 404');
    expect(readTpcBody('')).toEqual({ bytes: 0, lastLine: '' });
  });
});

describe('one transfer attempt', () => {
  let f: XrootdFixture;
  let scripted: Server;
  let scriptedUrl = '';
  const copyHeaders: IncomingHttpHeaders[] = [];
  let tokens: AttemptSpec['tokens'];
  const attempt = (destPath: string, extra: Partial<AttemptSpec> = {}) =>
    runAttempt({ sourceUrl: 'https://localhost:1/src', destUrl: `${scriptedUrl}${destPath}`, adler32: null, tokens, ca: [f.pki.caCertPem], ...extra });

  beforeAll(async () => {
    f = await startXrootdFixture('lakeprobe-attempt-');
    tokens = { destToken: await f.mint('fts', MEMBER_SCOPE), sourceToken: await f.mint('fts', READ_ONLY_SCOPE) };
    // A destination that answers each path the way a misbehaving storage would.
    scripted = createServer({ cert: f.pki.host.certPem, key: f.pki.host.keyPem }, (req, res) => {
      const path = req.url ?? '/';
      if (req.method === 'MKCOL') {
        res.writeHead(path.startsWith('/broken-dir') ? 500 : 201).end('Internal error: EIO\n');
      } else if (req.method === 'COPY') {
        copyHeaders.push(req.headers);
        if (path === '/refused/f') res.writeHead(403).end('Permission denied\n');
        else if (path === '/fails/f') res.writeHead(201).end(`${MARKER}failure: Remote side failed with status code 500\n`);
        else if (path === '/cut/f') res.writeHead(201).end(MARKER);
        else res.writeHead(201).end(`${MARKER}success: Created\n`);
      } else if (path === '/no-digest/f') {
        res.writeHead(200).end();
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => scripted.listen(0, '127.0.0.1', resolve));
    scriptedUrl = `https://localhost:${(scripted.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    scripted?.closeAllConnections();
    await new Promise<void>((resolve) => (scripted ? scripted.close(() => resolve()) : resolve()));
    await f?.close();
  });

  it('sends COPY with Source, the destination token and the source token in TransferHeaderAuthorization', async () => {
    await attempt('/ok/f');
    expect(copyHeaders.at(-1)).toMatchObject({
      source: 'https://localhost:1/src',
      authorization: `Bearer ${tokens.destToken}`,
      transferheaderauthorization: `Bearer ${tokens.sourceToken}`,
    });
  });

  it('decides by the last line of a 201, not by the status', async () => {
    expect(await attempt('/fails/f')).toEqual({ ok: false, bytes: 42, error: 'TRANSFER Remote side failed with status code 500' });
    expect(await attempt('/cut/f')).toEqual({ ok: false, bytes: 42, error: 'TRANSFER ended without a success or failure line' });
  });

  it('reports a refused COPY, a failed MKCOL and an unreachable destination with their phase', async () => {
    expect(await attempt('/refused/f')).toMatchObject({ ok: false, error: 'TRANSFER COPY refused with status code 403: Permission denied' });
    expect(await attempt('/broken-dir/f')).toMatchObject({
      ok: false, error: 'DESTINATION MKCOL failed with status code 500: Internal error: EIO',
    });
    expect(await attempt('/x/f', { destUrl: 'https://localhost:1/x/f' })).toMatchObject({
      ok: false, error: 'DESTINATION MKCOL failed: ECONNREFUSED',
    });
  });

  it('fails with "DESTINATION checksum unavailable" when the destination has no adler32 (404 or no Digest)', async () => {
    expect(await attempt('/ok/f')).toEqual({ ok: false, bytes: 42, error: 'DESTINATION checksum unavailable' });
    expect(await attempt('/no-digest/f')).toEqual({ ok: false, bytes: 42, error: 'DESTINATION checksum unavailable' });
  });

  describe('between two XRootD servers', () => {
    let src: XrootdEndpoint;
    let dst: XrootdEndpoint;
    const payload = Buffer.alloc(2 * 1024 * 1024 + 5, 'transfer ');
    const checksum = adler32(payload);

    beforeAll(async () => {
      [src, dst] = [await f.start('XRD-SRC'), await f.start('XRD-DST')];
      const put = await f.send(src, 'PUT', '/rucio/ab/cd/file.dat', { ...bearer(tokens.destToken), body: payload });
      expect(put.status).toBe(200);
    });

    it('creates the missing parents, pulls the file and finds the same adler32', async () => {
      const result = await runAttempt({
        sourceUrl: `${src.url}/rucio/ab/cd/file.dat`, destUrl: `${dst.url}/rucio/new/deep/file.dat`, adler32: checksum, tokens, ca: [f.pki.caCertPem],
      });
      expect(result).toEqual({ ok: true, bytes: payload.length });
    });

    it('reports XRootD\'s failure line for a missing source', async () => {
      const result = await runAttempt({
        sourceUrl: `${src.url}/rucio/none.dat`, destUrl: `${dst.url}/rucio/new/none.dat`, adler32: checksum, tokens, ca: [f.pki.caCertPem],
      });
      expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^TRANSFER Remote side failed with status code 404/) });
    });

    it('finds a checksum mismatch when the catalogue expects other bytes', async () => {
      const result = await runAttempt({
        sourceUrl: `${src.url}/rucio/ab/cd/file.dat`, destUrl: `${dst.url}/rucio/new/other.dat`, adler32: '00000001', tokens, ca: [f.pki.caCertPem],
      });
      expect(result).toMatchObject({ ok: false, error: `checksum mismatch: expected adler32 00000001, destination has ${checksum}` });
    });
  });
});
