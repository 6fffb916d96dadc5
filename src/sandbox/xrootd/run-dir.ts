// The run directory of one xrootd instance and the ownership rules of `-R xrootd`:
// after dropping to that user the server must still reach its data, admin path, logs,
// key copy and token key cache.
import { chmod, chown, copyFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { SandboxPki } from '../pki/index.js';

export const SERVICE_USER = 'xrootd';

export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
}

export interface RunLayout {
  runDir: string;
  config: string;
  gridmap: string;
  authdb: string;
  scitokens: string;
  hostCert: string;
  hostKey: string;
  certDir: string;
  /** X509_VOMS_DIR: `<vo>/<signer host>.lsc` files naming trusted VOMS signers. */
  vomsDir: string;
  adminDir: string;
  logDir: string;
  cacheHome: string;
}

export function runLayout(runDir: string): RunLayout {
  const dir = resolve(runDir);
  return {
    runDir: dir,
    config: join(dir, 'xrootd.cfg'),
    gridmap: join(dir, 'gridmap'),
    authdb: join(dir, 'authdb'),
    scitokens: join(dir, 'scitokens.cfg'),
    hostCert: join(dir, 'tls', 'hostcert.pem'),
    hostKey: join(dir, 'tls', 'hostkey.pem'),
    certDir: join(dir, 'certificates'),
    vomsDir: join(dir, 'vomsdir'),
    adminDir: join(dir, 'admin'),
    logDir: join(dir, 'logs'),
    cacheHome: join(dir, 'cache'),
  };
}

/** The account xrootd drops to, from /etc/passwd; an error when it does not exist. */
export async function serviceUser(name = SERVICE_USER): Promise<ServiceUser> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { name, uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`user ${name} does not exist; install the xrootd-server package, which creates it`);
}

/** Fails unless `user` can traverse every directory from / down to `path`. */
export async function assertReachable(path: string, user: ServiceUser): Promise<void> {
  const dirs: string[] = [];
  for (let d = resolve(path); ; d = dirname(d)) {
    dirs.unshift(d);
    if (d === dirname(d)) break;
  }
  for (const d of dirs) {
    const s = await stat(d);
    const bit = s.uid === user.uid ? 0o100 : s.gid === user.gid ? 0o010 : 0o001;
    if ((s.mode & bit) === 0) {
      throw new Error(`user ${user.name} cannot enter ${d} (mode ${(s.mode & 0o777).toString(8)}); make it traversable (chmod o+x)`);
    }
  }
}

async function chownTree(path: string, user: ServiceUser): Promise<void> {
  await chown(path, user.uid, user.gid);
  const s = await stat(path);
  if (!s.isDirectory()) return;
  for (const name of await readdir(path)) await chownTree(join(path, name), user);
}

/**
 * Creates the run directory: a copy of the host certificate and of the trust directory
 * (the PKI folder itself is private to root), a key readable only by xrootd, and
 * xrootd-owned admin, log and cache folders. The data root is handed over to xrootd.
 */
export async function prepareRunDir(layout: RunLayout, root: string, pki: SandboxPki, user: ServiceUser): Promise<void> {
  await mkdir(layout.runDir, { recursive: true, mode: 0o755 });
  await chmod(layout.runDir, 0o755);
  await mkdir(dirname(layout.hostCert), { recursive: true, mode: 0o755 });
  await copyFile(pki.host.certPath, layout.hostCert);
  await chmod(layout.hostCert, 0o644);
  await copyFile(pki.host.keyPath, layout.hostKey);
  await chown(layout.hostKey, user.uid, user.gid);
  await chmod(layout.hostKey, 0o400);
  // Rebuilt each time so a reissued CA leaves no stale hash link behind.
  await rm(layout.certDir, { recursive: true, force: true });
  await mkdir(layout.certDir, { recursive: true, mode: 0o755 });
  for (const name of await readdir(pki.certDir)) {
    await copyFile(join(pki.certDir, name), join(layout.certDir, name));
    await chmod(join(layout.certDir, name), 0o644);
  }
  for (const dir of [layout.adminDir, layout.logDir, layout.cacheHome]) {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chown(dir, user.uid, user.gid);
  }
  await mkdir(root, { recursive: true });
  await chownTree(root, user);
  for (const path of [layout.runDir, root]) await assertReachable(path, user);
}
