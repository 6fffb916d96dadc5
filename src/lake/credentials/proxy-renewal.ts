// An x509 proxy renewed by a command the plan names (voms-proxy-init, myproxy-logon, a
// site's own script) when it comes within a margin of its expiry: run, probe and the
// daemon check it before each run, the daemon also on its credential timer. The command
// runs without a shell, bounded in time (its process group is killed at the timeout),
// with X509_USER_PROXY pointing at the proxy; its output is kept short and redacted. A
// failure is a warning while the proxy still holds; once it has expired the operations
// fail as auth_expired like any expired proxy.
import { spawn } from 'node:child_process';
import { loadX509Proxy } from './x509.js';

export interface ProxyRenewalSpec {
  /** argv of the renewal command (no shell). */
  command: string[];
  /** Renew when the proxy has at most this long left. */
  marginSeconds: number;
  /** Kill the command after this long. */
  timeoutSeconds: number;
}

/** What the status page and metrics show of a proxy lakeprobe renews: never its output unredacted. */
export interface ProxyRenewalState {
  proxy: string;
  /** The command's name (argv[0]); its arguments may hold secrets and are not shown. */
  command: string;
  lastAttempt: Date | null;
  lastSuccess: Date | null;
  /** Why the last attempt failed (redacted), null once one succeeds. */
  lastError: string | null;
  renewals: number;
  failures: number;
}

export const DEFAULT_PROXY_RENEW_MARGIN_SECONDS = 3600;
export const DEFAULT_PROXY_RENEW_TIMEOUT_SECONDS = 120;
/** Output kept from the command for a failure message. */
const MAX_OUTPUT_CHARS = 4096;
const MAX_MESSAGE_CHARS = 300;
/** Proxies whose renewal state is kept (one per plan proxy; a reload may name another). */
const MAX_TRACKED_PROXIES = 16;
/** A failed command is not run again sooner than this (a fraction of the margin, at most a minute). */
const MAX_RETRY_PAUSE_MS = 60_000;

const states = new Map<string, { state: ProxyRenewalState; pending: Promise<ProxyRenewalOutcome> | null }>();

export interface ProxyRenewalOutcome {
  /** 'fresh': nothing to do; 'renewed': the command gave a proxy beyond the margin; 'failed': see state.lastError. */
  result: 'fresh' | 'renewed' | 'failed' | 'waiting';
  state: ProxyRenewalState;
  /** Expiry of the proxy after the attempt, null when it cannot be read. */
  expiresAt: Date | null;
}

export interface ProxyRenewalOptions {
  redact: (text: string) => string;
  now?: () => Date;
  env?: NodeJS.ProcessEnv;
}

async function proxyExpiry(path: string): Promise<Date | null> {
  try {
    return (await loadX509Proxy(path, { allowExpired: true })).notAfter;
  } catch {
    return null;
  }
}

/** Renews the proxy with its command when it is unreadable or within the margin of its expiry; one attempt at a time. */
export function renewProxyIfDue(proxy: string, spec: ProxyRenewalSpec, opts: ProxyRenewalOptions): Promise<ProxyRenewalOutcome> {
  let entry = states.get(proxy);
  if (!entry) {
    if (states.size >= MAX_TRACKED_PROXIES) states.delete(states.keys().next().value as string);
    entry = {
      state: { proxy, command: spec.command[0] ?? '', lastAttempt: null, lastSuccess: null, lastError: null, renewals: 0, failures: 0 },
      pending: null,
    };
    states.set(proxy, entry);
  }
  const held = entry;
  held.state.command = spec.command[0] ?? '';
  held.pending ??= attempt(held.state, spec, opts).finally(() => { held.pending = null; });
  return held.pending;
}

async function attempt(state: ProxyRenewalState, spec: ProxyRenewalSpec, opts: ProxyRenewalOptions): Promise<ProxyRenewalOutcome> {
  const now = opts.now ?? (() => new Date());
  const before = await proxyExpiry(state.proxy);
  const marginMs = spec.marginSeconds * 1000;
  if (before && before.getTime() - now().getTime() > marginMs) return { result: 'fresh', state, expiresAt: before };
  const pause = Math.min(MAX_RETRY_PAUSE_MS, marginMs / 4);
  if (state.lastError && state.lastAttempt && now().getTime() - state.lastAttempt.getTime() < pause) {
    return { result: 'waiting', state, expiresAt: before };
  }
  state.lastAttempt = now();
  let error: string | null;
  try {
    error = await runCommand(spec, state.proxy, opts.env ?? process.env);
  } catch (e) {
    error = (e as Error).message;
  }
  const after = await proxyExpiry(state.proxy);
  if (!error && (!after || after.getTime() - now().getTime() <= marginMs)) {
    error = after ? `exited 0 but the proxy still expires at ${after.toISOString()}, within the ${spec.marginSeconds} s margin`
      : 'exited 0 but left no readable proxy';
  }
  if (error) {
    const line = opts.redact(`${state.command}: ${error}`).replace(/\s+/g, ' ').trim();
    state.lastError = line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS - 1)}…` : line;
    state.failures++;
    return { result: 'failed', state, expiresAt: after };
  }
  Object.assign(state, { lastSuccess: now(), lastError: null, renewals: state.renewals + 1 });
  return { result: 'renewed', state, expiresAt: after };
}

/** Runs the command in its own process group; resolves to null on exit 0, else why it failed. */
function runCommand(spec: ProxyRenewalSpec, proxy: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const [file, ...args] = spec.command;
  if (!file) return Promise.resolve('no command');
  return new Promise((resolve) => {
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
    };
    const child = spawn(file, args, { env: { ...env, X509_USER_PROXY: proxy }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, spec.timeoutSeconds * 1000);
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code === 'ENOENT' ? 'command not found' : e.message);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = output.trim().split('\n').slice(-3).join(' / ');
      if (timedOut) resolve(`killed after ${spec.timeoutSeconds} s (timeout)${tail ? `: ${tail}` : ''}`);
      else if (code === 0) resolve(null);
      else resolve(`exit ${code ?? signal ?? '?'}${tail ? `: ${tail}` : ''}`);
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** The renewal state of every proxy lakeprobe renews, for the status page and metrics. */
export function proxyRenewalStates(): ProxyRenewalState[] {
  return [...states.values()].map((e) => ({ ...e.state }));
}

/** Forgets every proxy's renewal state (tests). */
export function forgetProxyRenewals(): void {
  states.clear();
}
