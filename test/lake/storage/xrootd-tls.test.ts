// Reading an XRootD server's TLS certificate after the root:// opening is bounded: a peer that
// is not XRootD, closes at once or never answers gives "nothing learnt" (null), never a hang.
// The real XRootD cases are in server-certificate.test.ts.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectXrootdTls } from '../../../src/lake/storage/xrootd-tls.js';

const servers: Server[] = [];
const held: Socket[] = [];
async function listen(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    held.push(socket);
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const s of held.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('inspectXrootdTls', () => {
  it('gives null for a peer that closes at once, or answers with something that is not XRootD', async () => {
    expect(await inspectXrootdTls('127.0.0.1', await listen((s) => s.end()), [])).toBeNull();
    const http = await listen((s) => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    expect(await inspectXrootdTls('127.0.0.1', http, [])).toBeNull();
  });

  it('gives null within its bound for a peer that never answers', async () => {
    const port = await listen(() => {});
    const started = Date.now();
    expect(await inspectXrootdTls('127.0.0.1', port, [])).toBeNull();
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);
});
