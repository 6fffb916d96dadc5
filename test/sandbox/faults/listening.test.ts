import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultSet } from '../../../src/sandbox/faults/index.js';
import { startStorageFixture, type StorageFixture } from '../storage/endpoint-fixture.js';

/** 'open' when something accepts a TCP connection on the port, else the error code. */
function probe(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

describe('rse_down on the builtin storage endpoint', () => {
  let fixture: StorageFixture;

  beforeAll(async () => {
    fixture = await startStorageFixture('lakeprobe-rse-down-');
  });
  afterAll(() => fixture.close());

  it('starts refused when the fault is already on, and opens on the same port when it goes', async () => {
    const faults = new FaultSet();
    const id = faults.add({ kind: 'rse_down', rse: 'DOWN-AT-START' });
    const endpoint = await fixture.start({ name: 'DOWN-AT-START', faults });
    expect(await probe(endpoint.port)).toBe('ECONNREFUSED');
    faults.remove(id);
    await faults.settled();
    expect(await probe(endpoint.port)).toBe('open');
  });

  it('follows only its own RSE, and closes while down', async () => {
    const faults = new FaultSet();
    const endpoint = await fixture.start({ name: 'FOLLOWER', faults });
    faults.add({ kind: 'rse_down', rse: 'ANOTHER' });
    await faults.settled();
    expect(await probe(endpoint.port)).toBe('open');
    faults.add({ kind: 'rse_down', rse: 'FOLLOWER' });
    await faults.settled();
    expect(await probe(endpoint.port)).toBe('ECONNREFUSED');
    await endpoint.close();
    faults.clear();
    await faults.settled();
    expect(await probe(endpoint.port)).toBe('ECONNREFUSED');
  });
});
