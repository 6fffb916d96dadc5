import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createCa, issueLeaf, type CertAndKey, type LeafSpec } from './certificates.js';
import { slashDn } from './distinguished-name.js';
import { makeProxy } from './proxy.js';
import { x509 } from './x509.js';

export type SandboxUserName = 'member' | 'nonmember';

export interface SandboxUser {
  /** Slash form, e.g. '/DC=org/DC=lakeprobe/CN=Alice Member'. */
  dn: string;
  certPath: string;
  keyPath: string;
  /** Grid proxy file (proxy cert + proxy key + user cert), valid 12 h. */
  proxyPath: string;
  /** A proxy that expired an hour ago. */
  expiredProxyPath: string;
}

export interface SandboxPki {
  dir: string;
  /** Trust directory: `<subject hash>.0` and `ca.pem`. */
  certDir: string;
  caCertPem: string;
  caCertPath: string;
  caKeyPath: string;
  host: { certPem: string; keyPem: string; certPath: string; keyPath: string };
  users: Record<SandboxUserName, SandboxUser>;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BASE_DN = 'DC=org, DC=lakeprobe';
const OPENSSL = '/usr/bin/openssl';

const USERS: Record<SandboxUserName, string> = { member: 'Alice Member', nonmember: 'Bob Outsider' };

const shift = (now: Date, ms: number): Date => new Date(now.getTime() + ms);

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function writeSecret(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}

async function writePublic(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o644 });
  await chmod(path, 0o644);
}

/**
 * The first certificate in `pem` is valid at `now` for at least `margin` more
 * milliseconds and, if given, issued by `issuer`.
 */
function stillGood(pem: string, now: Date, margin: number, issuer?: X509Certificate): boolean {
  try {
    const cert = new X509Certificate(pem);
    const notAfter = new Date(cert.validTo).getTime();
    if (new Date(cert.validFrom) > now || notAfter - now.getTime() < margin) return false;
    return issuer ? cert.checkIssued(issuer) && cert.verify(issuer.publicKey) : true;
  } catch {
    return false;
  }
}

async function loadOrIssue(
  certPath: string,
  keyPath: string,
  now: Date,
  issuer: X509Certificate | undefined,
  issue: () => Promise<CertAndKey>,
): Promise<{ pair: CertAndKey; fresh: boolean }> {
  const [certPem, keyPem] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (certPem && keyPem && stillGood(certPem, now, DAY, issuer)) {
    return { pair: { certPem, keyPem }, fresh: false };
  }
  const pair = await issue();
  await writePublic(certPath, pair.certPem);
  await writeSecret(keyPath, pair.keyPem);
  return { pair, fresh: true };
}

async function subjectHash(caCertPath: string): Promise<string | undefined> {
  if (!existsSync(OPENSSL)) return undefined;
  const { stdout } = await promisify(execFile)(OPENSSL, ['x509', '-hash', '-noout', '-in', caCertPath]);
  return stdout.trim();
}

/** Rewrites the trust directory so that it holds exactly the current CA. */
async function writeTrustDir(certDir: string, caCertPath: string, caCertPem: string): Promise<void> {
  await mkdir(certDir, { recursive: true, mode: 0o755 });
  const hash = await subjectHash(caCertPath);
  const wanted = new Set(['ca.pem', ...(hash ? [`${hash}.0`] : [])]);
  for (const name of await readdir(certDir)) {
    if (!wanted.has(name)) await rm(join(certDir, name), { force: true });
  }
  for (const name of wanted) await writePublic(join(certDir, name), caCertPem);
}

async function ensureUser(
  dir: string,
  name: SandboxUserName,
  ca: { pair: CertAndKey; cert: X509Certificate },
  now: Date,
): Promise<SandboxUser> {
  const userDir = join(dir, 'users', name);
  await mkdir(userDir, { recursive: true, mode: 0o700 });
  const certPath = join(userDir, 'usercert.pem');
  const keyPath = join(userDir, 'userkey.pem');
  const spec: LeafSpec = {
    subject: `${BASE_DN}, CN=${USERS[name]}`,
    usage: 'client',
    notBefore: shift(now, -HOUR),
    notAfter: shift(now, 365 * DAY),
  };
  const user = await loadOrIssue(certPath, keyPath, now, ca.cert, () => issueLeaf(ca.pair, spec));
  const proxyPath = join(userDir, 'proxy.pem');
  const expiredProxyPath = join(userDir, 'proxy-expired.pem');
  const existing = await readIfExists(proxyPath);
  // A proxy file ends with the user certificate it was made from.
  const proxyUsable =
    !user.fresh &&
    existing !== undefined &&
    existing.trimEnd().endsWith(user.pair.certPem.trimEnd()) &&
    stillGood(existing, now, HOUR);
  if (!proxyUsable) {
    const window = { notBefore: shift(now, -5 * 60_000), notAfter: shift(now, 12 * HOUR) };
    await writeSecret(proxyPath, await makeProxy(user.pair.certPem, user.pair.keyPem, window));
  }
  if (user.fresh || !existsSync(expiredProxyPath)) {
    const window = { notBefore: shift(now, -2 * HOUR), notAfter: shift(now, -HOUR) };
    await writeSecret(expiredProxyPath, await makeProxy(user.pair.certPem, user.pair.keyPem, window));
  }
  const dn = slashDn(new x509.X509Certificate(user.pair.certPem).subjectName);
  return { dn, certPath, keyPath, proxyPath, expiredProxyPath };
}

/**
 * The sandbox PKI in `dir`: made on first use, reused while valid. Anything invalid or
 * near expiry is reissued, and everything below a reissued CA with it.
 */
export async function ensurePki(dir: string, opts: { now?: Date } = {}): Promise<SandboxPki> {
  const now = opts.now ?? new Date();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const caCertPath = join(dir, 'ca.pem');
  const caKeyPath = join(dir, 'ca.key');
  const caWindow = { notBefore: shift(now, -HOUR), notAfter: shift(now, 10 * 365 * DAY) };
  const ca = await loadOrIssue(caCertPath, caKeyPath, now, undefined, () =>
    createCa(`${BASE_DN}, CN=lakeprobe sandbox CA`, caWindow),
  );
  if (ca.fresh) await rm(join(dir, 'users'), { recursive: true, force: true });
  const caCert = new X509Certificate(ca.pair.certPem);
  const hostCertPath = join(dir, 'hostcert.pem');
  const hostKeyPath = join(dir, 'hostkey.pem');
  const hostSpec: LeafSpec = {
    subject: `${BASE_DN}, CN=localhost`,
    usage: 'server',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    notBefore: shift(now, -HOUR),
    notAfter: shift(now, 365 * DAY),
  };
  const host = await loadOrIssue(hostCertPath, hostKeyPath, now, caCert, () => issueLeaf(ca.pair, hostSpec));
  const certDir = join(dir, 'certificates');
  await writeTrustDir(certDir, caCertPath, ca.pair.certPem);
  const caPair = { pair: ca.pair, cert: caCert };
  return {
    dir,
    certDir,
    caCertPem: ca.pair.certPem,
    caCertPath,
    caKeyPath,
    host: { ...host.pair, certPath: hostCertPath, keyPath: hostKeyPath },
    users: {
      member: await ensureUser(dir, 'member', caPair, now),
      nonmember: await ensureUser(dir, 'nonmember', caPair, now),
    },
  };
}
