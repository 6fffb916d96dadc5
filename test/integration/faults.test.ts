// Each fault, switched on in a running sandbox, makes the real lake clients fail with
// the error class it promises; switched off, everything works again.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/engine/classify.js';
import type { ErrorClass } from '../../src/engine/taxonomy.js';
import { loadBearerToken, loadTrustAnchors, loadX509Proxy } from '../../src/lake/credentials/index.js';
import { RucioClient } from '../../src/lake/rucio/index.js';
import { DavsDriver } from '../../src/lake/storage/index.js';
import type { StorageAuth } from '../../src/lake/storage/index.js';
import { startCatalogue, type CatalogueHandle } from '../../src/sandbox/catalogue/server.js';
import { EMBARGO_GROUP, FULL_STORAGE_SCOPE, TOKEN_AUDIENCE } from '../../src/sandbox/config.js';
import {
  FaultSet, followShortCredentials, writeMemberCredentials, type MemberCredentialFiles, type MemberCredentialSource,
} from '../../src/sandbox/faults/index.js';
import { ensurePki, verifyClientChain, type SandboxPki } from '../../src/sandbox/pki/index.js';
import { startStorageEndpoint, type StorageEndpoint } from '../../src/sandbox/storage/index.js';
import { startTokenIssuer, type TokenIssuer } from '../../src/sandbox/tokens/index.js';

const RSE = 'SANDBOX-FAST';
const PASSWORD = 'faults-test-password';

/** The class of the error `operation` fails with; the test fails if it succeeds. */
async function failureClass(operation: Promise<unknown>): Promise<ErrorClass> {
  try {
    await operation;
  } catch (err) {
    return classify(err, [PASSWORD]).errorClass;
  }
  throw new Error('expected the operation to fail');
}

const body = (text: string): [Readable, number] => [Readable.from([Buffer.from(text)]), Buffer.byteLength(text)];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('faults injected into a running sandbox', () => {
  let dir: string;
  let pki: SandboxPki;
  let issuer: TokenIssuer;
  let endpoint: StorageEndpoint;
  let catalogue: CatalogueHandle;
  let faults: FaultSet;
  let ca: string[];
  let member: DavsDriver;
  let nonmember: DavsDriver;
  let memberToken: DavsDriver;
  const closers: (() => unknown)[] = [];
  const url = (path: string): string => `${endpoint.url}${path}`;
  const rucio = (timeoutMs = 10_000): RucioClient => {
    const client = new RucioClient({
      rucioHost: catalogue.url, authHost: catalogue.url, account: 'root', ca, timeoutMs,
      auth: { method: 'userpass', username: 'ddmlab', password: PASSWORD },
    });
    closers.push(() => client.close());
    return client;
  };
  const driver = (auth: Omit<StorageAuth, 'ca'>): DavsDriver => {
    const d = new DavsDriver({ ...auth, ca }, { timeoutMs: 10_000 });
    closers.push(() => d.close());
    return d;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-faults-'));
    pki = await ensurePki(join(dir, 'pki'));
    ca = await loadTrustAnchors(pki.certDir);
    const tls = { certPem: pki.host.certPem, keyPem: pki.host.keyPem };
    const caPems = [pki.caCertPem];
    issuer = await startTokenIssuer({ tls });
    faults = new FaultSet({ rses: [RSE], users: { member: pki.users.member.dn, nonmember: pki.users.nonmember.dn } });
    const root = join(dir, 'storage');
    await mkdir(join(root, 'embargo'), { recursive: true });
    endpoint = await startStorageEndpoint({
      name: RSE, root, tls, caPems, faults,
      gridmap: { [pki.users.member.dn]: 'member', [pki.users.nonmember.dn]: 'nonmember' },
      embargo: { path: '/embargo', members: [pki.users.member.dn], group: EMBARGO_GROUP },
      verifyToken: async (token) => {
        const claims = await issuer.verify(token);
        return claims && { scope: claims.scope, groups: claims['wlcg.groups'], exp: claims.exp };
      },
      verifyChain: (der) => verifyClientChain(der, caPems),
    });
    catalogue = await startCatalogue({
      dbPath: join(dir, 'catalogue.db'), tls: { ...tls, caPems }, faults,
      verifyClientChain: () => ({ ok: false, reason: 'x509 login is not used here' }),
      verifyJwt: async () => null,
    });
    catalogue.admin.addAccount('root', 'SERVICE');
    catalogue.admin.addIdentity({ kind: 'USERPASS', identity: 'ddmlab', account: 'root', password: PASSWORD });

    member = driver({ x509: await loadX509Proxy(pki.users.member.proxyPath) });
    nonmember = driver({ x509: await loadX509Proxy(pki.users.nonmember.proxyPath) });
    const token = await issuer.mint({ sub: 'member', scope: FULL_STORAGE_SCOPE, aud: TOKEN_AUDIENCE, groups: [EMBARGO_GROUP] });
    memberToken = driver({ token: { token, claims: null, expiresAt: null, source: 'test' } });
    await member.put(url('/rucio/probe-1'), ...body('probe data'));
    await member.put(url('/embargo/obs-1'), ...body('embargoed observation'));
  });

  // A failed test must not leave its fault on for the next one.
  afterEach(async () => {
    faults.clear();
    await faults.settled();
  });

  afterAll(async () => {
    for (const close of closers) await close();
    await endpoint?.close();
    await catalogue?.close();
    await issuer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rse_down refuses connections (connection_refused), and the RSE listens again on the same port', async () => {
    const id = faults.add({ kind: 'rse_down', rse: RSE });
    await faults.settled();
    // As between `sandbox fault add` and a run: idle keep-alive connections see the close first.
    await sleep(100);
    expect(await failureClass(member.stat(url('/rucio/probe-1')))).toBe('connection_refused');
    expect(await failureClass(driver({ x509: await loadX509Proxy(pki.users.member.proxyPath) }).stat(url('/rucio/probe-1'))))
      .toBe('connection_refused');
    faults.remove(id);
    await faults.settled();
    expect(await member.stat(url('/rucio/probe-1'))).toEqual({ size: 10, isDirectory: false });
  });

  it('error_rate fails the chosen method (server_error) and leaves the others alone', async () => {
    const id = faults.add({ kind: 'error_rate', rse: RSE, operation: 'PUT', rate: 1 });
    // Own driver: a refused PUT leaves a dead keep-alive socket behind.
    const uploader = driver({ x509: await loadX509Proxy(pki.users.member.proxyPath) });
    expect(await failureClass(uploader.put(url('/rucio/probe-2'), ...body('x')))).toBe('server_error');
    expect(await member.stat(url('/rucio/probe-1'))).toMatchObject({ size: 10 });
    faults.remove(id);
    const unavailable = faults.add({ kind: 'error_rate', rse: RSE, rate: 1, status: 503 });
    expect(await failureClass(member.stat(url('/rucio/probe-1')))).toBe('service_unavailable');
    faults.remove(unavailable);
    await member.put(url('/rucio/probe-2'), ...body('x'));
    expect(await member.stat(url('/rucio/probe-2'))).toMatchObject({ size: 1 });
  });

  it('checksum_missing answers checksum queries 404 (destination_checksum_missing)', async () => {
    const id = faults.add({ kind: 'checksum_missing', rse: RSE });
    expect(await failureClass(member.checksum(url('/rucio/probe-1'), 'adler32'))).toBe('destination_checksum_missing');
    expect(await member.stat(url('/rucio/probe-1'))).toMatchObject({ size: 10 });
    faults.remove(id);
    expect(await member.checksum(url('/rucio/probe-1'), 'adler32')).toMatch(/^[0-9a-f]{8}$/);
  });

  it('gridmap_missing refuses that user\'s DN (gridmap_unmapped), not the others', async () => {
    const id = faults.add({ kind: 'gridmap_missing', rse: RSE, user: 'member' });
    expect(await failureClass(member.stat(url('/rucio/probe-1')))).toBe('gridmap_unmapped');
    expect(await nonmember.stat(url('/rucio/probe-1'))).toMatchObject({ size: 10 });
    expect(await memberToken.stat(url('/rucio/probe-1'))).toMatchObject({ size: 10 });
    faults.remove(id);
    expect(await member.stat(url('/rucio/probe-1'))).toMatchObject({ size: 10 });
  });

  it('embargo_open lets a non-member read the embargoed tree, which an embargo test must report', async () => {
    expect(await failureClass(nonmember.get(url('/embargo/obs-1')))).toBe('auth_denied');
    const id = faults.add({ kind: 'embargo_open', rse: RSE });
    const chunks: Buffer[] = [];
    for await (const chunk of await nonmember.get(url('/embargo/obs-1'))) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('embargoed observation');
    // Writing stays closed. (Own driver: a refused PUT leaves a dead keep-alive socket behind.)
    const writer = driver({ x509: await loadX509Proxy(pki.users.nonmember.proxyPath) });
    expect(await failureClass(writer.put(url('/embargo/obs-2'), ...body('x')))).toBe('auth_denied');
    faults.remove(id);
    expect(await failureClass(nonmember.get(url('/embargo/obs-1')))).toBe('auth_denied');
  });

  it('catalogue_error fails catalogue calls: 500 in Rucio\'s shape and 502 as server_error, 503 as service_unavailable', async () => {
    const client = rucio();
    await client.whoami();
    for (const [status, expected] of [[500, 'server_error'], [502, 'server_error'], [503, 'service_unavailable']] as const) {
      const id = faults.add({ kind: 'catalogue_error', rate: 1, status });
      const failure = await client.whoami().catch((err: unknown) => err);
      expect(classify(failure).errorClass).toBe(expected);
      expect(failure).toMatchObject({ status, exceptionClass: status === 500 ? 'DatabaseException' : '' });
      faults.remove(id);
    }
    expect(await client.whoami()).toMatchObject({ account: 'root' });
  });

  it('catalogue_timeout delays answers past the client timeout (timeout)', async () => {
    const client = rucio(400);
    await client.authenticate();
    const id = faults.add({ kind: 'catalogue_timeout', delayMs: 3000 });
    expect(await failureClass(client.whoami())).toBe('timeout');
    faults.remove(id);
    expect(await client.whoami()).toMatchObject({ account: 'root' });
  });

  it('auth_slow and auth_fail hit the login only (timeout, auth_invalid, server_error)', async () => {
    const loggedIn = rucio(400);
    await loggedIn.authenticate();
    const slow = faults.add({ kind: 'auth_slow', delayMs: 3000 });
    expect(await failureClass(rucio(400).authenticate())).toBe('timeout');
    expect(await loggedIn.whoami()).toMatchObject({ account: 'root' });
    faults.remove(slow);
    const refused = faults.add({ kind: 'auth_fail' });
    expect(await failureClass(rucio().authenticate())).toBe('auth_invalid');
    faults.remove(refused);
    const broken = faults.add({ kind: 'auth_fail', status: 500 });
    expect(await failureClass(rucio().authenticate())).toBe('server_error');
    faults.remove(broken);
    await rucio().authenticate();
  });

  it('short_credentials hands out a proxy and token that expire mid-run (auth_expired)', async () => {
    const files: MemberCredentialFiles = { proxyPath: join(dir, 'member-proxy.pem'), tokenPath: join(dir, 'member.jwt') };
    const source: MemberCredentialSource = {
      user: pki.users.member, issuer,
      token: { sub: 'member', scope: FULL_STORAGE_SCOPE, aud: TOKEN_AUDIENCE, groups: [EMBARGO_GROUP] },
    };
    await writeMemberCredentials(source, files, 3600);
    const unfollow = await followShortCredentials(faults, source, files);
    try {
      const id = faults.add({ kind: 'short_credentials', lifetimeSeconds: 3 });
      await faults.settled();
      const proxy = await loadX509Proxy(files.proxyPath);
      const token = await loadBearerToken({ file: files.tokenPath });
      const [viaProxy, viaToken] = [driver({ x509: proxy }), driver({ token })];
      const read = async (d: DavsDriver): Promise<void> => {
        (await d.get(url('/rucio/probe-1'))).resume();
      };
      await read(viaProxy);
      await read(viaToken);
      const lastExpiry = Math.max(proxy.notAfter.getTime(), token.expiresAt?.getTime() ?? 0);
      await sleep(lastExpiry - Date.now() + 1100);
      expect(await failureClass(read(viaProxy))).toBe('auth_expired');
      expect(await failureClass(read(viaToken))).toBe('auth_expired');

      faults.remove(id);
      await faults.settled();
      const renewed = driver({ x509: await loadX509Proxy(files.proxyPath) });
      expect(await renewed.stat(url('/rucio/probe-1'))).toMatchObject({ size: 10 });
      expect((await loadBearerToken({ file: files.tokenPath })).expiresAt?.getTime()).toBeGreaterThan(Date.now() + 3600_000);
    } finally {
      unfollow();
    }
  });
});
