// WebDAV over HTTPS (Rucio schemes 'davs' and 'https') with node:https.
//
// Uploads never buffer: PUT streams the body with Content-Length. To be able to create
// missing parents (or follow a redirect, as dCache and EOS do) and then send the same
// body again, PUT announces `Expect: 100-continue` and starts the body only once the
// server agrees (or stays silent for continueTimeoutMs, as curl does). A server that
// refuses before the body starts leaves the stream untouched, so it can be sent again;
// pass a `() => Readable` factory to allow a retry even after the body was read.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { type Agent, request } from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import { StorageError } from '../errors.js';
import type { BearerToken } from '../credentials/types.js';
import { annotateTokenRefusal } from '../credentials/token-refusal.js';
import type { ChecksumAlgorithm, StatResult, StorageAuth, StorageDriver } from './driver.js';
import { parseDigest } from '../data/digest.js';
import { createTlsAgent } from './tls.js';
import { diagnoseDroppedRequest, diagnosePutFailure, isAmbiguousFailure, type DiagnosisProbes } from './diagnosis.js';
import { EARLY_RESPONSE_BYTES, parseEarlyResponse } from './early-response.js';
import { explainServerCertificate } from './server-certificate.js';
import { RequestWatchdog, resolveTimeouts, type StorageTimeouts } from './timeouts.js';
import { noteTokenUse } from '../credentials/token-use.js';

/** An upload body: a stream (sent at most once), or a factory that opens it again for a retry. */
export type PutBody = Readable | (() => Readable);

export interface DavsDriverOptions {
  /** One limit for connect, first byte and stall (older form of `timeouts`); default 60 s each. */
  timeoutMs?: number;
  /** Per-phase limits (connect, first byte, stall, total); each wins over `timeoutMs`. */
  timeouts?: Partial<StorageTimeouts>;
  /** How long a PUT waits for `100 Continue` before sending the body anyway; default 1 s. */
  continueTimeoutMs?: number;
  /** Redirects followed per request; default 5. */
  maxRedirects?: number;
  /** After a PUT dropped with no answer, find out why with a few small requests (diagnosis.ts); default true. */
  diagnose?: boolean;
}

/** Limits of each follow-up request of a diagnosis: it must stay short. */
const DIAGNOSIS_TIMEOUTS: StorageTimeouts = { connectMs: 10_000, firstByteMs: 10_000, stallMs: 10_000, totalMs: 15_000 };

interface Reply {
  res: IncomingMessage;
  /** Where the final answer came from (after redirects). */
  url: URL;
  /** The per-request token sent (per-operation tokens), so a refusal names that one. */
  token?: BearerToken;
}

interface Outgoing {
  headers?: OutgoingHttpHeaders;
  /** A small fixed payload (PROPFIND) or a streamed upload. */
  payload?: string | { source: BodySource; size: number };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const ERROR_DETAIL_CHARS = 200;
/** exchange() result when a kept-alive connection turned out to be closed by the server. */
const STALE_SOCKET = Symbol('stale socket');

const PROPFIND_BODY =
  '<?xml version="1.0" encoding="utf-8"?>' +
  '<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/></D:prop></D:propfind>';

/** Size and kind from a Depth 0 multistatus answer (any namespace prefix). */
function parsePropfind(xml: string): StatResult {
  const length = /<(?:[\w.-]+:)?getcontentlength\b[^>]*>\s*(\d+)\s*</i.exec(xml);
  return {
    size: length ? Number(length[1]) : 0,
    isDirectory: /<(?:[\w.-]+:)?collection\b[^>]*\/?>/i.test(xml),
  };
}

/** Hands out the upload stream, and knows whether it can be sent (again). */
class BodySource {
  private current: Readable | null;
  private taken = false;

  constructor(private readonly body: PutBody) {
    this.current = typeof body === 'function' ? null : body;
  }

  canResend(): boolean {
    return typeof this.body === 'function' || !this.taken;
  }

  take(): Readable {
    if (this.taken || !this.current) {
      if (typeof this.body !== 'function') throw new Error('the upload body was already sent');
      this.current?.destroy();
      this.current = this.body();
    }
    this.taken = true;
    return this.current;
  }

  dispose(): void {
    this.current?.destroy();
  }
}

const isSuccess = (status: number): boolean => status >= 200 && status < 300;

/** https:// URL for a davs:// or https:// PFN. */
export function toHttpsUrl(pfn: string, method: string): URL {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(pfn)?.[1]?.toLowerCase() ?? '';
  if (scheme !== 'davs' && scheme !== 'https') {
    throw new StorageError(0, method, pfn, `unsupported URL scheme '${scheme}' for davs (expected davs:// or https://)`);
  }
  return new URL(`https://${pfn.slice(scheme.length + 3)}`);
}

export class DavsDriver implements StorageDriver {
  readonly protocol = 'davs' as const;
  private readonly agent: Agent;
  private readonly timeouts: StorageTimeouts;
  private readonly continueTimeoutMs: number;
  private readonly maxRedirects: number;
  private readonly diagnose: boolean;

  constructor(
    private readonly auth: StorageAuth,
    options: DavsDriverOptions = {},
  ) {
    this.agent = createTlsAgent(auth);
    this.timeouts = resolveTimeouts(options);
    this.continueTimeoutMs = options.continueTimeoutMs ?? 1_000;
    this.maxRedirects = options.maxRedirects ?? 5;
    this.diagnose = options.diagnose ?? true;
  }

  /** Close idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * Stream exactly `size` bytes to `url`. A 404/409 (missing parent) leads to MKCOL of the
   * missing levels and one more PUT, if the body can still be sent (see the file comment).
   * The body is consumed or destroyed in every case.
   */
  async put(url: string, body: PutBody, size: number): Promise<void> {
    const source = new BodySource(body);
    try {
      let reply = await this.send('PUT', toHttpsUrl(url, 'PUT'), { payload: { source, size } });
      const missingParent = reply.res.statusCode === 404 || reply.res.statusCode === 409;
      if (missingParent && source.canResend()) {
        reply.res.resume();
        const parent = parentOf(reply.url);
        if (parent) await this.createCollections(parent);
        reply = await this.send('PUT', reply.url, { payload: { source, size } });
      }
      await this.expectSuccess('PUT', reply);
    } catch (error) {
      if (!this.diagnose || !isAmbiguousFailure(error)) throw error;
      throw await this.diagnosePut(error as Error, url, size);
    } finally {
      source.dispose();
    }
  }

  /** Follow-up requests on fresh connections, with short limits, to name the cause of a dropped PUT. */
  private diagnosePut(failure: Error, url: string, size: number): Promise<Error> {
    return this.withProbes((probes) => diagnosePutFailure(failure, this.redactUrl(toHttpsUrl(url, 'PUT')), size, probes));
  }

  /** `run`, and when the server drops it with no answer, the same follow-ups as for a PUT name the cause. */
  private async diagnosed<T>(method: string, url: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!this.diagnose || !isAmbiguousFailure(error)) throw error;
      throw await this.withProbes((probes) => diagnoseDroppedRequest(error as Error, method, this.redactUrl(toHttpsUrl(url, method)), probes));
    }
  }

  private async withProbes(diagnose: (probes: DiagnosisProbes) => Promise<Error>): Promise<Error> {
    const limits: StorageTimeouts = {
      connectMs: Math.min(this.timeouts.connectMs || Infinity, DIAGNOSIS_TIMEOUTS.connectMs),
      firstByteMs: Math.min(this.timeouts.firstByteMs || Infinity, DIAGNOSIS_TIMEOUTS.firstByteMs),
      stallMs: Math.min(this.timeouts.stallMs || Infinity, DIAGNOSIS_TIMEOUTS.stallMs),
      totalMs: DIAGNOSIS_TIMEOUTS.totalMs,
    };
    const options: DavsDriverOptions = { timeouts: limits, continueTimeoutMs: this.continueTimeoutMs, diagnose: false };
    const same = new DavsDriver(this.auth, options);
    const anonymous = new DavsDriver({ ca: this.auth.ca, ...(this.auth.insecure ? { insecure: true } : {}) }, options);
    const identity = this.auth.token ? 'the token' : this.auth.x509 ? this.auth.x509.subjectSlash : 'no credential';
    try {
      return await diagnose({
        identity,
        ...(this.auth.x509 && !this.auth.token ? { credentialSource: this.auth.x509.source } : {}),
        stat: (u) => same.stat(u),
        statAnonymous: (u) => anonymous.stat(u),
        put: (u, body, n) => same.put(u, body, n),
        delete: (u) => same.delete(u),
      });
    } finally {
      same.close();
      anonymous.close();
    }
  }

  get(url: string): Promise<Readable> {
    return this.diagnosed('GET', url, async () => {
      const reply = await this.send('GET', toHttpsUrl(url, 'GET'));
      await this.expectSuccess('GET', reply, false);
      return reply.res;
    });
  }

  stat(url: string): Promise<StatResult | null> {
    return this.diagnosed('HEAD', url, () => this.statOnce(url));
  }

  private async statOnce(url: string): Promise<StatResult | null> {
    const target = toHttpsUrl(url, 'HEAD');
    if (target.pathname.endsWith('/')) return this.propfind(target);
    const reply = await this.send('HEAD', target);
    if (reply.res.statusCode === 404) return null;
    await this.expectSuccess('HEAD', reply);
    const length = reply.res.headers['content-length'];
    const type = reply.res.headers['content-type'] ?? '';
    // A directory answers HEAD like a listing page, if at all: ask WebDAV to be sure.
    if (length === undefined || type.startsWith('text/html')) {
      const viaDav = await this.propfind(reply.url).catch(() => null);
      if (viaDav) return viaDav;
    }
    return { size: Number(length ?? 0), isDirectory: false };
  }

  delete(url: string): Promise<void> {
    return this.diagnosed('DELETE', url, async () => this.expectSuccess('DELETE', await this.send('DELETE', toHttpsUrl(url, 'DELETE'))));
  }

  /** MKCOL; an existing collection (405) is fine. Parents are not created. */
  async mkdir(url: string): Promise<void> {
    const reply = await this.send('MKCOL', toHttpsUrl(url, 'MKCOL'));
    if (reply.res.statusCode === 405) {
      reply.res.resume();
      return;
    }
    await this.expectSuccess('MKCOL', reply);
  }

  /** RFC 3230: HEAD with `Want-Digest`, answer in `Digest`, returned as lowercase hex. */
  async checksum(url: string, algorithm: ChecksumAlgorithm): Promise<string> {
    const reply = await this.send('HEAD', toHttpsUrl(url, 'HEAD'), { headers: { 'Want-Digest': algorithm } });
    await this.expectSuccess('HEAD', reply);
    const value = parseDigest(reply.res.headers.digest, algorithm);
    if (value === null) {
      throw new StorageError(reply.res.statusCode ?? 0, 'HEAD', this.redactUrl(reply.url), `no ${algorithm} checksum in Digest header`);
    }
    return value;
  }

  private async propfind(target: URL): Promise<StatResult | null> {
    const reply = await this.send('PROPFIND', target, {
      headers: { Depth: '0', 'Content-Type': 'application/xml; charset=utf-8' },
      payload: PROPFIND_BODY,
    });
    if (reply.res.statusCode === 404) return null;
    await this.expectSuccess('PROPFIND', reply, false);
    let xml = '';
    for await (const chunk of reply.res) xml += String(chunk);
    return parsePropfind(xml);
  }

  /** MKCOL `dir`, creating missing ancestors first when the server says they are missing. */
  private async createCollections(dir: URL): Promise<void> {
    let reply = await this.send('MKCOL', dir);
    const status = reply.res.statusCode;
    const parent = parentOf(dir);
    if ((status === 409 || status === 404) && parent) {
      reply.res.resume();
      await this.createCollections(parent);
      reply = await this.send('MKCOL', dir);
    }
    if (reply.res.statusCode === 405) {
      reply.res.resume();
      return;
    }
    await this.expectSuccess('MKCOL', reply);
  }

  /** Throw a StorageError for a non-2xx reply (with the head of its body); drain it otherwise. */
  private async expectSuccess(method: string, { res, url, token }: Reply, drain = true): Promise<void> {
    const status = res.statusCode ?? 0;
    if (isSuccess(status)) {
      // Wait for the end, so the connection is back in the pool before the next request.
      if (drain) await drained(res);
      return;
    }
    let detail = '';
    try {
      for await (const chunk of res) {
        detail += String(chunk);
        if (detail.length >= ERROR_DETAIL_CHARS) break;
      }
    } catch {
      // The body is only a hint; the status is the answer.
    }
    detail = detail.replace(/\s+/g, ' ').trim().slice(0, ERROR_DETAIL_CHARS) || res.statusMessage || 'HTTP error';
    const error = new StorageError(status, method, this.redactUrl(url), this.redact(detail));
    throw token ? annotateTokenRefusal(error, token) : error;
  }

  /** One request, following redirects; resolves once the response headers arrive. */
  private async send(method: string, target: URL, outgoing: Outgoing = {}): Promise<Reply> {
    const upload = typeof outgoing.payload === 'object' ? outgoing.payload : undefined;
    let url = target;
    let staleRetried = false;
    // A token lakeprobe obtains itself is renewed ahead of expiry before it goes out.
    const token = this.auth.tokenFor ? await this.auth.tokenFor(target, method) : this.auth.token;
    await token?.renew?.();
    noteTokenUse(token);
    for (let hop = 0; ; ) {
      // The token goes only to the host it was meant for, not to redirect targets elsewhere.
      const res = await this.exchange(method, url, outgoing, url.hostname === target.hostname ? token : undefined)
        .catch(async (error: unknown) => Promise.reject(await explainServerCertificate(error, method, url, this.redactUrl(url))));
      if (res === STALE_SOCKET) {
        if (staleRetried) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        staleRetried = true;
        continue;
      }
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode ?? 0) || !location || hop >= this.maxRedirects) {
        return { res, url, ...(this.auth.tokenFor && token ? { token } : {}) };
      }
      res.resume();
      if (upload && !upload.source.canResend()) {
        throw new StorageError(res.statusCode ?? 0, method, this.redactUrl(url),
          'redirected after the body was sent; pass a body factory to allow sending it again');
      }
      url = new URL(location, url);
      hop++;
    }
  }

  private exchange(
    method: string,
    target: URL,
    { headers, payload }: Outgoing,
    token: BearerToken | undefined,
  ): Promise<IncomingMessage | typeof STALE_SOCKET> {
    return new Promise((resolve, reject) => {
      const upload = typeof payload === 'object' ? payload : undefined;
      const allHeaders: OutgoingHttpHeaders = { 'User-Agent': 'lakeprobe', ...headers };
      if (token) allHeaders.Authorization = `Bearer ${token.token}`;
      if (typeof payload === 'string') allHeaders['Content-Length'] = Buffer.byteLength(payload);
      if (upload) {
        allHeaders['Content-Length'] = upload.size;
        if (upload.size > 0) allHeaders.Expect = '100-continue';
      }
      // XRootD 5.5 answers `Expect: 100-continue` with a `100 Continue` that carries
      // `Connection: Close` and then goes on; Node's strict parser rejects that, so uploads
      // (and only they) use the lenient parser.
      const req = request(target, { method, agent: this.agent, headers: allHeaders, ...(upload ? { insecureHTTPParser: true } : {}) });
      let res: IncomingMessage | undefined;
      let socket: Socket | undefined;
      let bodyStarted = false;
      let bodyComplete = false;
      let settled = false;
      let continueTimer: NodeJS.Timeout | undefined = undefined;
      // The first bytes an upload's socket received: an answer the parser refused is still read (early-response.ts).
      let received = '';
      const watchdog = new RequestWatchdog(this.timeouts, (error) => (res ? res.destroy(error) : req.destroy(error)));
      const onSocketData = (chunk: Buffer): void => {
        watchdog.progress();
        if (upload && !res && received.length < EARLY_RESPONSE_BYTES) received += chunk.toString('latin1', 0, EARLY_RESPONSE_BYTES);
      };
      const detach = (): void => {
        watchdog.stop();
        socket?.off('data', onSocketData);
      };
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        detach();
        reject(error);
      };
      /** The body could not be written (or its answer not parsed): an answer already received is the real outcome. */
      const failWrite = (error: NodeJS.ErrnoException): void => {
        if (res || settled) return;
        const early = parseEarlyResponse(received);
        if (!early) return fail(error);
        const then = error.code?.startsWith('HPE_') ? `in a form the HTTP parser refused: ${error.message}` : `the write then failed: ${error.code ?? error.message}`;
        const why = `${early.body || early.reason || 'HTTP error'} (answered before the body was read; ${then})`;
        fail(new StorageError(early.status, method, this.redactUrl(target), this.redact(why)));
      };

      const connected = (): void => watchdog.enter(upload && upload.size > 0 ? 'stall' : 'first_byte');
      req.on('socket', (s) => {
        socket = s;
        // Ahead of the HTTP parser, which raises its errors before later listeners see the bytes.
        s.prependListener('data', onSocketData);
        if (req.reusedSocket) connected();
        else s.once('secureConnect', connected);
      });
      req.on('finish', () => {
        if (!res) watchdog.enter('first_byte');
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(continueTimer);
        if (res || settled) return;
        // A kept-alive connection the server had closed: safe to retry if nothing was sent.
        if (req.reusedSocket && !bodyStarted && error.code === 'ECONNRESET') {
          settled = true;
          detach();
          resolve(STALE_SOCKET);
        } else failWrite(error);
      });
      req.on('response', (response) => {
        clearTimeout(continueTimer);
        if (settled) return void response.resume();
        settled = true;
        res = response;
        watchdog.enter('stall');
        response.once('end', detach);
        response.once('close', detach);
        // An answer before the whole body went out ends this connection's usefulness, unless
        // the whole declared body was handed over and the answer is complete: then Node
        // returns the socket to the pool once the last write is flushed.
        if (upload && !req.writableFinished) {
          response.once('close', () => {
            if (req.writableFinished) return;
            if (!(bodyComplete && response.complete)) return void req.destroy();
            const giveUp = setTimeout(() => req.destroy(), Math.max(1, this.timeouts.stallMs));
            req.once('finish', () => clearTimeout(giveUp));
            req.once('close', () => clearTimeout(giveUp));
          });
        }
        resolve(response);
      });

      if (!upload) {
        req.end(payload);
        return;
      }
      const startBody = (): void => {
        clearTimeout(continueTimer);
        if (bodyStarted || res || req.destroyed) return;
        bodyStarted = true;
        // The declared length is enforced where the bytes leave the body, not by a Transform in
        // between (measured: a stream stage costs more per chunk than the rest of the bookkeeping).
        // These listeners come before pipeline's, so a wrong length aborts the request before
        // the chunk is written or the request is ended.
        const body = upload.source.take();
        const wrongLength = (detail: string): void => {
          const error = new StorageError(0, method, this.redactUrl(target), detail);
          fail(error);
          req.destroy(error);
        };
        let sent = 0;
        body.on('data', (chunk: Buffer) => {
          sent += chunk.length;
          watchdog.progress();
          if (sent > upload.size) wrongLength(`body is longer than the declared ${upload.size} bytes`);
        });
        body.once('end', () => {
          if (sent === upload.size) bodyComplete = true;
          else wrongLength(`body ended after ${sent} of the declared ${upload.size} bytes`);
        });
        pipeline(body, req, (error) => {
          if (!error || res) return;
          if (error instanceof StorageError) fail(error);
          else failWrite(error);
        });
      };
      if (upload.size === 0) {
        startBody();
        return;
      }
      req.once('continue', startBody);
      continueTimer = setTimeout(startBody, this.continueTimeoutMs);
      req.flushHeaders();
    });
  }

  private redact(text: string): string {
    const token = this.auth.token?.token;
    return token ? text.split(token).join('***') : text;
  }

  /** The URL for messages: no user info, no token-like query values. */
  private redactUrl(url: URL): string {
    const copy = new URL(url);
    copy.username = '';
    copy.password = '';
    for (const key of [...copy.searchParams.keys()]) {
      if (/authz|token|macaroon|signature/i.test(key)) copy.searchParams.set(key, '***');
    }
    return this.redact(copy.toString());
  }
}

/** Resolves once `res` has been read to its end (or closed). */
function drained(res: IncomingMessage): Promise<void> {
  if (res.readableEnded || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    res.once('end', resolve);
    res.once('close', resolve);
    res.resume();
  });
}

/** The collection holding `url` (no trailing slash), or null at the root. */
function parentOf(url: URL): URL | null {
  const path = url.pathname.replace(/\/+$/, '');
  const cut = path.lastIndexOf('/');
  if (cut <= 0) return null;
  const parent = new URL(url);
  parent.pathname = path.slice(0, cut);
  parent.search = '';
  return parent;
}
