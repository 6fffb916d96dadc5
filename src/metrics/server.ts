import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Exposition } from './registry.js';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves /metrics during a run. Binds loopback unless the caller asks for another host. */
export async function serveMetrics(registry: Exposition, port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    (registry.metricsBuffer?.() ?? registry.metrics()).then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
