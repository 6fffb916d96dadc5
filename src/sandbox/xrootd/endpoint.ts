import { chmod, chown, copyFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { renderAuthdb, renderGridmap, renderScitokensConfig } from './access-files.js';
import { renderXrootdConfig } from './config-file.js';
import { writeVomsDir } from '../pki/voms.js';
import { seedKeyCache } from './key-cache.js';
import { freePort } from './ports.js';
import { prepareRunDir, runLayout, serviceUser } from './run-dir.js';
import { superviseXrootd } from './supervisor.js';
import type { XrootdEndpoint, XrootdEndpointOptions } from './types.js';

/** The VO of an FQAN group: '/lakeprobe/embargo' → 'lakeprobe'. */
function voOf(group: string): string {
  const vo = group.split('/')[1];
  if (!group.startsWith('/') || !vo) throw new RangeError(`embargo group ${JSON.stringify(group)} is not an FQAN group`);
  return vo;
}

async function writePublic(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o644 });
  await chmod(path, 0o644);
}

/**
 * One sandbox RSE served by a real xrootd process (root:// and HTTPS/WebDAV), with
 * the same identities, gridmap and embargo as the builtin endpoint. Needs root and
 * the `xrootd` account; the process runs as `xrootd` and listens on all interfaces.
 */
export async function startXrootdEndpoint(opts: XrootdEndpointOptions): Promise<XrootdEndpoint> {
  const user = await serviceUser();
  const layout = runLayout(opts.runDir);
  const root = resolve(opts.root);
  await prepareRunDir(layout, root, opts.pki, user);
  const httpsPort = opts.httpsPort || (await freePort());
  let rootPort = opts.rootPort || (await freePort());
  while (rootPort === httpsPort) rootPort = await freePort();
  let gridmap = { ...opts.gridmap };
  let embargoOpen = false;
  // Holders of a VOMS proxy with the embargo group may use the embargo like member DNs.
  const vo = voOf(opts.embargo.group);
  const authdb = (): string => renderAuthdb(gridmap, opts.embargo, embargoOpen, opts.embargo.group);

  await writePublic(layout.gridmap, renderGridmap(gridmap));
  await writePublic(layout.authdb, authdb());
  await writePublic(layout.scitokens, renderScitokensConfig(opts.issuer.url,
    // Its own names, as a site sets `aud` to its endpoint: the HTTPS one and the root:// one.
    opts.ownAudience ? [`https://localhost:${httpsPort}`, `root://localhost:${rootPort}`] : undefined));
  await writeVomsDir(layout.vomsDir, opts.pki, vo);
  await writePublic(layout.config, renderXrootdConfig({ name: opts.name, root, layout, rootPort, httpsPort, vo, cacheOfPort: opts.cacheOf?.originRootPort }));
  // A cache reads its origin as a grid client: its own copy of the proxy, private to the service user.
  const originProxy = join(layout.runDir, 'origin-proxy.pem');
  if (opts.cacheOf) {
    await copyFile(opts.cacheOf.proxy, originProxy);
    await chown(originProxy, user.uid, user.gid);
    await chmod(originProxy, 0o600);
  }

  const proc = superviseXrootd({
    name: opts.name,
    config: layout.config,
    logDir: layout.logDir,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      XDG_CACHE_HOME: layout.cacheHome,
      // The HTTP-TPC client checks the source's certificate against this folder.
      X509_CERT_DIR: layout.certDir,
      // The VOMS extractor finds the trusted attribute signers here.
      X509_VOMS_DIR: layout.vomsDir,
      ...(opts.cacheOf ? { X509_USER_PROXY: originProxy } : {}),
    },
  });
  const start = async (): Promise<void> => {
    await seedKeyCache(layout.cacheHome, opts.issuer.url, opts.issuer.jwks, user);
    await proc.start();
  };
  /** Applies rewritten files: xrootd reads them at start. A stopped endpoint stays down. */
  const reload = async (): Promise<void> => {
    if (proc.pid === 0) return;
    await proc.stop();
    await start();
  };
  await start();

  return {
    name: opts.name,
    url: `https://localhost:${httpsPort}`,
    port: httpsPort,
    rootUrl: `root://localhost:${rootPort}`,
    rootPort,
    get pid() {
      return proc.pid;
    },
    logFile: proc.logFile,
    start,
    stop: () => proc.stop(),
    close: () => proc.stop(),
    rewriteGridmap: async (map) => {
      gridmap = { ...map };
      await writePublic(layout.gridmap, renderGridmap(gridmap));
      await writePublic(layout.authdb, authdb());
      await reload();
    },
    rewriteAuthdb: async (change) => {
      embargoOpen = change.embargoOpen;
      await writePublic(layout.authdb, authdb());
      await reload();
    },
  };
}
