// A TCP forwarder in front of a TLS server that counts the connections clients open:
// TLS stays end to end, so each accepted connection is one TLS handshake.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface CountingForwarder {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startCountingForwarder(targetPort: number): Promise<CountingForwarder> {
  let count = 0;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    count++;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => { client.destroy(); upstream.destroy(); });
      s.on('close', () => { open.delete(s); client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
