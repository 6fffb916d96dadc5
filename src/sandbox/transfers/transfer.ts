// One attempt at one file, as FTS does it against HTTP storage: create the
// destination's parent, pull with COPY, read the TPC body to its last line, then
// compare the destination's adler32 with the catalogue's.
import { networkReason, parentUrl, send, type HttpAnswer } from './http.js';

export interface AttemptSpec {
  /** Where the destination reads from (https). */
  sourceUrl: string;
  /** The file to write (https). */
  destUrl: string;
  /** Expected checksum (8 hex digits); null skips the comparison but not the lookup. */
  adler32: string | null;
  tokens: { destToken: string; sourceToken: string };
  ca: string[];
  signal?: AbortSignal;
}

export type AttemptResult = { ok: true; bytes: number } | { ok: false; bytes: number; error: string };

export interface TpcOutcome {
  /** The last `Stripe Bytes Transferred` reported. */
  bytes: number;
  /** The body's last non-empty line: `success: ...`, `failure: ...` or anything else. */
  lastLine: string;
}

/** Reads an HTTP-TPC answer body; the status is 201 whatever happened, only the last line tells. */
export function readTpcBody(body: string): TpcOutcome {
  let bytes = 0;
  for (const m of body.matchAll(/Stripe Bytes Transferred:\s*(\d+)/g)) bytes = Number(m[1]);
  const lines = body.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  return { bytes, lastLine: lines[lines.length - 1] ?? '' };
}

class AttemptFailure extends Error {}

const firstLine = (a: HttpAnswer): string => a.body.split('\n', 1)[0]?.trim().slice(0, 200) ?? '';

async function call(phase: string, url: string, spec: AttemptSpec, method: string, headers: Record<string, string>): Promise<HttpAnswer> {
  try {
    return await send(url, { method, headers, ca: spec.ca, signal: spec.signal });
  } catch (err) {
    throw new AttemptFailure(`${phase} ${method} failed: ${networkReason(err)}`);
  }
}

async function makeParent(spec: AttemptSpec, auth: Record<string, string>): Promise<void> {
  const a = await call('DESTINATION', parentUrl(spec.destUrl), spec, 'MKCOL', auth);
  // 405: the collection is already there.
  if (a.status !== 201 && a.status !== 405) {
    throw new AttemptFailure(`DESTINATION MKCOL failed with status code ${a.status}: ${firstLine(a)}`);
  }
}

/** COPY and read the verdict; the bytes the markers reported go to `progress` whatever the outcome. */
async function pull(spec: AttemptSpec, auth: Record<string, string>, progress: { bytes: number }): Promise<void> {
  const a = await call('TRANSFER', spec.destUrl, spec, 'COPY', {
    ...auth,
    Source: spec.sourceUrl,
    TransferHeaderAuthorization: `Bearer ${spec.tokens.sourceToken}`,
    'X-Number-Of-Streams': '1',
  });
  if (a.status < 200 || a.status >= 300) throw new AttemptFailure(`TRANSFER COPY refused with status code ${a.status}: ${firstLine(a)}`);
  const { bytes, lastLine } = readTpcBody(a.body);
  progress.bytes = bytes;
  if (/^success:/i.test(lastLine)) return;
  if (/^failure:/i.test(lastLine)) throw new AttemptFailure(`TRANSFER ${lastLine.replace(/^failure:\s*/i, '')}`);
  throw new AttemptFailure('TRANSFER ended without a success or failure line');
}

/** Checks the destination's adler32; returns its size (XRootD's markers may report 0 bytes for a short copy). */
async function verify(spec: AttemptSpec, auth: Record<string, string>): Promise<number | undefined> {
  const a = await call('DESTINATION', spec.destUrl, spec, 'HEAD', { ...auth, 'Want-Digest': 'adler32' });
  const digest = /(?:^|,)\s*adler32=([0-9a-f]+)/i.exec(String(a.headers.digest ?? ''))?.[1];
  if (a.status !== 200 || digest === undefined) throw new AttemptFailure('DESTINATION checksum unavailable');
  const got = digest.toLowerCase().padStart(8, '0');
  const want = spec.adler32?.toLowerCase().padStart(8, '0');
  if (want !== undefined && got !== want) {
    throw new AttemptFailure(`checksum mismatch: expected adler32 ${want}, destination has ${got}`);
  }
  const size = Number(a.headers['content-length']);
  return Number.isSafeInteger(size) ? size : undefined;
}

/** Never throws: every problem becomes `{ ok: false, error }` with FTS-like phase prefixes. */
export async function runAttempt(spec: AttemptSpec): Promise<AttemptResult> {
  const auth = { Authorization: `Bearer ${spec.tokens.destToken}` };
  const progress = { bytes: 0 };
  try {
    await makeParent(spec, auth);
    await pull(spec, auth, progress);
    const size = await verify(spec, auth);
    return { ok: true, bytes: size ?? progress.bytes };
  } catch (err) {
    return { ok: false, bytes: progress.bytes, error: err instanceof AttemptFailure ? err.message : `TRANSFER ${networkReason(err)}` };
  }
}
