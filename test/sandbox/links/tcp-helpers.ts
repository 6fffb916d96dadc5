import { createHash } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpServer {
  port: number;
  /** Sockets the server accepted, in order. */
  accepted: Socket[];
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 (half-open allowed) running `onSocket` for each connection. */
export async function startTcpServer(onSocket: (socket: Socket) => void): Promise<TcpServer> {
  const accepted: Socket[] = [];
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted.push(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    accepted,
    close: () => new Promise((resolve) => {
      for (const socket of accepted) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Echoes everything back and half-closes when the peer does. */
export const echo = (socket: Socket): void => {
  socket.pipe(socket);
};

export function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the socket receives until its peer half-closes. */
export function readToEnd(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** Resolves with the next `bytes` bytes the socket receives. */
export function readBytes(socket: Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (c: Buffer): void => {
      chunks.push(c);
      got += c.length;
      if (got >= bytes) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

export function closed(socket: Socket): Promise<{ hadError: boolean }> {
  if (socket.closed) return Promise.resolve({ hadError: socket.errored !== null });
  return new Promise((resolve) => socket.once('close', (hadError: boolean) => resolve({ hadError })));
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
