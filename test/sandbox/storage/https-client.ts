import { request as httpsRequest, type Agent, type RequestOptions } from 'node:https';
import type { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string | number>;
  /** Request body: a string/Buffer, or a stream piped without buffering. */
  body?: string | Buffer | Readable;
  ca: string;
  /** Client certificate file contents (a proxy file works for both). */
  cert?: string;
  key?: string;
  /** Connection pool to use; by default each call opens its own connection. */
  agent?: Agent;
}

/** One HTTPS request with its own connection, so each call presents its own credentials. */
export function call(url: string, opts: CallOptions): Promise<Reply> {
  const options: RequestOptions = {
    method: opts.method ?? 'GET',
    headers: opts.headers,
    ca: opts.ca,
    cert: opts.cert,
    key: opts.key,
    agent: opts.agent ?? false,
  };
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    const body = opts.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}
