import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCatalogue, type CatalogueHandle } from './catalogue/server.js';
import { FaultSet, followShortCredentials, startFaultAdmin, writeMemberCredentials, NORMAL_LIFETIME_SECONDS } from './faults/index.js';
import { startLinks, type Links } from './links/index.js';
import { ensurePki, verifyClientChain, type SandboxPki } from './pki/index.js';
import { DEFAULT_SANDBOX_CONFIG, type SandboxConfig } from './sandbox-config.js';
import type { SandboxState } from './state.js';
import { startRseEndpoint, type RseEndpoint } from './rse-endpoint.js';
import { startTokenIssuer, type TokenIssuer } from './tokens/index.js';
import { sandboxClient, writeSandboxClient, type SandboxOAuthClient } from './oauth-client.js';
import { reapOnce, startTransferEngine, type TransferCredentials, type TransferEngine } from './transfers/index.js';
import {
  ACCOUNT_LIMIT_BYTES, DATA_PREFIX, EMBARGO_GROUP, EMBARGO_SCOPE, EMBARGO_PATH, FULL_STORAGE_SCOPE, NONMEMBER_SCOPE, OUTSIDER_ACCOUNT,
  memberAccount, READ_ONLY_SCOPE, SANDBOX_USERNAME, SANDBOX_VO, TOKEN_AUDIENCE,
} from './config.js';

export interface SandboxLakeOptions {
  /** Runtime folder: PKI (kept across starts), tokens, catalogue DB and RSE data (fresh each start). */
  dir: string;
  /** Storage kind, RSEs, links, faults; default: three builtin RSEs. */
  config?: SandboxConfig;
  /** Seconds between housekeeping passes (rule/DID lifetimes, reaper). */
  housekeepingSeconds?: number;
}

export interface SandboxRse {
  name: string;
  url: string;
  /** root:// base URL, for RSEs served by XRootD. */
  rootUrl?: string;
  /** Local folder behind the RSE's endpoint. */
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
  config: SandboxConfig;
  rucioUrl: string;
  pki: SandboxPki;
  issuer: TokenIssuer;
  catalogue: CatalogueHandle;
  rses: SandboxRse[];
  tokens: SandboxTokens;
  /** The issuer's registered client: its id, secret file and a refresh token of the member. */
  oauthClient: SandboxOAuthClient;
  /** The member's proxy as handed out (short_credentials rewrites it). */
  memberProxyPath: string;
  rucioCfgPath: string;
  faults: FaultSet;
  faultAdmin: { url: string; secretFile: string };
  transfers: TransferEngine;
  links: Links;
  /** RUCIO_CONFIG, X509_USER_PROXY, X509_CERT_DIR, BEARER_TOKEN_FILE for the member identity. */
  env: Record<string, string>;
  /** Runs lifetimes (judge-cleaner, undertaker) and the reaper once, now. */
  housekeeping(): Promise<void>;
  state(pid: number): SandboxState;
  stop(): Promise<void>;
}

const TOKEN_LIFETIME_SECONDS = NORMAL_LIFETIME_SECONDS;
/** The sandbox reaper is greedy (real ones wait for space pressure): give new replicas time to be locked. */
const REAPER_GRACE_SECONDS = 5;
const MEMBER_GROUPS = ['/lakeprobe', EMBARGO_GROUP];

/**
 * Starts the whole local lake on 127.0.0.1: PKI, token issuer, one storage endpoint
 * per RSE (builtin WebDAV or XRootD), the catalogue, long-haul link proxies, the
 * transfer engine, housekeeping (lifetimes + reaper) and the fault admin API.
 */
export async function startSandboxLake(options: SandboxLakeOptions): Promise<SandboxLake> {
  const { dir } = options;
  const config = options.config ?? DEFAULT_SANDBOX_CONFIG;
  // XRootD runs as its own user and must be able to traverse into the lake folder.
  await mkdir(dir, { recursive: true, mode: 0o711 });
  await chmod(dir, 0o711);
  const pki = await ensurePki(join(dir, 'pki'));
  const tls = { certPem: pki.host.certPem, keyPem: pki.host.keyPem };
  const caPems = [pki.caCertPem];
  const { member, nonmember } = pki.users;
  const faults = new FaultSet({
    rses: config.rses.map((r) => r.name), users: { member: member.dn, nonmember: nonmember.dn }, storage: config.storage,
  });
  for (const spec of config.faults) faults.add(spec as Parameters<FaultSet['add']>[0]);
  const closers: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => {});
  };
  try {
    const client = sandboxClient(MEMBER_GROUPS);
    const issuer = await startTokenIssuer({ tls, clients: [client], tokenLifetimeSeconds: config.tokens.lifetime_seconds });
    closers.push(() => issuer.close());
    const oauthClient = await writeSandboxClient(dir, issuer, client);

    await rm(join(dir, 'storage'), { recursive: true, force: true });
    const endpoints: RseEndpoint[] = [];
    // Storage RSEs first, then the caches in front of them (each needs its origin's root:// port).
    const order = [...config.rses.keys()].sort((a, b) => Number(!!config.rses[a]?.cache_of) - Number(!!config.rses[b]?.cache_of));
    for (const i of order) {
      const spec = config.rses[i] as SandboxConfig['rses'][number];
      const origin = spec.cache_of ? endpoints[config.rses.findIndex((r) => r.name === spec.cache_of)] : undefined;
      const endpoint = await startRseEndpoint({
        kind: config.storage, spec, dir, pki, issuer, faults,
        // x509 users by names no token subject has: a token XRootD refuses (audience, scope) must not fall
        // through to these authdb lines under its subject over root://.
        gridmap: { [member.dn]: 'x509-member', [nonmember.dn]: 'x509-nonmember' },
        embargo: { path: EMBARGO_PATH, members: [member.dn], group: EMBARGO_GROUP },
        ...(origin?.rootPort ? { cacheOf: { originRootPort: origin.rootPort, proxy: member.proxyPath } } : {}),
      });
      closers.push(() => endpoint.close());
      endpoints[i] = endpoint;
    }

    const dbPath = join(dir, 'catalogue.db');
    for (const suffix of ['', '-wal', '-shm']) await rm(`${dbPath}${suffix}`, { force: true });
    const catalogue = await startCatalogue({
      dbPath, tls: { ...tls, caPems }, vo: SANDBOX_VO, faults,
      embargoedScopes: [{ scope: EMBARGO_SCOPE, members: [memberAccount(config.catalogue.account).account] }],
      abacusIntervalSeconds: config.catalogue.abacus_seconds,
      judgeEvaluatorSeconds: config.catalogue.judge_evaluator_seconds,
      deletion: { archiveDids: config.catalogue.archive_dids, archiveContent: config.catalogue.archive_content },
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

    const links = await startLinks(
      config.links.map((l) => ({ from: l.from, to: l.to, rttMs: l.rtt_ms, bandwidthMbit: l.bandwidth_mbit })),
      (rse) => ({ host: '127.0.0.1', port: endpointNamed(endpoints, rse).port }),
    );
    closers.push(() => links.close());
    const credentials = ftsCredentials(issuer);
    const transfers = startTransferEngine({
      admin: catalogue.admin, caPems, credentials, faults,
      sourceUrl: (src, dst, url) => links.sourceUrl(src, dst, url),
      pollMs: config.transfers.poll_ms, maxAttempts: config.transfers.max_attempts,
      transferTimeoutMs: config.transfers.timeout_seconds * 1000,
      linkMaxActive: (src, dst) => config.links.find((l) => l.from === src && l.to === dst)?.max_active,
    });
    closers.push(() => transfers.stop());

    let housekeepingRun: Promise<void> = Promise.resolve();
    const housekeeping = (): Promise<void> => {
      housekeepingRun = housekeepingRun.then(async () => {
        catalogue.admin.expire(new Date());
        await reapOnce({ admin: catalogue.admin, caPems, credentials, graceSeconds: REAPER_GRACE_SECONDS });
      }).catch(() => {});
      return housekeepingRun;
    };
    const timer = setInterval(() => void housekeeping(), (options.housekeepingSeconds ?? 5) * 1000);
    timer.unref();
    closers.push(async () => {
      clearInterval(timer);
      await housekeepingRun;
    });

    const tokens = await writeTokens(dir, issuer);
    const memberProxyPath = join(dir, 'tokens', 'member-proxy.pem');
    const memberSource = {
      user: member, issuer,
      token: { sub: 'member', scope: FULL_STORAGE_SCOPE, aud: TOKEN_AUDIENCE, groups: MEMBER_GROUPS },
    };
    const memberFiles = { proxyPath: memberProxyPath, tokenPath: tokens.member };
    await writeMemberCredentials(memberSource, memberFiles, TOKEN_LIFETIME_SECONDS);
    const unfollow = await followShortCredentials(faults, memberSource, memberFiles);
    closers.push(async () => unfollow());
    const faultAdmin = await startFaultAdmin(faults, { dir });
    closers.push(() => faultAdmin.close());

    const rucioCfgPath = join(dir, 'rucio.cfg');
    await writeFile(rucioCfgPath, rucioCfg(catalogue.url, memberAccount(config.catalogue.account).account, password, pki, memberProxyPath), { mode: 0o600 });
    const env = {
      RUCIO_CONFIG: rucioCfgPath, X509_USER_PROXY: memberProxyPath, X509_CERT_DIR: pki.certDir, BEARER_TOKEN_FILE: tokens.member,
      // The other identities by role, wherever this sandbox's folder is (a plan says `role: nonmember`).
      // (LAKEPROBE_<ROLE>_PROXY / _TOKEN_FILE, read by src/plan/identities.ts.)
      LAKEPROBE_NONMEMBER_PROXY: pki.users.nonmember.proxyPath, LAKEPROBE_NONMEMBER_TOKEN_FILE: tokens.nonmember,
    };
    const rses: SandboxRse[] = endpoints.map((e) => ({
      name: e.name, url: e.url, root: e.root, deterministic: e.deterministic, ...(e.rootUrl ? { rootUrl: e.rootUrl } : {}),
    }));
    return {
      dir, config, rucioUrl: catalogue.url, pki, issuer, catalogue, rses, tokens, oauthClient, memberProxyPath, rucioCfgPath, faults,
      faultAdmin: { url: faultAdmin.url, secretFile: faultAdmin.secretFile }, transfers, links, env, housekeeping, stop,
      state: (pid) => ({
        pid, startedAt: new Date().toISOString(), rucioUrl: catalogue.url, issuer: issuer.issuer, caCertPath: pki.caCertPath,
        storage: config.storage, rses: rses.map((r) => ({ name: r.name, url: r.url, ...(r.rootUrl ? { rootUrl: r.rootUrl } : {}) })),
        faultAdminUrl: faultAdmin.url, faultSecretFile: faultAdmin.secretFile, env,
      }),
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function endpointNamed(endpoints: RseEndpoint[], rse: string): RseEndpoint {
  const endpoint = endpoints.find((e) => e.name === rse);
  if (!endpoint) throw new Error(`no sandbox RSE named ${rse}`);
  return endpoint;
}

/** The transfer tool's robot identity: a token for every path, renewed before it expires. */
function ftsCredentials(issuer: TokenIssuer): () => Promise<TransferCredentials> {
  let cached: { token: string; renewAt: number } | undefined;
  return async () => {
    if (!cached || Date.now() > cached.renewAt) {
      const token = await issuer.mint({ sub: 'fts', scope: FULL_STORAGE_SCOPE, aud: TOKEN_AUDIENCE, groups: MEMBER_GROUPS, lifetimeSeconds: 3600 });
      cached = { token, renewAt: Date.now() + 45 * 60_000 };
    }
    return { destToken: cached.token, sourceToken: cached.token };
  };
}

function seedCatalogue(
  catalogue: CatalogueHandle, config: SandboxConfig, pki: SandboxPki, issuer: string, password: string, endpoints: RseEndpoint[],
): void {
  const { admin } = catalogue;
  const { account, scopes } = memberAccount(config.catalogue.account);
  // root exists in every Rucio; the plain probe account is a USER without the admin attribute.
  if (account !== 'root') admin.addAccount('root', 'SERVICE');
  admin.addAccount(account, account === 'root' ? 'SERVICE' : 'USER');
  admin.addAccount(OUTSIDER_ACCOUNT, 'USER');
  admin.addIdentity({ kind: 'USERPASS', identity: SANDBOX_USERNAME, account, password });
  admin.addIdentity({ kind: 'X509', identity: pki.users.member.dn, account });
  admin.addIdentity({ kind: 'X509', identity: pki.users.nonmember.dn, account: OUTSIDER_ACCOUNT });
  admin.addIdentity({ kind: 'OIDC', identity: `SUB=member, ISS=${issuer}`, account });
  admin.addIdentity({ kind: 'OIDC', identity: `SUB=nonmember, ISS=${issuer}`, account: OUTSIDER_ACCOUNT });
  for (const scope of [...scopes, EMBARGO_SCOPE]) admin.addScope(account, scope);
  admin.addScope(OUTSIDER_ACCOUNT, `user.${OUTSIDER_ACCOUNT}`);
  config.rses.forEach((spec, i) => {
    const endpoint = endpoints[i] as RseEndpoint;
    admin.addRse(spec.name, { deterministic: spec.deterministic, rseType: 'DISK', volatile: false });
    const rw = { read: 1, write: 1, delete: 1 };
    if (spec.cache_of && endpoint.rootPort) {
      // A cache is read through only: root:// for reads, nothing may write or delete there.
      const readOnly = { read: 1, write: 0, delete: 0 };
      admin.addProtocol(spec.name, {
        scheme: 'root', hostname: 'localhost', port: endpoint.rootPort, prefix: `/${DATA_PREFIX}`,
        impl: 'rucio.rse.protocols.xrootd.Default', extended_attributes: null,
        domains: { lan: readOnly, wan: { ...readOnly, third_party_copy_read: null, third_party_copy_write: null } },
      });
      for (const [key, value] of Object.entries(spec.attributes)) admin.setRseAttribute(spec.name, key, value);
      admin.setRseAvailability(spec.name, { write: false, delete: false, ...spec.availability });
      return;
    }
    admin.addProtocol(spec.name, {
      scheme: 'davs', hostname: 'localhost', port: endpoint.port, prefix: DATA_PREFIX,
      impl: 'rucio.rse.protocols.webdav.Default', extended_attributes: null,
      domains: { lan: rw, wan: { ...rw, third_party_copy_read: 1, third_party_copy_write: 1 } },
    });
    if (endpoint.rootPort) {
      const second = { read: 2, write: 2, delete: 2 };
      admin.addProtocol(spec.name, {
        scheme: 'root', hostname: 'localhost', port: endpoint.rootPort, prefix: `/${DATA_PREFIX}`,
        impl: 'rucio.rse.protocols.xrootd.Default', extended_attributes: null,
        domains: { lan: second, wan: { ...second, third_party_copy_read: null, third_party_copy_write: null } },
      });
    }
    for (const [key, value] of Object.entries(spec.attributes)) admin.setRseAttribute(spec.name, key, value);
    if (spec.availability) admin.setRseAvailability(spec.name, spec.availability);
    admin.setAccountLimit(account, spec.name, ACCOUNT_LIMIT_BYTES);
    admin.setAccountLimit(OUTSIDER_ACCOUNT, spec.name, ACCOUNT_LIMIT_BYTES);
  });
  // Each configured link has a distance in the catalogue, growing with its round-trip time; other pairs have none.
  for (const link of config.links) admin.addDistance(link.from, link.to, 1 + Math.round(link.rtt_ms / 100));
}

/** Token files for the other identities; the member's is written with its proxy (short_credentials). */
async function writeTokens(dir: string, issuer: TokenIssuer): Promise<SandboxTokens> {
  const tokenDir = join(dir, 'tokens');
  await mkdir(tokenDir, { recursive: true, mode: 0o700 });
  const base = { aud: TOKEN_AUDIENCE, lifetimeSeconds: TOKEN_LIFETIME_SECONDS };
  const minted: Record<Exclude<keyof SandboxTokens, 'member'>, Promise<string>> = {
    readOnly: issuer.mint({ ...base, sub: 'member', scope: READ_ONLY_SCOPE, groups: MEMBER_GROUPS }),
    // Scopes, not groups, keep tokens out of /embargo on XRootD: the non-member's stop at /rucio.
    nonmember: issuer.mint({ ...base, sub: 'nonmember', scope: NONMEMBER_SCOPE, groups: ['/lakeprobe'] }),
    expired: issuer.mint({
      ...base, sub: 'member', scope: FULL_STORAGE_SCOPE, lifetimeSeconds: -3600, nbf: Math.floor(Date.now() / 1000) - 7200,
    }),
  };
  const paths = { member: join(tokenDir, 'member.jwt') } as SandboxTokens;
  for (const [name, token] of Object.entries(minted) as [Exclude<keyof SandboxTokens, 'member'>, Promise<string>][]) {
    paths[name] = join(tokenDir, `${name}.jwt`);
    await writeFile(paths[name], `${await token}\n`, { mode: 0o600 });
  }
  return paths;
}

function rucioCfg(url: string, account: string, password: string, pki: SandboxPki, proxyPath: string): string {
  return [
    '[client]',
    `rucio_host = ${url}`,
    `auth_host = ${url}`,
    'auth_type = userpass',
    `account = ${account}`,
    `vo = ${SANDBOX_VO}`,
    `username = ${SANDBOX_USERNAME}`,
    `password = ${password}`,
    `ca_cert = ${pki.caCertPath}`,
    `client_x509_proxy = ${proxyPath}`,
    '',
  ].join('\n');
}
