// Test support for the catalogue: throwaway TLS material, a started
// catalogue with a movable clock, an HTTPS client, and the recorded transcript.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { expect } from 'vitest';
import type { CatalogueHandle, CatalogueOptions } from '../../../src/sandbox/catalogue/server.js';
import { startCatalogue } from '../../../src/sandbox/catalogue/server.js';
import { withTemporaryPki, type Certificate } from '../../helpers/openssl-pki.js';

export interface TlsMaterial {
  ca: Certificate;
  server: Certificate;
  /** /O=lakeprobe/CN=alice */
  client: Certificate;
  /** An RFC 3820 proxy of the client certificate. */
  proxy: Certificate;
}

/** A CA, a server certificate for localhost and 127.0.0.1, a client certificate for /O=lakeprobe/CN=alice and a proxy of it. */
export function makeTlsMaterial(): TlsMaterial {
  return withTemporaryPki((pki) => {
    const ca = pki.ca('ca', '/O=lakeprobe/CN=Test CA');
    const client = pki.client('client', ca, '/O=lakeprobe/CN=alice');
    return { ca, server: pki.server('server', ca), client, proxy: pki.proxy('proxy', client) };
  });
}

/** An unsigned stand-in for a JWT: the test verifier trusts it when the signature part is 'trusted'. */
export function fakeJwt(claims: Record<string, unknown>, signature = 'trusted'): string {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg: 'none' })}.${b64(claims)}.${signature}`;
}

export interface TestCatalogue {
  handle: CatalogueHandle;
  tls: TlsMaterial;
  clock: { now: Date };
  close(): Promise<void>;
}

export async function startTestCatalogue(tls = makeTlsMaterial(), start = new Date('2026-11-25T00:04:20Z'),
  options: Partial<Pick<CatalogueOptions, 'abacusIntervalSeconds' | 'judgeEvaluatorSeconds' | 'deletion'>> = {}): Promise<TestCatalogue> {
  const clock = { now: start };
  const ca = new X509Certificate(tls.ca.certPem);
  const handle = await startCatalogue({
    ...options,
    dbPath: ':memory:',
    tls: { certPem: tls.server.certPem, keyPem: tls.server.keyPem, caPems: [tls.ca.certPem] },
    now: () => clock.now,
    // The first certificate the CA issued is the end entity; anything before it must be proxies signed down the chain.
    verifyClientChain: (chain) => {
      const certs = chain.map((der) => new X509Certificate(der));
      const eec = certs.findIndex((c) => c.verify(ca.publicKey));
      if (eec < 0) return { ok: false, reason: 'issuer is not trusted' };
      for (let i = 0; i < eec; i++) {
        if (!(certs[i] as X509Certificate).verify((certs[i + 1] as X509Certificate).publicKey)) return { ok: false, reason: 'broken proxy chain' };
      }
      return { ok: true, dn: `/${(certs[eec] as X509Certificate).subject.split('\n').join('/')}` };
    },
    verifyJwt: async (token) => {
      const [, payload, signature] = token.split('.');
      if (signature !== 'trusted' || !payload) return null;
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    },
  });
  return { handle, tls, clock, close: () => handle.close() };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Call {
  token?: string;
  headers?: Record<string, string>;
  body?: string | object;
  /** Present the test client certificate (true) or another certificate and key. */
  clientCert?: boolean | { cert: string; key: string };
}

export function call(t: TestCatalogue, method: string, path: string, c: Call = {}): Promise<Answer> {
  const body = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.token) headers['X-Rucio-Auth-Token'] = c.token;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = https.request(`${t.handle.url}${path}`, {
      method, headers, ca: t.tls.ca.certPem, agent: false,
      ...(c.clientCert === true ? { cert: t.tls.client.certPem, key: t.tls.client.keyPem } : c.clientCert ? c.clientCert : {}),
    }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function loginRoot(t: TestCatalogue, password = 'secret'): Promise<string> {
  const a = await call(t, 'GET', '/auth/userpass', {
    headers: { 'X-Rucio-Account': 'root', 'X-Rucio-Username': 'ddmlab', 'X-Rucio-Password': password },
  });
  const token = a.headers['x-rucio-auth-token'];
  if (a.status !== 200 || typeof token !== 'string') throw new Error(`login failed: ${a.status} ${a.body}`);
  return token;
}

/** Seeds the root account with its userpass identity, as a fresh Rucio database has. */
export function seedRoot(t: TestCatalogue): void {
  t.handle.admin.addAccount('root', 'SERVICE');
  t.handle.admin.addIdentity({ kind: 'USERPASS', identity: 'ddmlab', account: 'root', password: 'secret' });
}

export interface Recorded {
  title: string;
  request: string;
  status: number;
  headers: [string, string][];
  body: string;
}

/** The exchanges of the recorded Rucio 41.0.0 transcript, by section title. */
export function loadTranscript(): Map<string, Recorded> {
  const text = readFileSync(new URL('../../fixtures/catalogue/rucio-41.0.0-transcript.md', import.meta.url), 'utf8');
  const out = new Map<string, Recorded>();
  const sections = text.split(/^## /m).slice(1);
  for (const section of sections) {
    const title = section.slice(0, section.indexOf('\n')).trim();
    const blocks = [...section.matchAll(/```http\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    if (blocks.length < 2) continue;
    const lines = (blocks[1] as string).split('\n');
    const status = Number((lines[0] ?? '').split(' ')[1]);
    const blank = lines.indexOf('');
    const headers = lines.slice(1, blank).map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
    });
    const body = lines.slice(blank + 1).join('\n').replace(/\n+$/, '');
    out.set(title, { title, request: blocks[0] as string, status, headers, body });
  }
  return out;
}

export function recordedHeader(r: Recorded, name: string): string | undefined {
  return r.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** The JSON body of a recorded request block (after the blank line), if any. */
export function recordedRequestBody(r: Recorded): unknown {
  const blank = r.request.indexOf('\n\n');
  const text = blank < 0 ? '' : r.request.slice(blank + 2).trim();
  return text ? JSON.parse(text) : undefined;
}

export function lines(body: string): Record<string, unknown>[] {
  return body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Same keys in the same order, same values except the listed (ids, timestamps); nested objects alike. */
export function expectSameObject(actual: unknown, recorded: unknown, volatile: string[] = []): void {
  if (recorded === null || typeof recorded !== 'object' || Array.isArray(recorded)) {
    expect(actual).toEqual(recorded);
    return;
  }
  const a = actual as Record<string, unknown>;
  const r = recorded as Record<string, unknown>;
  expect(Object.keys(a)).toEqual(Object.keys(r));
  for (const key of Object.keys(r)) {
    if (volatile.includes(key)) expect(typeof a[key]).toBe(typeof r[key]);
    else expectSameObject(a[key], r[key], volatile);
  }
}

/** An error answer equal to the recorded one: status, both headers, content type and body. */
export function expectRecordedError(a: Answer, r: Recorded): void {
  expect(a.status).toBe(r.status);
  expect(a.headers['content-type']).toBe('application/octet-stream');
  expect(a.headers.exceptionclass).toBe(recordedHeader(r, 'ExceptionClass'));
  expect(a.headers.exceptionmessage).toBe(recordedHeader(r, 'ExceptionMessage'));
  expect(a.body).toBe(r.body);
  const length = recordedHeader(r, 'Content-Length');
  if (length) expect(a.headers['content-length']).toBe(length);
}

/** Sends a recorded request again, with a live token and recorded ids mapped to the ones this server issued. */
export function replay(t: TestCatalogue, r: Recorded, token: string, ids: Map<string, string> = new Map()): Promise<Answer> {
  const [first = '', ...rest] = r.request.replace(/\n+$/, '').split('\n');
  const [method = 'GET', recordedPath = '/'] = first.split(' ');
  let path = recordedPath;
  for (const [from, to] of ids) path = path.replaceAll(from, to);
  const blank = rest.indexOf('');
  const headers: Record<string, string> = {};
  for (const line of blank < 0 ? rest : rest.slice(0, blank)) {
    const i = line.indexOf(':');
    const key = line.slice(0, i);
    if (key !== 'Content-Type') headers[key] = key === 'X-Rucio-Auth-Token' ? token : line.slice(i + 1).trim();
  }
  const body = blank < 0 ? '' : rest.slice(blank + 1).join('\n').trim();
  return call(t, method, path, { headers, body: body === '' ? undefined : body });
}

/** The part-1 setup of the transcript (RSEs, scope, dataset, replicas, limits, both rules); returns token and rule ids. */
export const PART1_SETUP = [
  'Add RSE MOCK-A', 'Add RSE MOCK-B', 'Add protocol https to MOCK-A', 'Add protocol https to MOCK-B',
  'Set attribute QOS=FAST on MOCK-A', 'Set attribute QOS=SLOW on MOCK-B', 'Add scope test', 'Add dataset test:dataset1',
  'Add file replicas on MOCK-A', 'Attach files to dataset', 'Set account limit root@MOCK-A', 'Set account limit root@MOCK-B',
  'Add rule dataset -> QOS=FAST (replicas already there)', 'Add rule dataset -> MOCK-B (needs transfer)',
];

/** Replays sections in order, failing on any non-2xx answer; POST /rules/ ids are recorded in `ids`. */
export async function replayAll(t: TestCatalogue, transcript: Map<string, Recorded>, titles: string[], token: string,
  ids: Map<string, string>): Promise<void> {
  for (const title of titles) {
    const r = transcript.get(title);
    if (!r) throw new Error(`no transcript section '${title}'`);
    const a = await replay(t, r, token, ids);
    if (a.status >= 300) throw new Error(`${title}: ${a.status} ${a.body}`);
    if (r.request.startsWith('POST /rules/')) {
      const recordedId = (JSON.parse(r.body) as string[])[0] as string;
      ids.set(recordedId, (JSON.parse(a.body) as string[])[0] as string);
    }
  }
}
