// After an ambiguous storage failure — the server dropped the connection with no HTTP
// answer — a few small follow-up requests tell the causes apart that XRootD hides behind
// one "socket hang up": a DN missing from a required gridmap (dropped right after the TLS
// handshake, whatever the request), a full disk or quota (a large write dropped mid-body
// while small requests succeed), or a server that does not answer at all.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { StorageError } from '../errors.js';
import type { StatResult } from './driver.js';

export type DiagnosedClass = 'identity_refused' | 'client_cert_refused' | 'write_refused' | 'connection_reset';

/**
 * A StorageError whose class was decided by a follow-up diagnosis. The verdict comes
 * before the steps, so a message cut to one line keeps what matters most.
 */
export class DiagnosedStorageError extends StorageError {
  constructor(
    status: number,
    method: string,
    url: string,
    detail: string,
    /** null: classify by the answer the diagnosis found (`status` and `answer`). */
    readonly diagnosedClass: DiagnosedClass | null,
    readonly verdict: string,
    readonly steps: string[],
    readonly code?: string,
    /** The body of that answer (e.g. "Gridmap lookup failure: …"), so the class follows what the server said. */
    readonly answer = '',
  ) {
    super(status, method, url, `${detail}: ${verdict} (diagnosis: ${steps.join('; ')})`);
  }
}

/** The small requests a diagnosis makes; each with short timeouts of its own. */
export interface DiagnosisProbes {
  /** Who the failed request presented (a DN, or "the token"), for the message. */
  identity: string;
  /** The file the certificate or proxy came from, when there is one. */
  credentialSource?: string;
  /** PROPFIND/HEAD with the same identity. */
  stat(url: string): Promise<StatResult | null>;
  /** The same without any credential. */
  statAnonymous(url: string): Promise<StatResult | null>;
  put(url: string, body: Readable, size: number): Promise<void>;
  delete(url: string): Promise<void>;
}

/** No HTTP answer: the connection was dropped, refused or timed out. */
export function isAmbiguousFailure(error: unknown): boolean {
  if (error instanceof StorageError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED' || /socket hang up/i.test(String((error as Error)?.message));
}

interface Outcome {
  answered: boolean;
  text: string;
  /** HTTP status of an error answer. */
  status?: number;
  /** Body head of an error answer. */
  detail?: string;
  /** Error code when there was no answer. */
  code?: string;
}

async function attempt(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    const value = await run();
    return { answered: true, text: value === null ? 'answered 404' : 'succeeded' };
  } catch (error) {
    if (error instanceof StorageError && error.status > 0) {
      return { answered: true, text: `answered ${error.status}`, status: error.status, detail: error.detail };
    }
    const e = error as NodeJS.ErrnoException;
    return { answered: false, text: `no answer (${e.code ?? e.message})`, code: e.code };
  }
}

/** The collection holding `url`, with a trailing slash (a PROPFIND target). */
function parentCollection(url: string): string {
  const u = new URL(url);
  u.search = '';
  u.pathname = u.pathname.replace(/\/+$/, '').replace(/[^/]*$/, '') || '/';
  return u.toString();
}

interface Verdict {
  errorClass: DiagnosedClass | null;
  verdict: string;
  status?: number;
  answer?: string;
}

/**
 * Asks for the parent collection as the same identity, then without credentials. Returns the
 * verdict, or null when the server answers this identity normally. Each branch depends only on
 * whether and how the server answers these follow-ups, never on when the original connection
 * died, so one fault gives one class.
 */
async function identityVerdict(parent: string, method: string, probes: DiagnosisProbes, steps: string[]): Promise<Verdict | null> {
  const same = await attempt(() => probes.stat(parent));
  steps.push(`stat of the parent as ${probes.identity}: ${same.text}`);
  if (!same.answered) {
    const anonymous = await attempt(() => probes.statAnonymous(parent));
    steps.push(`the same without credentials: ${anonymous.text}`);
    if (anonymous.answered) {
      return { errorClass: 'identity_refused', verdict: 'identity refused at connection: the server answers without it but drops this identity' };
    }
    // A TLS alert to the anonymous attempt (certificate required): the server is up and drops the certificate presented.
    if (/^ERR_SSL_\w*ALERT/.test(anonymous.code ?? '')) {
      const which = probes.credentialSource ? ` (${probes.credentialSource})` : '';
      return { errorClass: 'client_cert_refused', verdict: `the server refused the certificate/proxy${which} in its TLS handshake: it demands one and drops this one` };
    }
    return { errorClass: 'connection_reset', verdict: 'the server does not answer at all (not running, crashed or unreachable)' };
  }
  // The server refuses this identity in so many words (e.g. a gridmap refusal): the dropped request most likely had that answer.
  if (same.status !== undefined && same.status !== 404) {
    return { errorClass: null, verdict: `this identity is answered ${same.status}, so was most likely the dropped ${method}`, status: same.status, answer: same.detail };
  }
  return null;
}

function reporter(failure: Error, method: string, url: string, steps: string[]) {
  const code = (failure as NodeJS.ErrnoException).code;
  return ({ errorClass, verdict, status = 0, answer = '' }: Verdict): DiagnosedStorageError =>
    new DiagnosedStorageError(status, method, url, failure.message, errorClass, verdict, steps, code, answer);
}

/** Diagnoses a request other than a PUT with a body (GET, HEAD, PROPFIND, DELETE, MKCOL) dropped with no answer. */
export async function diagnoseDroppedRequest(failure: Error, method: string, url: string, probes: DiagnosisProbes): Promise<DiagnosedStorageError> {
  const steps: string[] = [];
  const report = reporter(failure, method, url, steps);
  const verdict = await identityVerdict(parentCollection(url), method, probes, steps);
  return report(verdict ?? { errorClass: 'connection_reset', verdict: `the server answers this identity; the ${method} itself was dropped: see the server log` });
}

/**
 * Runs at most four small requests after `failure` of a `size`-byte PUT to `url` and
 * returns the error to report: a DiagnosedStorageError naming the class and the steps.
 */
export async function diagnosePutFailure(failure: Error, url: string, size: number, probes: DiagnosisProbes): Promise<DiagnosedStorageError> {
  const steps: string[] = [];
  const report = reporter(failure, 'PUT', url, steps);
  const refuse = (errorClass: DiagnosedClass | null, verdict: string, status = 0, answer = ''): DiagnosedStorageError =>
    report({ errorClass, verdict, status, answer });
  const parent = parentCollection(url);
  const verdict = await identityVerdict(parent, 'PUT', probes, steps);
  if (verdict) return report(verdict);
  if (size === 0) return refuse('connection_reset', 'an empty write was dropped though the server answers: see the server log');
  const probe = `${parent}.lakeprobe-probe-${randomUUID()}`;
  const empty = await attempt(() => probes.put(probe, Readable.from([]), 0));
  steps.push(`zero-byte write beside it: ${empty.text}`);
  if (empty.text === 'succeeded') {
    const removed = await attempt(() => probes.delete(probe));
    if (removed.text !== 'succeeded') steps.push(`probe file ${probe} could not be removed (${removed.text})`);
    return refuse('write_refused', `write refused mid-body: small requests succeed, the ${size}-byte write was dropped`);
  }
  if (empty.status === 507) return refuse('write_refused', 'write refused: even an empty write is refused for lack of space', 507);
  // The answer the dropped write most likely had (e.g. a 503 lost to the reset): classify by it.
  if (empty.status !== undefined) return refuse(null, `an empty write is answered ${empty.status}, so was most likely the dropped one`, empty.status, empty.detail);
  return refuse('connection_reset', 'even an empty write is dropped: see the server log');
}
