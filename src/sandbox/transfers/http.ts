// The few HTTPS calls a transfer tool makes to storage: MKCOL, COPY, HEAD, DELETE.
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpCall {
  method: string;
  headers?: Record<string, string>;
  /** Trust anchors for the storage's server certificate. */
  ca: string[];
  signal?: AbortSignal;
}

/** One request on its own connection; the whole answer body is read (TPC bodies are small text). */
export function send(url: string, call: HttpCall): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: call.method, headers: call.headers, ca: call.ca, agent: false, signal: call.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (!res.complete) reject(new Error('connection closed before the answer was complete'));
        else resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Rucio's davs:// PFNs are WebDAV over TLS: the same resource as https://. */
export function toHttpsUrl(pfn: string): string {
  return pfn.replace(/^davs:\/\//i, 'https://');
}

/** Can this engine talk to the PFN (https or davs)? */
export function isHttpsPfn(pfn: string): boolean {
  return /^(?:https|davs):\/\//i.test(pfn);
}

/** The URL of the collection holding `url`'s file. */
export function parentUrl(url: string): string {
  const u = new URL(url);
  u.pathname = u.pathname.replace(/\/[^/]*\/?$/, '/') || '/';
  u.search = '';
  return u.toString();
}

/** A network error's short code (ECONNREFUSED, ...) or message: never a URL with credentials. */
export function networkReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.name === 'AbortError') return 'aborted';
  return e?.code ?? e?.message ?? 'unknown error';
}
