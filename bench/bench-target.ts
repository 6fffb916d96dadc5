// Shared parts of the storage benchmarks: a sandbox lake with XRootD RSEs (started here,
// or an already running one named by --sandbox-dir), command-line flags, tools, medians.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadX509Proxy } from '../src/lake/credentials/index.js';
import type { X509Credential } from '../src/lake/credentials/types.js';
import { isSandboxAlive, readSandboxState, type SandboxState } from '../src/sandbox/state.js';

/** `--name value` flags; a bare `--name` is 'true'. */
export function flags(argv = process.argv.slice(2)): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out.set(arg.slice(2), next);
      i++;
    } else out.set(arg.slice(2), 'true');
  }
  return out;
}

export function intFlag(f: Map<string, string>, name: string, fallback: number, max: number): number {
  const value = Number(f.get(name) ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new RangeError(`--${name} must be an integer from 1 to ${max}`);
  return value;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const mb = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;

export async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Runs a tool; fails with its stderr when it exits non-zero. */
export function tool(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, stdinFile?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: [stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += String(c)));
    child.stderr!.on('data', (c: Buffer) => (err = (err + String(c)).slice(-2000)));
    if (stdinFile) void import('node:fs').then(({ createReadStream }) => createReadStream(stdinFile).pipe(child.stdin!));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err.trim()}`))));
  });
}

export interface BenchTarget {
  state: SandboxState;
  /** https://host:port of the first RSE, and its root://. */
  davs: string;
  roots: string;
  caPem: string;
  proxyPath: string;
  proxy: X509Credential;
  /** Environment for xrdcp/curl: the member's proxy and the sandbox CA directory. */
  toolEnv: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

async function waitForState(dir: string, child?: ChildProcess): Promise<SandboxState> {
  for (let i = 0; i < 600; i++) {
    if (child && child.exitCode !== null) break;
    const state = await readSandboxState(dir);
    if (state && (await isSandboxAlive(state))) return state;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no running sandbox in ${dir}`);
}

/** The running sandbox in --sandbox-dir, or a new one with XRootD storage (stopped by close()). */
export async function openBenchTarget(f: Map<string, string>): Promise<BenchTarget> {
  let dir = f.get('sandbox-dir');
  let child: ChildProcess | undefined;
  let tmp: string | undefined;
  if (!dir) {
    tmp = await mkdtemp(join(tmpdir(), 'lakeprobe-bench-'));
    dir = join(tmp, 'sandbox');
    const bin = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
    child = spawn(process.execPath, [bin, 'sandbox', 'serve', '--dir', dir, '--storage', f.get('storage') ?? 'xrootd'], { stdio: 'ignore' });
  }
  const state = await waitForState(dir, child);
  const rse = state.rses.find((r) => r.name === (f.get('rse') ?? 'SANDBOX-FAST')) ?? state.rses[0]!;
  const proxyPath = state.env.X509_USER_PROXY!;
  return {
    state,
    davs: rse.url,
    roots: (rse.rootUrl ?? '').replace(/^root:/, 'roots:'),
    caPem: await readFile(state.caCertPath, 'utf8'),
    proxyPath,
    proxy: await loadX509Proxy(proxyPath),
    toolEnv: { ...process.env, X509_USER_PROXY: proxyPath, X509_CERT_DIR: state.env.X509_CERT_DIR, XRD_LOGLEVEL: 'Error' },
    close: async () => {
      if (child) {
        child.kill('SIGTERM');
        if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      }
      if (tmp) await rm(tmp, { recursive: true, force: true });
    },
  };
}
