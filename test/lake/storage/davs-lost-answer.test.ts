// A storage that drops a PUT without an answer is asked again with an empty write; when that
// one is answered (503 here), the result takes its status instead of a bare reset. That is
// also how a 503 lost to the reset is recovered: a server (in its own process) that answers
// as the body starts and resets at once makes our next write fail while its answer is still
// unread in the kernel, and Node closes the socket without reading it. An answer Node's
// parser refuses is read from the bytes the socket received (early-response.ts).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../../src/engine/classify.js';
import { syntheticStream } from '../../../src/lake/data/synthetic.js';
import { StorageError } from '../../../src/lake/errors.js';
import { DavsDriver } from '../../../src/lake/storage/davs.js';
import { parseEarlyResponse } from '../../../src/lake/storage/early-response.js';
import { withTemporaryPki, type Certificate } from '../../helpers/openssl-pki.js';

let ca: Certificate;
let remoteHost: Certificate;
let server: Server;
let base: string;
let driver: DavsDriver;

beforeAll(async () => {
  let host!: Certificate;
  withTemporaryPki((certs) => {
    ca = certs.ca('ca', '/O=lakeprobe-test/CN=Lost CA');
    host = certs.server('server', ca, '/O=lakeprobe-test/CN=localhost');
    remoteHost = certs.server('remote', ca, '/O=lakeprobe-test/CN=localhost');
  });
  server = createServer({ key: host.keyPem, cert: host.certPem }, (req, res) => {
    if (req.method === 'PROPFIND') {
      req.resume();
      return void res.writeHead(207, { 'Content-Type': 'text/xml' })
        .end('<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:response><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop></D:propstat></D:response></D:multistatus>');
    }
    if (req.method === 'PUT' && Number(req.headers['content-length']) > 0) {
      // Drop the connection once the body starts, with no answer.
      return void req.once('data', () => req.socket.destroy());
    }
    req.resume();
    res.writeHead(503, { 'Content-Type': 'text/plain' }).end('Service Unavailable: storage in maintenance');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `davs://localhost:${(server.address() as AddressInfo).port}`;
  driver = new DavsDriver({ ca: [ca.certPem] }, { continueTimeoutMs: 20 });
});

afterAll(async () => {
  driver.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('a PUT dropped with no answer', () => {
  it('takes the status an empty write is answered with', async () => {
    const size = 4 * 1024 * 1024;
    const error = await driver.put(`${base}/d/f`, syntheticStream({ seed: 'lost', size }), size).then(() => expect.fail('expected a failure'), (e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).status).toBe(503);
    const { errorClass, message } = classify(error);
    expect(errorClass).toBe('service_unavailable');
    expect(message).toMatch(/an empty write is answered 503/);
  });
});

describe('a PUT answered 503 and reset as its body starts', () => {
  // Enough trials that the reset beats the answer in some (about nine in ten here), bounded.
  const TRIALS = 20;
  const MAX_TRIALS = 60;
  const size = 64 * 1024 * 1024;
  let child: ChildProcessWithoutNullStreams;
  let remote: string;

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'jiti/register', resolve('test/lake/storage/fixtures/answer-then-reset.ts'), String(16 * 1024)]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdin.write(`${JSON.stringify({ key: remoteHost.keyPem, cert: remoteHost.certPem })}\n`);
    const port = await new Promise<number>((done, fail) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /port (\d+)/.exec(out);
        if (match) done(Number(match[1]));
      });
      child.once('exit', (code) => fail(new Error(`the storage process exited (${code}) before listening: ${stderr}`)));
    });
    remote = `davs://localhost:${port}`;
  });

  afterAll(async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill();
    await exited;
  });

  it('is service_unavailable with status 503 in every trial, also when the reset made the write fail first', async () => {
    const remoteDriver = new DavsDriver({ ca: [ca.certPem] });
    const outcomes: string[] = [];
    let lost = 0;
    try {
      for (let i = 0; i < MAX_TRIALS && (i < TRIALS || lost === 0); i++) {
        const error = await remoteDriver.put(`${remote}/d/f${i}`, syntheticStream({ seed: `lost-${i}`, size }), size)
          .then(() => new Error('the PUT succeeded'), (e: unknown) => e);
        const { errorClass, message } = classify(error);
        // Read as it came ("storage in maintenance") or, when the write failed first, asked again.
        const how = /(?:an empty write|this identity) is answered 503/.test(message) ? 'asked again' : /503 storage in maintenance/.test(message) ? 'read' : message;
        if (how === 'asked again') lost++;
        outcomes.push(`${errorClass} ${(error as StorageError).status ?? '-'}: ${how}`);
      }
    } finally {
      remoteDriver.close();
    }
    expect(outcomes.filter((o) => !/^service_unavailable 503: (?:read|asked again)$/.test(o))).toEqual([]);
    expect(lost, 'the answer was never lost to the reset: this no longer tests a lost answer').toBeGreaterThan(0);
  });
});

describe('a PUT answered in a form the HTTP parser refuses', () => {
  // A status line a storage means, with a header line Node's parser rejects even when lenient.
  const MALFORMED = 'HTTP/1.1 503 Service Unavailable\r\nThis is no header\r\nContent-Length: 4\r\n\r\nbusy';
  let quirky: Server;
  let quirkyBase: string;

  beforeAll(async () => {
    quirky = createServer({ key: remoteHost.keyPem, cert: remoteHost.certPem });
    // Answers mid-body (/mid, after `100 Continue` and the first body bytes) or instead of `100 Continue` (/before).
    quirky.on('checkContinue', (req, res) => {
      const answer = (): void => void req.socket.write(MALFORMED, () => req.socket.destroy());
      if (req.url === '/before') return answer();
      res.writeContinue();
      req.once('data', answer);
    });
    await new Promise<void>((resolve) => quirky.listen(0, '127.0.0.1', resolve));
    quirkyBase = `davs://localhost:${(quirky.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    quirky.closeAllConnections();
    await new Promise((resolve) => quirky.close(resolve));
  });

  it.each(['mid', 'before'])('takes the status of the answer (%s the body), and says the parser refused it', async (where) => {
    const quirkyDriver = new DavsDriver({ ca: [ca.certPem] });
    const size = 8 * 1024 * 1024;
    try {
      const error = await quirkyDriver.put(`${quirkyBase}/${where}`, syntheticStream({ seed: 'quirky', size }), size)
        .then(() => expect.fail('expected a failure'), (e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).status).toBe(503);
      const { errorClass, message } = classify(error);
      expect(errorClass).toBe('service_unavailable');
      expect(message).toMatch(/503 busy \(answered before the body was read; in a form the HTTP parser refused: Parse Error: Invalid header token\)/);
    } finally {
      quirkyDriver.close();
    }
  });
});

describe('parseEarlyResponse', () => {
  it('skips interim answers and returns the final status and the head of the body', () => {
    const raw = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\n\r\nbusy!';
    expect(parseEarlyResponse(raw)).toEqual({ status: 503, reason: 'Service Unavailable', body: 'busy!' });
  });

  it('returns null for no answer, a bare interim answer or headers cut short', () => {
    expect(parseEarlyResponse('')).toBeNull();
    expect(parseEarlyResponse('HTTP/1.1 100 Continue\r\n\r\n')).toBeNull();
    expect(parseEarlyResponse('HTTP/1.1 507 Insufficient Storage\r\nContent-Le')).toBeNull();
  });
});
