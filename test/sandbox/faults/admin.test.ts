import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FaultAdminError, faultClient, FaultSet, startFaultAdmin, type FaultAdmin, type FaultClient,
} from '../../../src/sandbox/faults/index.js';

async function errorOf(p: Promise<unknown>): Promise<FaultAdminError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof FaultAdminError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('fault admin API', () => {
  let dir: string;
  let faults: FaultSet;
  let admin: FaultAdmin;
  let secret: string;
  let client: FaultClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-fault-admin-'));
    faults = new FaultSet({ rses: ['SANDBOX-FAST'] });
    admin = await startFaultAdmin(faults, { dir });
    secret = (await readFile(admin.secretFile, 'utf8')).trim();
    client = faultClient(admin.url, secret);
  });
  afterAll(async () => {
    await admin.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 and keeps its secret in a 0600 file in the sandbox folder', async () => {
    expect(admin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(admin.secretFile).toBe(join(dir, 'fault-admin.secret'));
    expect((await stat(admin.secretFile)).mode & 0o777).toBe(0o600);
    expect(secret.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses requests without the secret or with a wrong one', async () => {
    const bare = await fetch(`${admin.url}/faults`);
    expect(bare.status).toBe(401);
    const wrong = await errorOf(faultClient(admin.url, 'guess').add({ kind: 'rse_down', rse: 'SANDBOX-FAST' }));
    expect(wrong.status).toBe(401);
    expect(wrong.message).not.toContain(secret);
    expect(faults.list()).toEqual([]);
  });

  it('adds, lists, removes and clears faults', async () => {
    const id = await client.add({ kind: 'checksum_missing', rse: 'SANDBOX-FAST' });
    expect(faults.checksumMissing('SANDBOX-FAST')).toBe(true);
    const other = await client.add({ kind: 'auth_slow', delayMs: 10 });
    expect(await client.list()).toEqual([
      { id, spec: { kind: 'checksum_missing', rse: 'SANDBOX-FAST' } },
      { id: other, spec: { kind: 'auth_slow', delayMs: 10 } },
    ]);
    await client.remove(id);
    expect(faults.checksumMissing('SANDBOX-FAST')).toBe(false);
    expect(await client.clear()).toBe(1);
    expect(await client.list()).toEqual([]);
  });

  it('answers 400 naming the bad fields, and 404 for an unknown id', async () => {
    const invalid = await errorOf(client.add({ kind: 'error_rate', rse: 'ELSEWHERE', rate: 0.5 }));
    expect(invalid.status).toBe(400);
    expect(invalid.problems).toEqual(['rse: unknown RSE "ELSEWHERE" (known: SANDBOX-FAST)']);
    const badRate = await errorOf(client.add({ kind: 'catalogue_error', rate: 2 }));
    expect(badRate.problems[0]).toMatch(/^rate: /);
    const unknown = await errorOf(client.remove('f999'));
    expect(unknown.status).toBe(404);
    const notJson = await fetch(`${admin.url}/faults`, { method: 'POST', headers: { Authorization: `Bearer ${secret}` }, body: '{' });
    expect(notJson.status).toBe(400);
  });

  it('answers only once the change took effect', async () => {
    let applied = false;
    const stop = faults.onChange(async () => {
      await new Promise((r) => setTimeout(r, 50));
      applied = true;
    });
    await client.add({ kind: 'rse_down', rse: 'SANDBOX-FAST' });
    expect(applied).toBe(true);
    stop();
    await client.clear();
  });

  it('removes the secret file when closed', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'lakeprobe-fault-admin-'));
    const other = await startFaultAdmin(new FaultSet(), { dir: otherDir });
    await other.close();
    await rm(otherDir, { recursive: true, force: true });
    await expect(stat(other.secretFile)).rejects.toMatchObject({ code: 'ENOENT' });
    const gone = await errorOf(faultClient(other.url, 'x').list());
    expect(gone.status).toBe(0);
  });
});
