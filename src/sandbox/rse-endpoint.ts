import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultSet } from './faults/index.js';
import { verifyClientChain, type SandboxPki } from './pki/index.js';
import type { SandboxConfig } from './sandbox-config.js';
import { startStorageEndpoint } from './storage/index.js';
import type { EmbargoPolicy } from './storage/types.js';
import type { TokenIssuer } from './tokens/index.js';
import { startXrootdEndpoint, type XrootdEndpoint } from './xrootd/index.js';
import { DATA_PREFIX } from './config.js';

/** One RSE's storage, whoever serves it. */
export interface RseEndpoint {
  name: string;
  url: string;
  port: number;
  rootUrl?: string;
  rootPort?: number;
  /** The folder served at '/'. */
  root: string;
  deterministic: boolean;
  close(): Promise<void>;
}

export interface RseEndpointOptions {
  kind: SandboxConfig['storage'];
  spec: SandboxConfig['rses'][number];
  dir: string;
  pki: SandboxPki;
  issuer: TokenIssuer;
  faults: FaultSet;
  gridmap: Record<string, string>;
  embargo: EmbargoPolicy;
  /** For a cache RSE (`cache_of`): its origin's root:// port and the proxy it reads the origin with. */
  cacheOf?: { originRootPort: number; proxy: string };
}

export async function startRseEndpoint(o: RseEndpointOptions): Promise<RseEndpoint> {
  // XRootD drops to its own user, which must traverse every folder above its data; the
  // lake folder may sit under a private home, so XRootD RSEs live in a folder of their own.
  const base = o.kind === 'xrootd' ? await mkdtemp(join(tmpdir(), `lakeprobe-${o.spec.name}-`)) : join(o.dir, 'storage', o.spec.name);
  if (o.kind === 'xrootd') await chmod(base, 0o711);
  const root = join(base, 'data');
  await mkdir(join(root, DATA_PREFIX.slice(1)), { recursive: true });
  await mkdir(join(root, o.embargo.path.slice(1)), { recursive: true });
  const rse = { name: o.spec.name, root, deterministic: o.spec.deterministic };
  if (o.kind === 'builtin') {
    const caPems = [o.pki.caCertPem];
    const endpoint = await startStorageEndpoint({
      name: o.spec.name, root, tls: { certPem: o.pki.host.certPem, keyPem: o.pki.host.keyPem }, caPems,
      gridmap: o.gridmap, embargo: o.embargo, faults: o.faults,
      verifyToken: async (token) => {
        const claims = await o.issuer.verify(token);
        return claims ? { scope: claims.scope, groups: claims['wlcg.groups'], exp: claims.exp } : null;
      },
      verifyChain: (der) => verifyClientChain(der, caPems),
      ...(o.spec.own_token_audience ? { ownAudience: true } : {}),
    });
    return { ...rse, url: endpoint.url, port: endpoint.port, close: () => endpoint.close() };
  }
  const endpoint = await startXrootdEndpoint({
    name: o.spec.name, root, runDir: join(base, 'run'), pki: o.pki, gridmap: o.gridmap, embargo: o.embargo,
    issuer: { url: o.issuer.issuer, jwks: o.issuer.jwks },
    ...(o.spec.own_token_audience ? { ownAudience: true } : {}),
    ...(o.cacheOf ? { cacheOf: o.cacheOf } : {}),
  }).catch(async (e: unknown) => {
    await rm(base, { recursive: true, force: true });
    throw e;
  });
  const unfollow = followXrootdFaults(endpoint, o.faults, o.gridmap);
  return {
    ...rse, url: endpoint.url, port: endpoint.port, rootUrl: endpoint.rootUrl, rootPort: endpoint.rootPort,
    close: async () => {
      unfollow();
      await endpoint.close();
      await rm(base, { recursive: true, force: true });
    },
  };
}

/**
 * XRootD is a real server: faults act on it from outside. rse_down stops the
 * process, gridmap_missing and embargo_open rewrite its gridmap / authdb (each a
 * restart). Request-level faults (error rates, checksum 404) exist only on the builtin storage.
 */
function followXrootdFaults(endpoint: XrootdEndpoint, faults: FaultSet, gridmap: Record<string, string>): () => void {
  const applied = { down: false, embargoOpen: false, gridmap: JSON.stringify(gridmap) };
  let queue: Promise<void> = Promise.resolve();
  return faults.onChange(() => {
    const next = queue.then(async () => {
      const name = endpoint.name;
      const wantedMap = Object.fromEntries(Object.entries(gridmap).filter(([dn]) => !faults.gridmapMissing(name, dn)));
      if (JSON.stringify(wantedMap) !== applied.gridmap) {
        await endpoint.rewriteGridmap(wantedMap);
        applied.gridmap = JSON.stringify(wantedMap);
      }
      const embargoOpen = faults.embargoOpen(name);
      if (embargoOpen !== applied.embargoOpen) {
        await endpoint.rewriteAuthdb({ embargoOpen });
        applied.embargoOpen = embargoOpen;
      }
      const down = faults.rseDown(name);
      if (down !== applied.down) {
        await (down ? endpoint.stop() : endpoint.start());
        applied.down = down;
      }
    });
    queue = next.catch(() => {});
    return next;
  });
}
