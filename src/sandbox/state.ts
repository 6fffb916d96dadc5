import { readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** The configuration a lake was started with, so a later command can tell whether it fits. */
export interface SandboxConfigRecord {
  /** Absolute path of the sandbox config file; null: none (the built-in default). */
  path: string | null;
  /** sha256 (hex) of that file's content as the lake read it; null: none. */
  sha256: string | null;
  /** `--storage` given on the command line, which overrides the file. */
  storageOverride?: 'builtin' | 'xrootd';
}

/** What `sandbox up` leaves in its folder so other commands can find the running lake. */
export interface SandboxState {
  pid: number;
  startedAt: string;
  rucioUrl: string;
  issuer: string;
  /** CA certificate of the sandbox PKI, to verify its servers. */
  caCertPath: string;
  storage: 'builtin' | 'xrootd';
  rses: { name: string; url: string; rootUrl?: string }[];
  /** Fault admin API (`lakeprobe sandbox fault ...`) and the file holding its secret. */
  faultAdminUrl: string;
  faultSecretFile: string;
  /** The env snippet: RUCIO_CONFIG, X509_USER_PROXY, X509_CERT_DIR, BEARER_TOKEN_FILE, LAKEPROBE_NONMEMBER_PROXY/_TOKEN_FILE. */
  env: Record<string, string>;
  /** Absent in states written before lakeprobe recorded it. */
  config?: SandboxConfigRecord;
}

const stateFile = (dir: string): string => join(dir, 'state.json');

export async function writeSandboxState(dir: string, state: SandboxState): Promise<void> {
  await writeFile(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export async function readSandboxState(dir: string): Promise<SandboxState | null> {
  try {
    return JSON.parse(await readFile(stateFile(dir), 'utf8')) as SandboxState;
  } catch {
    return null;
  }
}

export async function removeSandboxState(dir: string): Promise<void> {
  await rm(stateFile(dir), { force: true });
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Alive = the recorded process exists and its catalogue answers /ping. */
export async function isSandboxAlive(state: SandboxState): Promise<boolean> {
  if (!processAlive(state.pid)) return false;
  const { request } = await import('node:https');
  const ca = await readFile(state.caCertPath, 'utf8').catch(() => null);
  if (ca === null) return false;
  return new Promise((resolve) => {
    const req = request(`${state.rucioUrl}/ping`, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.end();
  });
}

/** The env snippet as shell export lines. */
export function envSnippet(env: Record<string, string>): string {
  return Object.entries(env).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`).join('\n');
}
