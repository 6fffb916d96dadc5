import type { StorageFaults } from '../faults/fault-set.js';
import type { ChainVerification } from '../pki/verify-chain.js';

/** What a valid token grants, as the storage needs it. */
export interface StorageTokenClaims {
  scope: string;
  groups?: string[];
  exp: number;
  /** The verified `aud`; when absent the endpoint reads it from the verified token. */
  aud?: string | string[];
}

export interface AccessRecord {
  method: string;
  path: string;
  status: number;
  /** Body bytes received (PUT) or sent (GET). */
  bytes: number;
  /** The DN, or the token's `sub`; undefined when the client did not authenticate. */
  identity?: string;
}

export interface EmbargoPolicy {
  /** Path prefix in the endpoint's path space, e.g. '/embargo'. */
  path: string;
  /** DNs (slash form) allowed in with x509. */
  members: string[];
  /** `wlcg.groups` entry that lets a token in, e.g. '/lakeprobe/embargo'. */
  group: string;
}

export interface StorageEndpointOptions {
  name: string;
  /** Data directory served at '/'. */
  root: string;
  tls: { certPem: string; keyPem: string };
  caPems: string[];
  port?: number;
  /** DN (slash form) → local user. */
  gridmap: Record<string, string>;
  embargo: EmbargoPolicy;
  verifyToken(token: string): Promise<StorageTokenClaims | null>;
  /**
   * Audiences this storage is configured with, as XRootD's scitokens.cfg `audience`
   * (default: the sandbox's, SANDBOX_STORAGE_AUDIENCES); the WLCG "any" audience is
   * always accepted. A verified token for another audience is refused with 403.
   */
  audiences?: string[];
  /** Accept only this endpoint's own URL (`https://localhost:<port>`) as audience, as a site that sets aud to its endpoint. */
  ownAudience?: boolean;
  verifyChain(chainDer: Buffer[]): ChainVerification;
  onAccess?(record: AccessRecord): void;
  /** Injected faults, consulted on every request; rse_down stops the listening (none: normal behaviour). */
  faults?: StorageFaults;
}

export interface StorageEndpoint {
  name: string;
  /** 'https://localhost:<port>' */
  url: string;
  port: number;
  close(): Promise<void>;
}

export type Identity =
  | { kind: 'x509'; dn: string; user: string }
  | { kind: 'token'; sub: string; scope: string; groups: string[] };

/** A request answered with an error status and a plain-text reason. */
export interface Refusal {
  status: number;
  message: string;
}
