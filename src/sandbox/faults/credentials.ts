// short_credentials: the member proxy and token files the lake hands out are rewritten
// with a short lifetime, so that a run started with them fails mid-way as auth_expired
// (DAC21: "timeout of voms proxy was also an issue"). Removing the fault writes them
// again with the normal lifetime.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { makeProxy } from '../pki/index.js';
import type { MintOptions } from '../tokens/index.js';
import type { FaultSet } from './fault-set.js';

/** The files the lake hands out for the member identity. */
export interface MemberCredentialFiles {
  /** Grid proxy file (X509_USER_PROXY). */
  proxyPath: string;
  /** Bearer token file (BEARER_TOKEN_FILE). */
  tokenPath: string;
}

/** What new member credentials are made from. */
export interface MemberCredentialSource {
  /** The member's certificate and key, which sign the proxy. */
  user: { certPath: string; keyPath: string };
  issuer: { mint(opts: MintOptions): Promise<string> };
  /** Claims of the member token (its lifetime is set here). */
  token: Omit<MintOptions, 'lifetimeSeconds' | 'nbf'>;
}

/** Twelve hours, as the lake's own proxy and tokens. */
export const NORMAL_LIFETIME_SECONDS = 12 * 3600;
/** Proxies start a little in the past, so that a clock a bit behind still accepts them. */
const BACKDATE_MS = 5 * 60_000;

/** Replaces `path` in one step, so that a reader never sees half a file. */
async function replaceSecret(path: string, content: string): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content, { mode: 0o600 });
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/** Writes a new member proxy and token valid for `lifetimeSeconds`; returns when they expire. */
export async function writeMemberCredentials(
  source: MemberCredentialSource,
  files: MemberCredentialFiles,
  lifetimeSeconds: number,
): Promise<Date> {
  const now = Date.now();
  const notAfter = new Date(now + lifetimeSeconds * 1000);
  const [certPem, keyPem] = await Promise.all([readFile(source.user.certPath, 'utf8'), readFile(source.user.keyPath, 'utf8')]);
  const proxy = await makeProxy(certPem, keyPem, { notBefore: new Date(now - BACKDATE_MS), notAfter });
  const token = await source.issuer.mint({ ...source.token, lifetimeSeconds });
  await replaceSecret(files.proxyPath, proxy);
  await replaceSecret(files.tokenPath, `${token}\n`);
  return notAfter;
}

/**
 * Keeps the member credential files in line with the short_credentials faults: short
 * while one is on, normal once none is. Returns the function that stops following.
 */
export async function followShortCredentials(
  faults: FaultSet,
  source: MemberCredentialSource,
  files: MemberCredentialFiles,
  normalLifetimeSeconds = NORMAL_LIFETIME_SECONDS,
): Promise<() => void> {
  let written: number | undefined;
  let queue: Promise<void> = Promise.resolve();
  const apply = (): Promise<void> => {
    const next = queue.then(async () => {
      const wanted = faults.shortCredentialsLifetime();
      if (wanted === written) return;
      await writeMemberCredentials(source, files, wanted ?? normalLifetimeSeconds);
      written = wanted;
    });
    queue = next.catch(() => {});
    return next;
  };
  await apply();
  return faults.onChange(apply);
}
