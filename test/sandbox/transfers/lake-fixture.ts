// A small lake assembled from the sandbox's parts (PKI, token issuer, one builtin
// WebDAV endpoint per RSE, the catalogue), without a transfer engine of its own so a
// test can run exactly one. Driven over HTTPS like a Rucio client would.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { startCatalogue, type CatalogueHandle } from '../../../src/sandbox/catalogue/server.js';
import { ensurePki, verifyClientChain, type SandboxPki } from '../../../src/sandbox/pki/index.js';
import { startStorageEndpoint, type StorageEndpoint } from '../../../src/sandbox/storage/index.js';
import { startTokenIssuer, type TokenIssuer } from '../../../src/sandbox/tokens/index.js';
import type { TransferCredentials } from '../../../src/sandbox/transfers/index.js';

export interface Answer {
  status: number;
  body: string;
}

/** The RSEs of the fixture: two deterministic, one not (as in the sandbox). */
export const RSES = [
  { name: 'SANDBOX-FAST', deterministic: true },
  { name: 'SANDBOX-SAFE', deterministic: true },
  { name: 'SANDBOX-NONDET', deterministic: false },
];
export const SCOPE = 'lakeprobe';
const DATA_PREFIX = '/rucio';
const FULL_SCOPE = 'storage.read:/ storage.create:/ storage.modify:/';
const AUDIENCE = ['rucio', 'https://wlcg.cern.ch/jwt/v1/any'];

export interface LakeFixture {
  pki: SandboxPki;
  issuer: TokenIssuer;
  catalogue: CatalogueHandle;
  caPems: string[];
  /** FTS-like robot tokens: write at the destination, read at the source. */
  credentials(): Promise<TransferCredentials>;
  rest(method: string, path: string, body?: unknown): Promise<Answer>;
  json<T = Record<string, unknown>>(path: string): Promise<T>;
  /** Registers a replica (state A unless given) and, unless `upload` is false, PUTs the bytes at its PFN. */
  addFile(rse: string, name: string, data: Buffer, opts?: { adler32?: string; state?: string; upload?: boolean }): Promise<void>;
  addRule(name: string, rse: string, extra?: Record<string, unknown>): Promise<string>;
  /** Where a replica's file lives on disk, from its PFN (the replica must be registered). */
  diskFile(rse: string, name: string): string;
  close(): Promise<void>;
}

/** Reference adler32: a zlib stream (RFC 1950) ends with the Adler-32 of its input. */
export function adler32(data: Buffer): string {
  return deflateSync(data, { level: 0 }).subarray(-4).toString('hex');
}

export function randomData(bytes: number): Buffer {
  return randomBytes(bytes);
}

function send(method: string, url: string, ca: string[], headers: Record<string, string>, body?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // Node sends a DELETE body without framing unless Content-Length is set.
    const length = body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) };
    const req = request(url, { method, headers: { ...headers, ...length }, ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function startLakeFixture(): Promise<LakeFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-transfers-'));
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const pki = await ensurePki(join(dir, 'pki'));
    const tls = { certPem: pki.host.certPem, keyPem: pki.host.keyPem };
    const caPems = [pki.caCertPem];
    const issuer = await startTokenIssuer({ tls });
    closers.push(() => issuer.close());
    const roots = new Map<string, string>();
    const endpoints: StorageEndpoint[] = [];
    for (const rse of RSES) {
      const root = join(dir, 'storage', rse.name);
      await mkdir(join(root, DATA_PREFIX), { recursive: true });
      roots.set(rse.name, root);
      const endpoint = await startStorageEndpoint({
        name: rse.name, root, tls, caPems, gridmap: {}, embargo: { path: '/embargo', members: [], group: '/lakeprobe/embargo' },
        verifyToken: async (t) => {
          const claims = await issuer.verify(t);
          return claims && { scope: claims.scope, groups: claims['wlcg.groups'], exp: claims.exp };
        },
        verifyChain: (der) => verifyClientChain(der, caPems),
      });
      closers.push(() => endpoint.close());
      endpoints.push(endpoint);
    }
    const catalogue = await startCatalogue({
      dbPath: ':memory:', tls: { ...tls, caPems },
      verifyClientChain: () => ({ ok: false, reason: 'x509 is not used here' }),
      verifyJwt: async (t) => {
        const c = await issuer.verify(t);
        return c && { sub: c.sub, iss: c.iss, aud: [c.aud ?? []].flat(), scope: c.scope, exp: c.exp };
      },
    });
    closers.push(() => catalogue.close());
    const { admin } = catalogue;
    admin.addAccount('root', 'SERVICE');
    admin.addIdentity({ kind: 'OIDC', identity: `SUB=member, ISS=${issuer.issuer}`, account: 'root' });
    admin.addScope('root', SCOPE);
    RSES.forEach((rse, i) => {
      admin.addRse(rse.name, { deterministic: rse.deterministic, rseType: 'DISK', volatile: false });
      const rw = { read: 1, write: 1, delete: 1 };
      admin.addProtocol(rse.name, {
        scheme: 'davs', hostname: 'localhost', port: endpoints[i]?.port, prefix: DATA_PREFIX,
        impl: 'rucio.rse.protocols.webdav.Default', extended_attributes: null,
        domains: { lan: rw, wan: { ...rw, third_party_copy_read: 1, third_party_copy_write: 1 } },
      });
      admin.setAccountLimit('root', rse.name, 1e12);
    });
    const token = await issuer.mint({ sub: 'member', scope: FULL_SCOPE, aud: AUDIENCE });

    const rest = (method: string, path: string, body?: unknown): Promise<Answer> =>
      send(method, `${catalogue.url}${path}`, caPems, { 'X-Rucio-Auth-Token': token, 'Content-Type': 'application/json' },
        body === undefined ? undefined : JSON.stringify(body));
    const pfnOf = (rse: string, name: string): string => {
      const pfn = admin.listReplicas(SCOPE, name).find((r) => r.rse === rse)?.pfns[0];
      if (!pfn) throw new Error(`no replica of ${name} at ${rse}`);
      return pfn;
    };

    return {
      pki, issuer, catalogue, caPems, rest, close,
      credentials: async () => ({
        destToken: await issuer.mint({ sub: 'fts', scope: FULL_SCOPE }),
        sourceToken: await issuer.mint({ sub: 'fts', scope: 'storage.read:/' }),
      }),
      json: async <T>(path: string): Promise<T> => {
        const a = await rest('GET', path);
        if (a.status !== 200) throw new Error(`GET ${path}: ${a.status} ${a.body}`);
        return JSON.parse(a.body) as T;
      },
      addFile: async (rse, name, data, opts = {}) => {
        const file = { scope: SCOPE, name, bytes: data.length, adler32: opts.adler32 ?? adler32(data), state: opts.state ?? 'A' };
        const reg = await rest('POST', '/replicas', { rse, files: [file] });
        if (reg.status !== 201) throw new Error(`register ${name}: ${reg.status} ${reg.body}`);
        if (opts.upload === false) return;
        const put = await send('PUT', pfnOf(rse, name).replace(/^davs:/, 'https:'), caPems, { Authorization: `Bearer ${token}` }, data);
        if (put.status !== 201) throw new Error(`upload ${name}: ${put.status} ${put.body}`);
      },
      addRule: async (name, rse, extra = {}) => {
        const a = await rest('POST', '/rules/', { dids: [{ scope: SCOPE, name }], copies: 1, rse_expression: rse, account: 'root', ...extra });
        if (a.status !== 201) throw new Error(`rule ${name} -> ${rse}: ${a.status} ${a.body}`);
        return (JSON.parse(a.body) as string[])[0] as string;
      },
      diskFile: (rse, name) => join(roots.get(rse) ?? '', decodeURIComponent(new URL(pfnOf(rse, name)).pathname)),
    };
  } catch (err) {
    await close();
    throw err;
  }
}
