import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBARGO_GROUP, TOKEN_AUDIENCE } from '../../../src/sandbox/config.js';
import { ensurePki, type SandboxPki } from '../../../src/sandbox/pki/index.js';
import { startTokenIssuer, type TokenIssuer } from '../../../src/sandbox/tokens/index.js';
import { startXrootdEndpoint, type XrootdEndpoint, type XrootdEndpointOptions } from '../../../src/sandbox/xrootd/index.js';
import { call, type CallOptions, type Reply } from '../storage/https-client.js';

// The sandbox's own audiences and member scopes, so tokens look exactly like the lake's.
export { EMBARGO_GROUP, FULL_STORAGE_SCOPE as MEMBER_SCOPE, READ_ONLY_SCOPE } from '../../../src/sandbox/config.js';
/** What a non-member token may do: the Rucio tree only. */
export const NONMEMBER_SCOPE = 'openid profile storage.read:/rucio storage.create:/rucio storage.modify:/rucio';

export interface XrootdFixture {
  tmp: string;
  pki: SandboxPki;
  issuer: TokenIssuer;
  endpoints: XrootdEndpoint[];
  /** Starts an endpoint named `name` with its own data and run folders. */
  start(name: string, overrides?: Partial<XrootdEndpointOptions>): Promise<XrootdEndpoint>;
  /** cert/key options presenting a proxy file. */
  proxy(path: string): { cert: string; key: string };
  mint(sub: string, scope: string, extra?: { lifetimeSeconds?: number; nbf?: number }): Promise<string>;
  send(endpoint: XrootdEndpoint, method: string, path: string, extra?: Partial<CallOptions>): Promise<Reply>;
  close(): Promise<void>;
}

/** A PKI, a token issuer and xrootd endpoints wired the way the sandbox wires them. */
export async function startXrootdFixture(prefix: string): Promise<XrootdFixture> {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  // user xrootd must be able to enter the run and data folders below this one.
  chmodSync(tmp, 0o755);
  const pki = await ensurePki(join(tmp, 'pki'));
  const issuer = await startTokenIssuer({ tls: { certPem: pki.host.certPem, keyPem: pki.host.keyPem } });
  const { member, nonmember } = pki.users;
  const endpoints: XrootdEndpoint[] = [];
  return {
    tmp,
    pki,
    issuer,
    endpoints,
    start: async (name, overrides = {}) => {
      const endpoint = await startXrootdEndpoint({
        name,
        root: join(tmp, 'data', name),
        runDir: join(tmp, 'run', name),
        pki,
        gridmap: { [member.dn]: 'member', [nonmember.dn]: 'nonmember' },
        embargo: { path: '/embargo', members: [member.dn], group: EMBARGO_GROUP },
        issuer: { url: issuer.issuer, jwks: issuer.jwks },
        ...overrides,
      });
      endpoints.push(endpoint);
      return endpoint;
    },
    proxy: (path) => {
      const pem = readFileSync(path, 'utf8');
      return { cert: pem, key: pem };
    },
    mint: (sub, scope, extra = {}) => issuer.mint({ sub, scope, aud: TOKEN_AUDIENCE, ...extra }),
    send: (endpoint, method, path, extra = {}) => call(`${endpoint.url}${path}`, { method, ca: pki.caCertPem, ...extra }),
    close: async () => {
      await Promise.all(endpoints.map((e) => e.close()));
      await issuer.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export const bearer = (token: string): Partial<CallOptions> => ({ headers: { Authorization: `Bearer ${token}` } });
