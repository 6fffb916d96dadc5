import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCatalogue, type CatalogueHandle } from './catalogue/server.js';
import { ensurePki, verifyClientChain, type SandboxPki } from './pki/index.js';
import { startStorageEndpoint, type StorageEndpoint } from './storage/index.js';
import { startTokenIssuer, type TokenIssuer } from './tokens/index.js';
import type { SandboxState } from './state.js';
import { DEFAULT_SANDBOX_CONFIG, type SandboxConfig } from './sandbox-config.js';
import {
  ACCOUNT_LIMIT_BYTES, DATA_PREFIX, EMBARGO_GROUP, EMBARGO_PATH, FULL_STORAGE_SCOPE, OUTSIDER_ACCOUNT,
  READ_ONLY_SCOPE, SANDBOX_ACCOUNT, SANDBOX_USERNAME, SANDBOX_VO, SCOPES, TOKEN_AUDIENCE,
} from './config.js';

export interface SandboxLakeOptions {
  /** Runtime folder: PKI (kept across starts), tokens, catalogue DB and RSE data (fresh each start). */
  dir: string;
  /** Storage kind, RSEs, links, faults; default: three builtin RSEs. */
  config?: SandboxConfig;
  /** Seconds between housekeeping passes (rule and DID lifetimes). */
  housekeepingSeconds?: number;
}

export interface SandboxRse {
  name: string;
  url: string;
  /** Local folder behind the RSE's WebDAV endpoint. */
  root: string;
  deterministic: boolean;
}

/** Token files the sandbox writes for its identities. */
export interface SandboxTokens {
  member: string;
  readOnly: string;
  nonmember: string;
  expired: string;
}

export interface SandboxLake {
  dir: string;
  rucioUrl: string;
  pki: SandboxPki;
  issuer: TokenIssuer;
  catalogue: CatalogueHandle;
  rses: SandboxRse[];
  tokens: SandboxTokens;
  rucioCfgPath: string;
  /** RUCIO_CONFIG, X509_USER_PROXY, X509_CERT_DIR, BEARER_TOKEN_FILE for the member identity. */
  env: Record<string, string>;
  state(pid: number): SandboxState;
  stop(): Promise<void>;
}

const TOKEN_LIFETIME_SECONDS = 12 * 3600;

/** Starts the whole local lake on 127.0.0.1: PKI, token issuer, one WebDAV endpoint per RSE, the catalogue. */
export async function startSandboxLake(options: SandboxLakeOptions): Promise<SandboxLake> {
  const { dir } = options;
  const config = options.config ?? DEFAULT_SANDBOX_CONFIG;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pki = await ensurePki(join(dir, 'pki'));
  const tls = { certPem: pki.host.certPem, keyPem: pki.host.keyPem };
  const caPems = [pki.caCertPem];
  const { member, nonmember } = pki.users;
  const closers: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch(() => {});
    closers.length = 0;
  };
  try {
    const issuer = await startTokenIssuer({ tls });
    closers.push(() => issuer.close());

    await rm(join(dir, 'storage'), { recursive: true, force: true });
    const rses: SandboxRse[] = [];
    const endpoints: StorageEndpoint[] = [];
    for (const spec of config.rses) {
      const root = join(dir, 'storage', spec.name);
      await mkdir(join(root, DATA_PREFIX.slice(1)), { recursive: true });
      await mkdir(join(root, EMBARGO_PATH.slice(1)), { recursive: true });
      const endpoint = await startStorageEndpoint({
        name: spec.name, root, tls, caPems,
        gridmap: { [member.dn]: 'member', [nonmember.dn]: 'nonmember' },
        embargo: { path: EMBARGO_PATH, members: [member.dn], group: EMBARGO_GROUP },
        verifyToken: async (token) => {
          const claims = await issuer.verify(token);
          return claims ? { scope: claims.scope, groups: claims['wlcg.groups'], exp: claims.exp } : null;
        },
        verifyChain: (der) => verifyClientChain(der, caPems),
      });
      closers.push(() => endpoint.close());
      endpoints.push(endpoint);
      rses.push({ name: spec.name, url: endpoint.url, root, deterministic: spec.deterministic });
    }

    const dbPath = join(dir, 'catalogue.db');
    for (const suffix of ['', '-wal', '-shm']) await rm(`${dbPath}${suffix}`, { force: true });
    const catalogue = await startCatalogue({
      dbPath, tls: { ...tls, caPems }, vo: SANDBOX_VO,
      verifyClientChain: (der) => {
        const v = verifyClientChain(der, caPems);
        return v.ok ? { ok: true, dn: v.dn } : { ok: false, reason: v.reason };
      },
      verifyJwt: async (token) => {
        const c = await issuer.verify(token);
        if (!c) return null;
        const aud = Array.isArray(c.aud) ? c.aud : c.aud ? [c.aud] : [];
        return { sub: c.sub, iss: c.iss, aud, scope: c.scope, exp: c.exp };
      },
    });
    closers.push(() => catalogue.close());

    const password = randomBytes(18).toString('base64url');
    seedCatalogue(catalogue, config, pki, issuer.issuer, password, endpoints);
    const timer = setInterval(() => catalogue.admin.expire(new Date()), (options.housekeepingSeconds ?? 5) * 1000);
    timer.unref();
    closers.push(async () => clearInterval(timer));

    const tokens = await writeTokens(dir, issuer);
    const rucioCfgPath = join(dir, 'rucio.cfg');
    await writeFile(rucioCfgPath, rucioCfg(catalogue.url, password, pki), { mode: 0o600 });
    const env = {
      RUCIO_CONFIG: rucioCfgPath, X509_USER_PROXY: member.proxyPath, X509_CERT_DIR: pki.certDir, BEARER_TOKEN_FILE: tokens.member,
    };
    return {
      dir, rucioUrl: catalogue.url, pki, issuer, catalogue, rses, tokens, rucioCfgPath, env, stop,
      state: (pid) => ({
        pid, startedAt: new Date().toISOString(), rucioUrl: catalogue.url, issuer: issuer.issuer,
        caCertPath: pki.caCertPath, rses: rses.map((r) => ({ name: r.name, url: r.url })), env,
      }),
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function seedCatalogue(
  catalogue: CatalogueHandle, config: SandboxConfig, pki: SandboxPki, issuer: string, password: string, endpoints: StorageEndpoint[],
): void {
  const { admin } = catalogue;
  admin.addAccount(SANDBOX_ACCOUNT, 'SERVICE');
  admin.addAccount(OUTSIDER_ACCOUNT, 'USER');
  admin.addIdentity({ kind: 'USERPASS', identity: SANDBOX_USERNAME, account: SANDBOX_ACCOUNT, password });
  admin.addIdentity({ kind: 'X509', identity: pki.users.member.dn, account: SANDBOX_ACCOUNT });
  admin.addIdentity({ kind: 'X509', identity: pki.users.nonmember.dn, account: OUTSIDER_ACCOUNT });
  admin.addIdentity({ kind: 'OIDC', identity: `SUB=member, ISS=${issuer}`, account: SANDBOX_ACCOUNT });
  admin.addIdentity({ kind: 'OIDC', identity: `SUB=nonmember, ISS=${issuer}`, account: OUTSIDER_ACCOUNT });
  for (const scope of SCOPES) admin.addScope(SANDBOX_ACCOUNT, scope);
  admin.addScope(OUTSIDER_ACCOUNT, `user.${OUTSIDER_ACCOUNT}`);
  config.rses.forEach((spec, i) => {
    const endpoint = endpoints[i] as StorageEndpoint;
    admin.addRse(spec.name, { deterministic: spec.deterministic, rseType: 'DISK', volatile: false });
    const priorities = { read: 1, write: 1, delete: 1 };
    admin.addProtocol(spec.name, {
      scheme: 'davs', hostname: 'localhost', port: endpoint.port, prefix: DATA_PREFIX,
      impl: 'rucio.rse.protocols.webdav.Default', extended_attributes: null,
      domains: { lan: priorities, wan: { ...priorities, third_party_copy_read: 1, third_party_copy_write: 1 } },
    });
    for (const [key, value] of Object.entries(spec.attributes)) admin.setRseAttribute(spec.name, key, value);
    admin.setAccountLimit(SANDBOX_ACCOUNT, spec.name, ACCOUNT_LIMIT_BYTES);
    admin.setAccountLimit(OUTSIDER_ACCOUNT, spec.name, ACCOUNT_LIMIT_BYTES);
  });
}

async function writeTokens(dir: string, issuer: TokenIssuer): Promise<SandboxTokens> {
  const tokenDir = join(dir, 'tokens');
  await mkdir(tokenDir, { recursive: true, mode: 0o700 });
  const base = { aud: TOKEN_AUDIENCE, lifetimeSeconds: TOKEN_LIFETIME_SECONDS };
  const minted: Record<keyof SandboxTokens, Promise<string>> = {
    member: issuer.mint({ ...base, sub: 'member', scope: FULL_STORAGE_SCOPE, groups: ['/lakeprobe', EMBARGO_GROUP] }),
    readOnly: issuer.mint({ ...base, sub: 'member', scope: READ_ONLY_SCOPE, groups: ['/lakeprobe', EMBARGO_GROUP] }),
    nonmember: issuer.mint({ ...base, sub: 'nonmember', scope: FULL_STORAGE_SCOPE, groups: ['/lakeprobe'] }),
    expired: issuer.mint({
      ...base, sub: 'member', scope: FULL_STORAGE_SCOPE, lifetimeSeconds: -3600, nbf: Math.floor(Date.now() / 1000) - 7200,
    }),
  };
  const paths = {} as SandboxTokens;
  for (const [name, token] of Object.entries(minted) as [keyof SandboxTokens, Promise<string>][]) {
    paths[name] = join(tokenDir, `${name}.jwt`);
    await writeFile(paths[name], `${await token}\n`, { mode: 0o600 });
  }
  return paths;
}

function rucioCfg(url: string, password: string, pki: SandboxPki): string {
  return [
    '[client]',
    `rucio_host = ${url}`,
    `auth_host = ${url}`,
    'auth_type = userpass',
    `account = ${SANDBOX_ACCOUNT}`,
    `vo = ${SANDBOX_VO}`,
    `username = ${SANDBOX_USERNAME}`,
    `password = ${password}`,
    `ca_cert = ${pki.caCertPath}`,
    `client_x509_proxy = ${pki.users.member.proxyPath}`,
    '',
  ].join('\n');
}
