import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FaultSet, followShortCredentials, NORMAL_LIFETIME_SECONDS, type MemberCredentialFiles, type MemberCredentialSource,
} from '../../../src/sandbox/faults/index.js';
import { ensurePki } from '../../../src/sandbox/pki/index.js';
import { startTokenIssuer, type TokenIssuer } from '../../../src/sandbox/tokens/index.js';

describe('short_credentials', () => {
  let dir: string;
  let issuer: TokenIssuer;
  let source: MemberCredentialSource;
  let files: MemberCredentialFiles;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-short-credentials-'));
    const pki = await ensurePki(join(dir, 'pki'));
    issuer = await startTokenIssuer({ tls: { certPem: pki.host.certPem, keyPem: pki.host.keyPem } });
    source = { user: pki.users.member, issuer, token: { sub: 'member', scope: 'storage.read:/', groups: ['/lakeprobe'] } };
    files = { proxyPath: join(dir, 'proxy.pem'), tokenPath: join(dir, 'member.jwt') };
  });
  afterAll(async () => {
    await issuer.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Seconds from now until the proxy and the token expire. */
  async function lifetimes(): Promise<{ proxy: number; token: number }> {
    const proxy = new X509Certificate(await readFile(files.proxyPath, 'utf8'));
    const { exp } = decodeJwt((await readFile(files.tokenPath, 'utf8')).trim());
    const now = Date.now() / 1000;
    return { proxy: Date.parse(proxy.validTo) / 1000 - now, token: (exp ?? 0) - now };
  }

  it('writes short-lived member credentials while the fault is on, and normal ones once it is off', async () => {
    const faults = new FaultSet();
    const unfollow = await followShortCredentials(faults, source, files);
    await expect(stat(files.proxyPath)).rejects.toMatchObject({ code: 'ENOENT' });

    const id = faults.add({ kind: 'short_credentials', lifetimeSeconds: 90 });
    await faults.settled();
    const short = await lifetimes();
    expect(short.proxy).toBeGreaterThan(80);
    expect(short.proxy).toBeLessThanOrEqual(90);
    expect(short.token).toBeGreaterThan(80);
    expect(short.token).toBeLessThanOrEqual(90);
    expect((await stat(files.proxyPath)).mode & 0o777).toBe(0o600);
    expect(decodeJwt((await readFile(files.tokenPath, 'utf8')).trim())).toMatchObject({ sub: 'member', scope: 'storage.read:/' });

    const before = await readFile(files.proxyPath, 'utf8');
    faults.add({ kind: 'rse_down', rse: 'X' });
    await faults.settled();
    expect(await readFile(files.proxyPath, 'utf8')).toBe(before);

    faults.remove(id);
    await faults.settled();
    const normal = await lifetimes();
    expect(normal.proxy).toBeGreaterThan(NORMAL_LIFETIME_SECONDS - 60);
    expect(normal.token).toBeGreaterThan(NORMAL_LIFETIME_SECONDS - 60);

    unfollow();
    faults.add({ kind: 'short_credentials', lifetimeSeconds: 90 });
    await faults.settled();
    expect((await lifetimes()).proxy).toBeGreaterThan(NORMAL_LIFETIME_SECONDS - 60);
  });
});
