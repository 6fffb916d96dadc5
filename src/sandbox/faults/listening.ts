// rse_down: a storage endpoint that stops listening (connections refused, open ones
// cut) and listens again on the same port once the fault is removed.
import type { Server } from 'node:net';
import type { StorageFaults } from './fault-set.js';

/** An http(s) server: a net.Server that can drop its open connections. */
export type HttpLikeServer = Server & { closeAllConnections(): void };

/**
 * Makes `server` (listening on 127.0.0.1:`port`) follow the rse_down faults for `rse`:
 * now (resolved once applied) and on every change; changes apply one at a time, in
 * order. Resolves to the function that stops following, once a change under way is done.
 */
export async function followRseDown(
  server: HttpLikeServer,
  port: number,
  rse: string,
  faults?: StorageFaults,
): Promise<() => Promise<void>> {
  if (!faults) return async () => {};
  let queue: Promise<void> = Promise.resolve();
  let listening = true;

  const stopListening = async (): Promise<void> => {
    listening = false;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };

  const listenAgain = async (): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    listening = true;
  };

  const follow = (): Promise<void> => {
    const next = queue.then(() => {
      const down = faults.rseDown(rse);
      if (down && listening) return stopListening();
      if (!down && !listening) return listenAgain();
      return undefined;
    });
    queue = next.catch(() => {});
    return next;
  };

  const unsubscribe = faults.onChange(follow);
  await follow();
  return async () => {
    unsubscribe();
    await queue;
  };
}
