// HTTP(S) transport for the Rucio REST API on node:http/node:https (client certificates,
// custom trust anchors, and interceptable by nock), plus parsing of Rucio's answers:
// JSON, x-json-stream and the ExceptionClass/ExceptionMessage error convention.
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { RucioApiError } from '../errors.js';
import { RequestWatchdog, resolveTimeouts, type StorageTimeouts, type WatchPhase } from '../storage/timeouts.js';
import { DEFAULT_RETRY, MAX_RETRY_ATTEMPTS, noteRetry, retryDelayMs, retrySafe, TRANSIENT_CODES, TRANSIENT_STATUSES, type RetryPolicy } from './retry.js';

export interface TransportOptions {
  /** PEM trust anchors; empty means Node's default roots. */
  ca: string[];
  /** Client certificate chain (proxy first) and key, presented during the TLS handshake. */
  certPem?: string;
  keyPem?: string;
  insecure?: boolean;
  /** One limit for connect, first byte and stall (older form); `timeouts` wins phase by phase. */
  timeoutMs?: number;
  /** Per-phase limits, as the plan's `lake.timeouts` sets them (default DEFAULT_CATALOGUE_TIMEOUTS). */
  timeouts?: Partial<StorageTimeouts>;
  /** What the server is (e.g. 'catalogue'): a failure names it with its host:port. */
  service?: string;
  /** Retries of retry-safe calls after a transient failure (default DEFAULT_RETRY). */
  retry?: RetryPolicy;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Set when a retry-safe call still had a transient answer after this many attempts. */
  attempts?: number;
}

/** As storage requests, plus a bound on the whole call: a catalogue answer that trickles must end too. */
export const DEFAULT_CATALOGUE_TIMEOUTS: StorageTimeouts = { connectMs: 60_000, firstByteMs: 60_000, stallMs: 60_000, totalMs: 300_000 };

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const BODY_HEAD_CHARS = 200;

export class HttpTransport {
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly timeouts: StorageTimeouts;

  constructor(
    private readonly options: TransportOptions,
    /** Values to blank out of any error message (passwords, tokens, key material). */
    private readonly secrets: () => string[] = () => [],
  ) {
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      ca: options.ca.length > 0 ? options.ca : undefined,
      cert: options.certPem,
      key: options.keyPem,
      rejectUnauthorized: !options.insecure,
    });
    this.timeouts = resolveTimeouts(options, DEFAULT_CATALOGUE_TIMEOUTS);
  }

  /**
   * Sends the request; a retry-safe one (see retrySafe) is sent again after a transient
   * answer (502/503/504) or a dropped connection, with bounded exponential backoff. The
   * attempts are noted for the running operation, and named in the last error.
   */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const policy = this.options.retry ?? DEFAULT_RETRY;
    const attempts = retrySafe(request.method, request.url.pathname)
      ? Math.max(1, Math.min(MAX_RETRY_ATTEMPTS, Math.floor(policy.attempts))) : 1;
    const seen: string[] = [];
    const what = `${request.method} ${request.url.pathname}`;
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse | undefined;
      let failure: NodeJS.ErrnoException | undefined;
      try {
        response = await this.sendFollowing(request);
      } catch (e) {
        failure = e as NodeJS.ErrnoException;
      }
      const transient = response ? TRANSIENT_STATUSES.has(response.status) : TRANSIENT_CODES.has(String(failure?.code ?? ''));
      if (!transient || attempt >= attempts) {
        if (seen.length > 0) {
          const outcome = response && !transient ? `${response.status}` : 'gave up';
          noteRetry(`${what}: ${attempt} attempts (${[...seen, response ? String(response.status) : String(failure?.code)].join(', ')}): ${outcome}`);
          if (failure) failure.message = `${failure.message} (after ${attempt} attempts: ${seen.join(', ')}, ${String(failure.code)})`;
          if (response && transient) response.attempts = attempt;
        }
        if (failure) throw failure;
        return response as HttpResponse;
      }
      seen.push(response ? String(response.status) : String(failure?.code));
      const retryAfter = response?.headers['retry-after'];
      await new Promise((r) => setTimeout(r, retryDelayMs(policy, attempt, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter)));
    }
  }

  /** Sends the request, following same-origin redirects (Rucio's whoami answers a relative 303). */
  private async sendFollowing(request: HttpRequest): Promise<HttpResponse> {
    let current = request;
    for (let hop = 0; ; hop++) {
      const response = await this.sendOnce(current);
      const location = response.headers.location;
      if (!REDIRECT_STATUSES.has(response.status) || !location || hop >= MAX_REDIRECTS) return response;
      const next = new URL(location, current.url);
      // The auth token travels in a header: never carry it to another origin.
      if (next.origin !== current.url.origin) return response;
      current = response.status === 303
        ? { method: 'GET', url: next, headers: current.headers }
        : { ...current, url: next };
    }
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  /**
   * One request under the watchdog of src/lake/storage/timeouts.ts: connect until the connection
   * (TLS session) is up, first byte from then until the answer's headers, stall while the body
   * comes, total over all. A failure names the server's host:port and, for a timeout, which
   * `lake.timeouts` limit fired.
   */
  private sendOnce(request: HttpRequest): Promise<HttpResponse> {
    const { url } = request;
    const secure = url.protocol === 'https:';
    const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
    const headers = body ? { ...request.headers, 'Content-Length': String(body.length) } : request.headers;
    const send = secure ? https.request : http.request;
    const what = `${request.method} ${url.pathname}`;

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let response: http.IncomingMessage | undefined;
      const finish = (error: Error | null, answer?: HttpResponse): void => {
        if (settled) return;
        settled = true;
        watchdog.stop();
        if (error) reject(this.scrub(this.located(error, url, what)));
        else resolve(answer as HttpResponse);
      };
      const watchdog = new RequestWatchdog(this.timeouts, (error) => (response ? response.destroy(error) : req.destroy(error)));

      const req = send(url, { method: request.method, headers, agent: secure ? this.httpsAgent : this.httpAgent }, (res) => {
        response = res;
        watchdog.enter('stall');
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          watchdog.progress();
          chunks.push(chunk);
        });
        res.on('error', (error) => finish(error));
        res.on('end', () => finish(null, {
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? '',
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }));
        res.on('close', () => {
          if (!res.complete) finish(nodeError('ECONNRESET', 'connection closed before the answer was complete'));
        });
      });

      let up = false;
      const connected = (): void => {
        up = true;
        if (!response) watchdog.enter('first_byte');
      };
      req.on('socket', (socket: Socket) => {
        if (req.reusedSocket || !socket.connecting) connected();
        else socket.once(secure ? 'secureConnect' : 'connect', connected);
      });
      // The first-byte clock runs from the end of what we send (a TLS socket takes the request before its handshake).
      req.on('finish', () => {
        if (up) connected();
      });
      req.on('error', (error) => finish(error));
      req.end(body);
    });
  }

  /** The error with the server's host:port and the call; a timeout also says which limit fired. */
  private located(error: Error, url: URL, what: string): Error {
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const where = `${this.options.service ? `${this.options.service} ` : ''}${url.hostname}:${port}`;
    const phase = (error as { timeoutPhase?: WatchPhase | 'total' }).timeoutPhase;
    const limit = phase ? ` (lake.timeouts.${phase})` : '';
    // The same error may come back from a retried call: located once.
    if (!error.message.startsWith(`${where}: `)) error.message = `${where}: ${what}: ${error.message}${limit}`;
    return error;
  }

  private scrub(error: Error): Error {
    const secrets = this.secrets();
    error.message = redact(error.message, secrets);
    if (error.stack) error.stack = redact(error.stack, secrets);
    return error;
  }
}

function nodeError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('<redacted>');
  return out;
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value ?? '';
}

function bodyHead(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > BODY_HEAD_CHARS ? `${flat.slice(0, BODY_HEAD_CHARS)}...` : flat;
}

/**
 * A Python traceback as a message (Rucio 41 puts traceback.format_exc() in CannotAuthenticate at token
 * validation) shortened to the exception it ends with, on one line.
 */
function lastException(message: string): string {
  const lines = message.trim().split('\n');
  if (lines[0] !== 'Traceback (most recent call last):') return message;
  const frames = lines.reduce((last, line, i) => (line.startsWith(' ') ? i : last), 0);
  return lines.slice(frames + 1).join(' ').trim() || message;
}

/**
 * Builds the error for a non-success answer. The JSON body carries the full message (the
 * headers cut it at 125 characters), so it wins; a proxy's answer has neither.
 */
export function apiError(res: HttpResponse, method: string, path: string, secrets: readonly string[]): RucioApiError {
  let exceptionClass = '';
  let exceptionMessage = '';
  try {
    const parsed: unknown = JSON.parse(res.body);
    if (parsed && typeof parsed === 'object' && 'ExceptionClass' in parsed) {
      const fields = parsed as { ExceptionClass?: unknown; ExceptionMessage?: unknown };
      exceptionClass = String(fields.ExceptionClass ?? '');
      exceptionMessage = String(fields.ExceptionMessage ?? '');
    }
  } catch {
    // Not JSON: fall back to the headers.
  }
  if (!exceptionClass) {
    exceptionClass = header(res.headers, 'exceptionclass');
    exceptionMessage = header(res.headers, 'exceptionmessage');
  }
  if (!exceptionClass && !exceptionMessage) exceptionMessage = bodyHead(res.body) || res.statusMessage;
  exceptionMessage = lastException(exceptionMessage);
  if (res.attempts) exceptionMessage = `${exceptionMessage} (after ${res.attempts} attempts)`;
  return new RucioApiError(res.status, exceptionClass, redact(exceptionMessage, secrets), method, path);
}

/** Parses a JSON answer whatever its Content-Type (POST /rules/ answers JSON as text/html). */
export function parseJson<T>(res: HttpResponse, method: string, path: string): T {
  try {
    return JSON.parse(res.body) as T;
  } catch {
    throw new RucioApiError(res.status, '', `answer is not JSON: ${bodyHead(res.body)}`, method, path);
  }
}

/**
 * Parses an application/x-json-stream answer: one JSON value per line, empty body = empty list.
 * Errors after the first item can only cut the stream short, so an unparsable line fails the call.
 */
export function parseJsonStream<T>(res: HttpResponse, method: string, path: string): T[] {
  const contentType = header(res.headers, 'content-type');
  const trimmed = res.body.trim();
  if (!contentType.includes('x-json-stream') && trimmed.startsWith('[')) return parseJson<T[]>(res, method, path);
  const items: T[] = [];
  for (const line of res.body.split('\n')) {
    if (!line.trim()) continue;
    try {
      items.push(JSON.parse(line) as T);
    } catch {
      throw new RucioApiError(res.status, '', `truncated or malformed x-json-stream line ${items.length + 1}: ${bodyHead(line)}`, method, path);
    }
  }
  return items;
}
