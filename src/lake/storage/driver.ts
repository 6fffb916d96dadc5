import type { Readable } from 'node:stream';
import type { BearerToken, TrustAnchors, X509Credential } from '../credentials/types.js';

export type StorageProtocol = 'davs' | 'root' | 'gfal';
export type ChecksumAlgorithm = 'adler32' | 'md5';

/** Credentials a storage driver presents. A bearer token wins over x509 when both are set. */
export interface StorageAuth {
  x509?: X509Credential;
  token?: BearerToken;
  ca: TrustAnchors;
  /** TLS verification is on by default; only an explicit plan setting turns it off. */
  insecure?: boolean;
  /**
   * Per request, the token for the endpoint's audience and the least storage scope the
   * request needs (WLCG token profile); `token` is used where it is not set.
   */
  tokenFor?: (url: URL, method: string) => Promise<BearerToken>;
}

export interface StatResult {
  size: number;
  isDirectory: boolean;
}

/**
 * One storage protocol. Methods throw StorageError / CredentialError; they never
 * buffer a whole file. URLs are full PFNs (e.g. https://host:port/prefix/scope/ab/cd/name).
 */
export interface StorageDriver {
  readonly protocol: StorageProtocol;
  /** Stream `body` (exactly `size` bytes) to `url`; parents are created if the server needs it. */
  put(url: string, body: Readable, size: number): Promise<void>;
  /** Stream the object; the caller consumes the Readable. */
  get(url: string): Promise<Readable>;
  /** null when the object does not exist (404). */
  stat(url: string): Promise<StatResult | null>;
  delete(url: string): Promise<void>;
  mkdir(url: string): Promise<void>;
  /** Server-side checksum (Want-Digest for davs), lowercase hex. */
  checksum(url: string, algorithm: ChecksumAlgorithm): Promise<string>;
}
