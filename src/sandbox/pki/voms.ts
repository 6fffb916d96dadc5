// VOMS proxies without a VOMS server: voms-proxy-fake signs the attribute certificate
// with the sandbox host certificate, and verifiers trust that signer through an .lsc
// file (signer DN, then its CA's DN) in `<vomsdir>/<vo>/<host>.lsc`.
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { slashDn } from './distinguished-name.js';
import type { SandboxPki, SandboxUserName } from './ensure-pki.js';
import { x509 } from './x509.js';

export const VOMS_PROXY_FAKE = '/usr/bin/voms-proxy-fake';
/** The VOMS "server" named in every attribute certificate; nothing listens there. */
export const VOMS_SIGNER_HOST = 'localhost';
const VOMS_SIGNER_URI = `${VOMS_SIGNER_HOST}:15000`;
const HOUR_SECONDS = 3600;
const TIMEOUT_MS = 30_000;

const VO_NAME = /^[A-Za-z0-9._-]+$/;
const FQAN = /^\/[A-Za-z0-9._\-/=]+$/;

function checkedVo(vo: string): string {
  if (!VO_NAME.test(vo)) throw new RangeError(`VO name ${JSON.stringify(vo)} is not a plain identifier`);
  return vo;
}

export interface VomsProxyOptions {
  pki: SandboxPki;
  user: SandboxUserName;
  vo: string;
  /** Groups granted, e.g. '/lakeprobe/embargo'; a bare group gets `/Role=NULL/Capability=NULL`. */
  fqans: string[];
  lifetimeSeconds: number;
  /**
   * When the attribute certificate ends, in seconds from now (negative: it has already expired);
   * default: with the proxy. A proxy outliving its AC is what voms-proxy-init -valid gives.
   */
  attributeLifetimeSeconds?: number;
  /** Where the proxy file (proxy cert + key + user cert) is written, mode 0600. */
  out: string;
}

/** The full FQAN voms-proxy-fake expects: group, role and capability. */
export function fullFqan(vo: string, fqan: string): string {
  if (!FQAN.test(fqan)) throw new RangeError(`FQAN ${JSON.stringify(fqan)} is not a slash path`);
  if (fqan !== `/${vo}` && !fqan.startsWith(`/${vo}/`)) throw new RangeError(`FQAN ${fqan} is outside VO ${vo}`);
  return fqan.includes('/Role=') ? fqan : `${fqan}/Role=NULL/Capability=NULL`;
}

/**
 * An RFC 3820 proxy of a sandbox user carrying a VOMS attribute certificate for `vo`
 * with exactly `fqans`, valid from now for `lifetimeSeconds` (the AC for `attributeLifetimeSeconds`
 * when given). Returns `out`.
 */
export async function makeVomsProxy(opts: VomsProxyOptions): Promise<string> {
  const vo = checkedVo(opts.vo);
  if (opts.fqans.length === 0) throw new RangeError('a VOMS proxy needs at least one FQAN');
  if (!Number.isInteger(opts.lifetimeSeconds) || opts.lifetimeSeconds <= 0) {
    throw new RangeError(`lifetimeSeconds must be a positive integer, got ${opts.lifetimeSeconds}`);
  }
  // voms-proxy-fake counts lifetimes in whole hours; starting the window in the past
  // by the surplus makes both the proxy and its attributes end exactly when asked.
  const hours = Math.ceil(opts.lifetimeSeconds / HOUR_SECONDS);
  const past = String(hours * HOUR_SECONDS - opts.lifetimeSeconds);
  const acLifetime = opts.attributeLifetimeSeconds ?? opts.lifetimeSeconds;
  if (!Number.isInteger(acLifetime) || Math.abs(acLifetime) > 30 * 24 * HOUR_SECONDS) {
    throw new RangeError(`attributeLifetimeSeconds must be an integer within 30 days, got ${acLifetime}`);
  }
  const acHours = Math.max(1, Math.ceil(acLifetime / HOUR_SECONDS));
  const user = opts.pki.users[opts.user];
  const args = [
    '-rfc',
    '-q',
    '-cert', user.certPath,
    '-key', user.keyPath,
    '-certdir', opts.pki.certDir,
    '-hostcert', opts.pki.host.certPath,
    '-hostkey', opts.pki.host.keyPath,
    '-voms', vo,
    '-uri', VOMS_SIGNER_URI,
    ...opts.fqans.flatMap((f) => ['-fqan', fullFqan(vo, f)]),
    '-hours', String(hours),
    '-vomslife', String(acHours),
    '-pastproxy', past,
    '-pastac', String(acHours * HOUR_SECONDS - acLifetime),
    '-out', opts.out,
  ];
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', X509_CERT_DIR: opts.pki.certDir };
  try {
    await promisify(execFile)(VOMS_PROXY_FAKE, args, { env, timeout: TIMEOUT_MS });
  } catch (err) {
    // Its output names files and DNs only, never key material.
    const e = err as { stderr?: string; stdout?: string; message: string };
    const detail = `${e.stdout ?? ''}${e.stderr ?? ''}`.replace(/\.{3,}/g, '').trim() || e.message;
    throw new Error(`voms-proxy-fake failed for ${opts.user} in VO ${vo}: ${detail}`);
  }
  await chmod(opts.out, 0o600);
  return opts.out;
}

/** The .lsc lines: the signer's DN, then the DN of the CA that issued it. */
export function renderLsc(signerCertPem: string): string {
  const cert = new x509.X509Certificate(signerCertPem);
  return `${slashDn(cert.subjectName)}\n${slashDn(cert.issuerName)}\n`;
}

/** Writes `<vomsDir>/<vo>/<signer host>.lsc` trusting the sandbox host as the VO's signer; returns its path. */
export async function writeVomsDir(vomsDir: string, pki: SandboxPki, vo: string): Promise<string> {
  const dir = join(vomsDir, checkedVo(vo));
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(vomsDir, 0o755);
  await chmod(dir, 0o755);
  const path = join(dir, `${VOMS_SIGNER_HOST}.lsc`);
  await writeFile(path, renderLsc(pki.host.certPem), { mode: 0o644 });
  await chmod(path, 0o644);
  return path;
}
