// What is wrong now, per RSE and per auth method, for the top of the daemon's status page.
//
// A subject (an RSE, an auth method) is failing while the last attempt of any of its
// operations failed; an operation is the same test, operation, protocol and identity (and
// for an RSE the auth method, for an auth method the RSE). It fails "since" the first failure
// of the current streak and is OK again once every failing operation has succeeded. An auth
// method counts its logins and the failures that name its credential; an RSE, every
// operation on it. Times are when the operation ended. Results are redacted before they get here.
import type { OpResult } from '../engine/op-result.js';
import { CREDENTIAL_CLASSES, remedyFor, type ErrorClass, type FailedService } from '../engine/taxonomy.js';

/** RSEs or auth methods kept (least recently seen forgotten first). */
const MAX_SUBJECTS = 500;
/** Failing operations kept per subject (oldest forgotten first). */
const MAX_FAILING = 200;
const MAX_MESSAGE = 300;

export interface FailingOperation {
  /** e.g. "DAEMON/up upload davs x509". */
  what: string;
  errorClass: string;
  at: string;
}

export interface SubjectState {
  /** The RSE name or the auth method. */
  subject: string;
  state: 'failing' | 'ok';
  /** ISO time: the first failure of the current streak, or when it was last seen recover (first seen, if it never failed). */
  since: string;
  /** Failures since `since` (failing only). */
  failures: number;
  /** The latest failure (failing only): its class, the service that failed, and that service's remedy. */
  errorClass?: string;
  service?: FailedService;
  remedy?: string;
  message?: string;
  /** The operations whose last attempt failed, newest first (failing only). */
  failing: FailingOperation[];
  lastSeen: string;
}

export interface CurrentStatus {
  rses: SubjectState[];
  authMethods: SubjectState[];
}

/** A catalogue call's failure: a catalogue result, or a message from the Rucio client ("METHOD /path: …", "catalogue host:port: …"). */
export function failedService(r: Pick<OpResult, 'protocol' | 'errorMessage'>): FailedService {
  return r.protocol === 'rucio' || /^(?:catalogue \S+: )?[A-Z]+ \/\S*: /.test(r.errorMessage) ? 'catalogue' : 'storage';
}

interface Failure {
  result: OpResult;
  at: number;
}

class Subject {
  private readonly failingOps = new Map<string, Failure>();
  private sinceMs: number;
  private streak = 0;
  lastSeenMs: number;

  constructor(readonly name: string, at: number) {
    this.sinceMs = at;
    this.lastSeenMs = at;
  }

  record(key: string, r: OpResult, at: number, failed: boolean): void {
    this.lastSeenMs = Math.max(this.lastSeenMs, at);
    const wasFailing = this.failingOps.size > 0;
    if (failed) {
      if (!wasFailing) {
        this.sinceMs = at;
        this.streak = 0;
      }
      this.streak++;
      this.failingOps.delete(key);
      this.failingOps.set(key, { result: r, at });
      if (this.failingOps.size > MAX_FAILING) this.failingOps.delete(this.failingOps.keys().next().value as string);
    } else if (this.failingOps.delete(key) && this.failingOps.size === 0) {
      this.sinceMs = at;
    }
  }

  view(): SubjectState {
    const failing = [...this.failingOps.entries()].sort(([, a], [, b]) => b.at - a.at);
    const base = { subject: this.name, lastSeen: new Date(this.lastSeenMs).toISOString(), since: new Date(this.sinceMs).toISOString() };
    const latest = failing[0]?.[1];
    if (!latest) return { ...base, state: 'ok', failures: 0, failing: [] };
    const cls = (latest.result.errorClass ?? 'unknown') as ErrorClass;
    const service = failedService(latest.result);
    return {
      ...base, state: 'failing', failures: this.streak, errorClass: cls, service, remedy: remedyFor(cls, service),
      message: latest.result.errorMessage.slice(0, MAX_MESSAGE),
      failing: failing.map(([what, f]) => ({ what, errorClass: f.result.errorClass ?? 'unknown', at: new Date(f.at).toISOString() })),
    };
  }
}

class Subjects {
  private readonly byName = new Map<string, Subject>();

  record(name: string, key: string, r: OpResult, at: number, failed: boolean): void {
    let s = this.byName.get(name);
    if (!s) {
      s = new Subject(name, at);
      this.byName.set(name, s);
      if (this.byName.size > MAX_SUBJECTS) this.forgetLeastSeen();
    }
    s.record(key, r, at, failed);
  }

  /** Failing first, then by name. */
  view(): SubjectState[] {
    return [...this.byName.values()].map((s) => s.view())
      .sort((a, b) => (a.state === b.state ? a.subject.localeCompare(b.subject) : a.state === 'failing' ? -1 : 1));
  }

  private forgetLeastSeen(): void {
    let oldest: Subject | undefined;
    for (const s of this.byName.values()) if (!oldest || s.lastSeenMs < oldest.lastSeenMs) oldest = s;
    if (oldest) this.byName.delete(oldest.name);
  }
}

/** Follows every result of the daemon's runs; view() is the page's "Now". */
export class CurrentState {
  private readonly rses = new Subjects();
  private readonly methods = new Subjects();

  onResult(r: OpResult): void {
    // A skipped step did not run; an abort is the daemon stopping, not the lake failing.
    if (r.outcome === 'skipped' || r.errorClass === 'aborted') return;
    const failed = r.outcome === 'failed';
    const at = Date.parse(r.start) + r.durationMs;
    const test = `${r.experiment}/${r.test}`;
    const role = r.identityRole === 'default' ? '' : ` as ${r.identityRole}`;
    const rse = r.rse || r.dstRse;
    if (rse) this.rses.record(rse, `${test} ${r.operation} ${r.protocol} ${r.authMethod}${role}`, r, at, failed);
    const aboutCredential = r.operation === 'auth' || CREDENTIAL_CLASSES.has(String(r.errorClass));
    // Another identity's credential (an embargo outsider's) is a subject of its own.
    if (!failed || aboutCredential) this.methods.record(`${r.authMethod}${role}`, `${test} ${r.operation}${rse ? ` ${rse}` : ''} ${r.protocol}`, r, at, failed);
  }

  view(): CurrentStatus {
    return { rses: this.rses.view(), authMethods: this.methods.view() };
  }
}
