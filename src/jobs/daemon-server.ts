import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Exposition } from '../metrics/registry.js';

export interface DaemonEndpoints {
  registry: Exposition;
  /** null when healthy, else why not. */
  unhealthy(): string | null;
  statusPage(): string;
}

export interface DaemonServer {
  /** Base URL, e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

/** Serves /metrics, /healthz and the status page at /. */
export async function serveDaemon(endpoints: DaemonEndpoints, port: number, host = '127.0.0.1'): Promise<DaemonServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      (endpoints.registry.metricsBuffer?.() ?? endpoints.registry.metrics()).then(
        (body) => res.writeHead(200, { 'content-type': endpoints.registry.contentType }).end(body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
    } else if (path === '/healthz') {
      const problem = endpoints.unhealthy();
      res.writeHead(problem ? 503 : 200, { 'content-type': 'text/plain' }).end(problem ? `unhealthy: ${problem}\n` : 'ok\n');
    } else if (path === '/' || path === '/status') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(endpoints.statusPage());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found (try /, /metrics, /healthz)\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
