import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, verifyClientChain, type SandboxPki } from '../../../src/sandbox/pki/index.js';
import {
  startStorageEndpoint,
  type AccessRecord,
  type StorageEndpoint,
  type StorageEndpointOptions,
} from '../../../src/sandbox/storage/index.js';
import { startTokenIssuer, type TokenIssuer } from '../../../src/sandbox/tokens/index.js';

export const EMBARGO_GROUP = '/lakeprobe/embargo';

export interface StorageFixture {
  tmp: string;
  root: string;
  pki: SandboxPki;
  issuer: TokenIssuer;
  endpoint: StorageEndpoint;
  access: AccessRecord[];
  /** cert/key options presenting a proxy (or any PEM file holding cert + key). */
  credentials(path: string): { cert: string; key: string };
  start(overrides: Partial<StorageEndpointOptions>): Promise<StorageEndpoint>;
  close(): Promise<void>;
}

/** A PKI, a token issuer and one storage endpoint wired the way the sandbox wires them. */
export async function startStorageFixture(prefix: string): Promise<StorageFixture> {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const root = join(tmp, 'data');
  mkdirSync(root);
  const pki = await ensurePki(join(tmp, 'pki'));
  const tls = { certPem: pki.host.certPem, keyPem: pki.host.keyPem };
  const issuer = await startTokenIssuer({ tls });
  const access: AccessRecord[] = [];
  const started: StorageEndpoint[] = [];
  const base: StorageEndpointOptions = {
    name: 'SANDBOX_DISK',
    root,
    tls,
    caPems: [pki.caCertPem],
    gridmap: { [pki.users.member.dn]: 'alice', [pki.users.nonmember.dn]: 'bob' },
    embargo: { path: '/embargo', members: [pki.users.member.dn], group: EMBARGO_GROUP },
    verifyToken: async (token) => {
      const claims = await issuer.verify(token);
      return claims && { scope: claims.scope, groups: claims['wlcg.groups'], exp: claims.exp };
    },
    verifyChain: (chain) => verifyClientChain(chain, [pki.caCertPem]),
    onAccess: (record) => access.push(record),
  };
  const start = async (overrides: Partial<StorageEndpointOptions>): Promise<StorageEndpoint> => {
    const endpoint = await startStorageEndpoint({ ...base, ...overrides });
    started.push(endpoint);
    return endpoint;
  };
  const endpoint = await start({});
  return {
    tmp,
    root,
    pki,
    issuer,
    endpoint,
    access,
    credentials: (path) => {
      const pem = readFileSync(path, 'utf8');
      return { cert: pem, key: pem };
    },
    start,
    close: async () => {
      await Promise.all(started.map((e) => e.close()));
      await issuer.close();
    },
  };
}
