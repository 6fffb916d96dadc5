import type { SandboxPki } from '../pki/index.js';
import type { StorageEndpoint } from '../storage/types.js';

export interface XrootdEmbargo {
  /** Path prefix in the endpoint's path space, e.g. '/embargo'. */
  path: string;
  /** DNs (slash form) whose mapped users may use the embargoed tree over x509. */
  members: string[];
  /** `wlcg.groups` entry of embargo members; tokens are bound by their scopes instead. */
  group: string;
}

export interface XrootdEndpointOptions {
  /** RSE name; also the xrootd instance name (`-n`). */
  name: string;
  /** Data directory served at '/' (oss.localroot); handed over to user xrootd. */
  root: string;
  /** Configuration, access files, logs, admin path, key copies and the token key cache. */
  runDir: string;
  pki: SandboxPki;
  /** DN (slash form) → local user name. */
  gridmap: Record<string, string>;
  embargo: XrootdEmbargo;
  /** The one trusted token issuer and its published keys. */
  issuer: { url: string; jwks: object };
  /** Accept only tokens for this endpoint's own URL (and WLCG's any audience). */
  ownAudience?: boolean;
  /**
   * A proxy file cache (XCache: XrdPss + XrdPfc) in front of another sandbox RSE instead of a storage:
   * reads of its namespace are served from its disk, or fetched from the origin's root:// port with
   * `proxy` (an x509 proxy the origin maps) and kept. Only root:// is served.
   */
  cacheOf?: { originRootPort: number; proxy: string };
  /** 0 or undefined: a free port on 127.0.0.1. */
  httpsPort?: number;
  rootPort?: number;
}

export interface XrootdEndpoint extends StorageEndpoint {
  /** 'root://localhost:<root port>' */
  rootUrl: string;
  rootPort: number;
  /** Process id of the running xrootd; 0 while stopped. */
  readonly pid: number;
  logFile: string;
  /** Kills the process (an RSE-down fault); the ports stay assigned to this endpoint. */
  stop(): Promise<void>;
  /** Starts the process again after stop(). */
  start(): Promise<void>;
  /** Replaces the gridmap; xrootd reads it at start, so the process is restarted. */
  rewriteGridmap(map: Record<string, string>): Promise<void>;
  /** Opens or closes the embargoed tree to non-members' x509 identities (restarts the process). */
  rewriteAuthdb(opts: { embargoOpen: boolean }): Promise<void>;
}
