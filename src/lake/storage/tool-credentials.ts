// Credentials for the grid command-line tools (xrdcp, xrdfs, gfal-*), which read them
// from files named in their environment. Each call gets a private temp directory (0700)
// holding the proxy (0600) and the trust anchors; it is removed when the call ends.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CERTIFICATE, pemBlocks } from '../credentials/pem.js';
import type { BearerToken, X509Credential } from '../credentials/types.js';
import { noteTokenUse } from '../credentials/token-use.js';
import { CredentialError } from '../errors.js';
import type { StorageAuth } from './driver.js';

/** Credential variables a child could otherwise inherit from our own environment. */
const AMBIENT = ['X509_USER_PROXY', 'X509_USER_CERT', 'X509_USER_KEY', 'BEARER_TOKEN', 'BEARER_TOKEN_FILE'];

export interface ToolCredentialOptions {
  /** An existing trust directory (hashed CA files) used instead of writing `auth.ca`. */
  certDir?: string;
  /** XRootD gsi authenticates with an RFC 3820 proxy only, never with a plain certificate. */
  proxyOnly?: boolean;
  now?: Date;
  /** The call's URL and method: with `auth.tokenFor`, its token is the endpoint's audience and the least path scope. */
  target?: { url: string; method: string };
}

export interface ToolCredentials {
  env: NodeJS.ProcessEnv;
  /** Values that must never reach a message (token, private key). */
  secrets: string[];
  /** Which identity is presented. */
  kind: 'token' | 'x509' | 'none';
  /** The token presented, when one is: a refusal names it (audience, scope, expiry). */
  token?: BearerToken;
  dispose(): Promise<void>;
}

function checkValidity(x509: X509Credential, now: Date): void {
  const kind = x509.isProxy ? 'proxy' : 'certificate';
  if (now.getTime() >= x509.notAfter.getTime()) {
    throw new CredentialError('expired', x509.source, `${kind} expired at ${x509.notAfter.toISOString()}`);
  }
  if (now.getTime() < x509.notBefore.getTime()) {
    throw new CredentialError('not_yet_valid', x509.source, `${kind} not valid before ${x509.notBefore.toISOString()}`);
  }
}

/** The proxy file layout the grid tools expect: proxy (or user) certificate, its key, then the rest of the chain. */
function proxyFile(x509: X509Credential): string {
  const certs = pemBlocks(x509.certPem).filter((b) => b.label === CERTIFICATE).map((b) => b.pem);
  return [certs[0] ?? '', x509.keyPem.trimEnd() + '\n', ...certs.slice(1)].join('');
}

/** Writes each CA certificate and lets `openssl rehash` add the `<subject hash>.0` links the tools look up. */
async function writeTrustDir(dir: string, anchors: readonly string[]): Promise<void> {
  await mkdir(dir, { mode: 0o700 });
  const certs = anchors.flatMap((pem) => pemBlocks(pem).filter((b) => b.label === CERTIFICATE).map((b) => b.pem));
  await Promise.all(certs.map((pem, i) => writeFile(join(dir, `ca-${i}.pem`), pem, { mode: 0o644 })));
  try {
    await promisify(execFile)('openssl', ['rehash', dir]);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? 'openssl not installed (Debian package openssl): needed to index the trust anchors'
      : `openssl rehash failed: ${String((error as { stderr?: unknown }).stderr ?? error).trim().slice(0, 200)}`);
  }
}

/**
 * A child environment presenting exactly `auth`: a bearer token (BEARER_TOKEN, WLCG
 * discovery) wins over x509, so the server sees one identity; credentials inherited from
 * our own environment are removed. Expired credentials fail here, before any tool runs,
 * because the tools' own messages do not say why authentication failed.
 */
export async function prepareToolCredentials(auth: StorageAuth, options: ToolCredentialOptions = {}): Promise<ToolCredentials> {
  const token = await callToken(auth, options.target);
  await token?.renew?.();
  noteTokenUse(token);
  const now = options.now ?? new Date();
  const { x509 } = auth;
  if (token?.expiresAt && now.getTime() >= token.expiresAt.getTime()) {
    throw new CredentialError('expired', token.source, `token expired at ${token.expiresAt.toISOString()}`);
  }
  if (!token && x509) {
    checkValidity(x509, now);
    if (options.proxyOnly && !x509.isProxy) {
      throw new CredentialError('invalid', x509.source,
        'XRootD gsi needs an RFC 3820 proxy (e.g. voms-proxy-init --rfc), not a plain certificate');
    }
  }

  const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-cred-'));
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of AMBIENT) delete env[name];
    const secrets: string[] = [];
    let kind: ToolCredentials['kind'] = 'none';
    if (token) {
      env.BEARER_TOKEN = token.token;
      secrets.push(token.token);
      kind = 'token';
    } else if (x509) {
      secrets.push(x509.keyPem);
      kind = 'x509';
      // A plain certificate goes the same way: davix presents any cert + key file as the client certificate.
      env.X509_USER_PROXY = join(dir, 'proxy.pem');
      await writeFile(env.X509_USER_PROXY, proxyFile(x509), { mode: 0o600 });
    }
    if (options.certDir) {
      env.X509_CERT_DIR = options.certDir;
    } else if (auth.ca.length > 0) {
      env.X509_CERT_DIR = join(dir, 'certificates');
      await writeTrustDir(env.X509_CERT_DIR, auth.ca);
    }
    return { env, secrets, kind, dispose, ...(token ? { token } : {}) };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** The token one call presents: per operation when the session asks so, else the session's one token. */
async function callToken(auth: StorageAuth, target: ToolCredentialOptions['target']): Promise<BearerToken | undefined> {
  if (!auth.tokenFor || !target) return auth.token;
  const url = toolTarget(target.url);
  return url ? auth.tokenFor(url, target.method) : auth.token;
}

/** A tool URL as the token profile sees it: root(s)://, davs:// and https:// all name host, port and path. */
function toolTarget(raw: string): URL | null {
  try {
    return new URL(raw.replace(/^davs:/i, 'https:'));
  } catch {
    return null;
  }
}

/** Runs `use` with credentials prepared for one tool call, and always disposes of them. */
export async function withToolCredentials<T>(
  auth: StorageAuth, options: ToolCredentialOptions, use: (creds: ToolCredentials) => Promise<T>,
): Promise<T> {
  const creds = await prepareToolCredentials(auth, options);
  try {
    return await use(creds);
  } finally {
    await creds.dispose();
  }
}
