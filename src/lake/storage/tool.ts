// Runs grid command-line tools (xrdcp, xrdfs, gfal-*) as child processes: short queries,
// downloads streamed from stdout and uploads streamed into stdin, each watched by an
// inactivity timer. Failures become StorageErrors carrying the tool's redacted stderr and
// an HTTP-like status inferred from it, so the engine can classify them.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { exactLength } from '../data/exact-length.js';
import { StorageError } from '../errors.js';

export interface ToolDriverOptions {
  /** Longest time a tool may go without progress before it is killed; default 60 s. */
  timeoutMs?: number;
  /** An existing trust directory (hashed CA files, like /etc/grid-security/certificates) instead of `auth.ca`. */
  certDir?: string;
  /** Directory holding the tools; default: found on PATH. */
  toolDir?: string;
}

export interface ToolCall {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Directory holding a command given by name; found on PATH when absent. */
  toolDir?: string;
  /** The operation and (redacted) URL, for errors. */
  method: string;
  url: string;
  secrets: readonly string[];
  /** Longest time without progress before the tool is killed. */
  timeoutMs: number;
}

export interface ToolResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Debian packages that ship each command, for the "not installed" message. */
const PACKAGES: Record<string, string> = {
  xrdcp: 'xrootd-client',
  xrdfs: 'xrootd-client',
};
function packageOf(command: string): string {
  const name = basename(command);
  return PACKAGES[name] ?? (name.startsWith('gfal-') ? 'gfal2-util-scripts' : name);
}

const MAX_CAPTURE = 64 * 1024;
export const MAX_DETAIL = 300;

/** XrdCl log prefix: `[2024-01-01 00:00:00.000 +0000][Error  ][PostMaster        ] `. */
const XRD_LOG_PREFIX = /^\[[\d :.+-]+\]\[\w+\s*\]\[\w+\s*\]\s*/;
/** Lines that say nothing about the cause. */
const NOISE = /pConnectionWindow|Trying to recover|\(SEToken\)|^Traceback|^\s+File "|^\s+\^+$|^\s*$/;

/** Removes known secrets and credential-shaped text (tokens in CGI, Bearer headers). */
export function redactToolText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out
    .replace(/\b(authz|access_token|token)=[^&\s"']+/gi, '$1=***')
    .replace(/\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, '$1***')
    .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, '***');
}

/** A URL fit for messages: no user info, no token. */
export function redactUrl(url: string, secrets: readonly string[]): string {
  return redactToolText(url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1'), secrets);
}

/**
 * One line from a tool's output: the final verdict first, then the distinct log lines that
 * name a cause (XrdCl logs "connection refused" only in its log, not in the verdict).
 */
export function toolDetail(result: ToolResult, secrets: readonly string[]): string {
  const meaningful = (text: string): string[] =>
    text.split('\n').map((line) => line.replace(XRD_LOG_PREFIX, '').trim()).filter((line) => !NOISE.test(line));
  // stdout carries answers (and gfal-copy's event log); only gfal-rm reports failures there alone.
  const fromStderr = meaningful(result.stderr);
  const lines = fromStderr.length > 0 ? fromStderr : meaningful(result.stdout);
  const verdict = [...lines].reverse().find((line) => /error|fail|denied|refused|MISSING/i.test(line)) ?? lines.at(-1);
  const ordered = [...new Set([verdict, ...lines].filter((line): line is string => Boolean(line)))];
  const detail = redactToolText(ordered.join('; '), secrets);
  const fallback = result.exitCode === null ? 'killed' : `exit code ${result.exitCode}`;
  return (detail || fallback).slice(0, MAX_DETAIL);
}

/** The HTTP status the tool's words amount to: 401 authentication, 403 authorization, 404 missing, else 0. */
export function inferStatus(detail: string): number {
  if (/(?:proxy|certificate|credential|token)[^;]*expired|auth(?:entication)? failed|Authentication with \w+ failed|HTTP 401\b|invalid (?:token|credential)/i.test(detail)) return 401;
  if (/\[3010\]|permission (?:denied|refused)|operation not permitted|not authori[sz]ed|forbidden|HTTP 403\b/i.test(detail)) return 403;
  if (/\[3011\]|no such file|not found|\bMISSING\b|HTTP 404\b/i.test(detail)) return 404;
  return 0;
}

/** XrdCl words for its own timeouts, which the engine's classifier does not know. */
const XRD_TIMEOUT = /Operation expired|Socket timeout/i;

export function toolError(call: ToolCall, result: ToolResult): StorageError {
  if (result.exitCode === 127) {
    // A wrapper script (gfal-*) whose interpreter is missing; its "not found" must not read as a missing file.
    return new StorageError(0, call.method, call.url,
      `${basename(call.command)} cannot start (exit 127: its interpreter is missing); install Debian package ${packageOf(call.command)}`);
  }
  const text = toolDetail(result, call.secrets);
  const detail = XRD_TIMEOUT.test(text) ? `timed out: ${text}`.slice(0, MAX_DETAIL) : text;
  return new StorageError(inferStatus(detail), call.method, call.url, detail);
}

/**
 * XrdCl settings, for xrdcp/xrdfs and for gfal2's xrootd plugin (XrdCl runs inside it).
 * The security protocol follows the identity presented: gsi for x509, ztn for a token.
 */
export function xrootdClientEnv(timeoutMs: number, identity: 'token' | 'x509' | 'none'): NodeJS.ProcessEnv {
  const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  const protocol = identity === 'token' ? { XrdSecPROTOCOL: 'ztn' } : identity === 'x509' ? { XrdSecPROTOCOL: 'gsi' } : {};
  return {
    ...protocol,
    // One connection attempt within the timeout (the defaults retry for minutes); the engine owns retries.
    XRD_CONNECTIONRETRY: '1',
    XRD_CONNECTIONWINDOW: seconds,
    XRD_REQUESTTIMEOUT: seconds,
    XRD_STREAMTIMEOUT: seconds,
    // The verdict alone ("[FATAL] Connection error") hides the cause; error-level log lines name it.
    XRD_LOGLEVEL: 'Error',
  };
}

function timeoutError(call: ToolCall): StorageError {
  const error = new StorageError(0, call.method, call.url, `timed out: no progress for ${call.timeoutMs} ms (${call.command} killed)`);
  // The engine's class for a stall after connecting.
  return Object.assign(error, { code: 'ESOCKETTIMEDOUT' });
}

function spawnError(call: ToolCall, error: NodeJS.ErrnoException): StorageError {
  const detail = error.code === 'ENOENT'
    ? `${call.command} not installed (Debian package ${packageOf(call.command)})`
    : `${call.command} could not be started: ${error.code ?? error.message}`;
  return new StorageError(0, call.method, call.url, detail);
}

/**
 * Bytes the process has read and written (any file, pipe or socket read through
 * read/write), from /proc; null where there is no /proc. A quiet `gfal-copy` uploading
 * a spooled file shows its progress only here.
 */
function ioBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return Number(/^rchar:\s*(\d+)/m.exec(io)?.[1] ?? 0) + Number(/^wchar:\s*(\d+)/m.exec(io)?.[1] ?? 0);
  } catch {
    return null;
  }
}

interface Running {
  child: ChildProcess;
  /** Settles once the child has exited and its output is closed; rejects if it could not start or stalled. */
  done: Promise<ToolResult>;
  /** Marks progress seen outside the child's output (e.g. stdin taken). */
  touch(): void;
  /** Kills the child; `done` then rejects with `reason`. */
  abort(reason: Error): void;
}

const kill = (child: ChildProcess): void => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
};

/**
 * Starts the command under a watchdog: after `timeoutMs` without output, without I/O and
 * without `touch()`, it is killed and `done` rejects with ESOCKETTIMEDOUT. `waitingOnUs`
 * says when the stall is the consumer's, not the tool's.
 */
function start(call: ToolCall, captureStdout: boolean, stdin: 'pipe' | 'ignore', waitingOnUs: () => boolean = () => false): Running {
  const command = call.toolDir && !isAbsolute(call.command) ? join(call.toolDir, call.command) : call.command;
  const child = spawn(command, call.args, { env: call.env, stdio: [stdin, 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let failure: Error | undefined;
  const abort = (reason: Error): void => {
    failure ??= reason;
    kill(child);
  };
  let lastProgress = Date.now();
  let lastIo = ioBytes(child.pid);
  const touch = (): void => {
    lastProgress = Date.now();
  };
  const timer = setInterval(() => {
    const io = ioBytes(child.pid);
    if (io !== lastIo || waitingOnUs()) touch();
    else if (Date.now() - lastProgress >= call.timeoutMs) abort(timeoutError(call));
    lastIo = io;
  }, Math.max(50, Math.min(1000, call.timeoutMs / 4)));
  child.stderr!.on('data', (chunk: Buffer) => {
    touch();
    if (stderr.length < MAX_CAPTURE) stderr += chunk.toString('utf8');
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    touch();
    if (captureStdout && stdout.length < MAX_CAPTURE) stdout += chunk.toString('utf8');
  });
  const done = new Promise<ToolResult>((resolve, reject) => {
    child.once('error', (error) => reject(spawnError(call, error)));
    child.once('close', (exitCode) => (failure ? reject(failure) : resolve({ exitCode, stdout, stderr })));
  }).finally(() => clearInterval(timer));
  return { child, done, touch, abort };
}

/** Runs a short command to its end and returns its output, whatever its exit code. */
export function runTool(call: ToolCall): Promise<ToolResult> {
  return start(call, true, 'ignore').done;
}

/**
 * Streams the command's stdout. Resolves once the first byte arrives (or the command
 * ends without output), so an error reported before any data rejects here; a failure
 * later destroys the stream. `failed` tells a failed run from a good one.
 * `onExit` runs once the command has ended.
 */
export function readFromTool(
  call: ToolCall,
  failed: (result: ToolResult) => boolean,
  onExit: () => Promise<void>,
): Promise<Readable> {
  const out = new PassThrough();
  // A consumer that stops reading stops the tool's output too: that is not the tool stalling.
  const { child, done } = start(call, false, 'ignore', () => out.writableNeedDrain);
  child.stdout!.pipe(out, { end: false });
  out.once('close', () => kill(child));

  const outcome = done.then((result) => {
    if (failed(result)) throw toolError(call, result);
  });
  // The error goes to the stream only once a caller holds it; before that, the returned promise rejects.
  let handedOut = false;
  void outcome.then(() => out.end(), (error: Error) => (handedOut ? out.destroy(error) : out.destroy()))
    .finally(() => void onExit());

  return new Promise((resolve, reject) => {
    const handOut = (): void => {
      handedOut = true;
      resolve(out);
    };
    child.stdout!.once('data', handOut);
    outcome.then(handOut, reject);
  });
}

/**
 * Streams exactly `size` bytes of `body` into the command's stdin and waits for it to
 * end. On any failure the command is killed before its stdin closes, so it never takes
 * a short body for a complete one.
 */
export async function writeToTool(call: ToolCall, body: Readable, size: number): Promise<ToolResult> {
  const { child, done, touch, abort } = start(call, true, 'pipe');
  const guard = exactLength(size, (detail) => new StorageError(0, call.method, call.url, detail));
  const progress = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      touch();
      callback(null, chunk);
    },
  });
  body.once('error', abort);
  guard.once('error', abort);
  // EPIPE when the command exits early: its exit status says why.
  child.stdin!.on('error', () => undefined);
  let sent = false;
  progress.once('end', () => (sent = true));
  body.pipe(guard).pipe(progress).pipe(child.stdin!);
  try {
    const result = await done;
    if (result.exitCode === 0 && !sent) {
      throw new StorageError(0, call.method, call.url, `${call.command} ended before reading the whole body`);
    }
    return result;
  } finally {
    if (!body.readableEnded) body.destroy();
  }
}

/** A checksum printed by a tool as lowercase, zero-padded hex; anything else is a StorageError. */
export function toolChecksum(value: string | undefined, algorithm: 'adler32' | 'md5', url: string, answer: string): string {
  if (!value || !/^[0-9a-f]+$/i.test(value)) {
    throw new StorageError(0, 'CHECKSUM', url, `no ${algorithm} checksum in the answer '${answer.trim().slice(0, 80)}'`);
  }
  return value.toLowerCase().padStart(algorithm === 'adler32' ? 8 : 32, '0');
}
