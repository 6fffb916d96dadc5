// A storage that drops a PUT without an answer is asked again with an empty write; when that
// one is answered (503 here), the result takes its status instead of a bare reset.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../../src/engine/classify.js';
import { syntheticStream } from '../../../src/lake/data/synthetic.js';
import { StorageError } from '../../../src/lake/errors.js';
import { DavsDriver } from '../../../src/lake/storage/davs.js';
import { parseEarlyResponse } from '../../../src/lake/storage/early-response.js';
import { withTemporaryPki, type Certificate } from '../../helpers/openssl-pki.js';

let ca: Certificate;
let server: Server;
let base: string;
let driver: DavsDriver;

beforeAll(async () => {
  let host!: Certificate;
  withTemporaryPki((certs) => {
    ca = certs.ca('ca', '/O=lakeprobe-test/CN=Lost CA');
    host = certs.server('server', ca, '/O=lakeprobe-test/CN=localhost');
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
