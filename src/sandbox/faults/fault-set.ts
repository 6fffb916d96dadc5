// The faults active in one sandbox lake, and the questions its servers ask of them
// on every request. Rates draw from a seeded generator per fault, so that the same
// sequence of requests meets the same failures in every run.
import { STATUS_CODES } from 'node:http';
import {
  FaultSpecError, LOGIN_PATHS, parseFaultSpec, unsupportedFault, type FaultSpec, type FaultSpecInput, type FaultUser, type StorageKind, type TransferFailureReason,
} from './spec.js';

/** A storage request as far as faults care. */
export interface StorageFaultQuery {
  method: string;
  /** The request asks for a checksum (Want-Digest). */
  wantDigest: boolean;
  /** The client's DN when it authenticated with x509. */
  dn?: string;
  /** The client authenticated with a bearer token. */
  bearer?: boolean;
}

/** The error answer a fault imposes instead of the real one. */
export interface FaultReply {
  status: number;
  /** Printable ASCII, so that it also fits in the reason phrase. */
  message: string;
}

export type CatalogueFaultStatus = 401 | 500 | 502 | 503;

/** What faults do to one catalogue request: wait, then answer normally or with an error. */
export interface CatalogueFaultPlan {
  delayMs: number;
  status?: CatalogueFaultStatus;
}

export type FaultListener = () => void | Promise<void>;

/** The part of a FaultSet a storage endpoint consults. */
export interface StorageFaults {
  rseDown(rse: string): boolean;
  storageFault(rse: string, query: StorageFaultQuery): FaultReply | undefined;
  embargoOpen(rse: string): boolean;
  /** Called after every change; returns the unsubscribe function. */
  onChange(listener: FaultListener): () => void;
}

/** The part of a FaultSet the catalogue consults. */
export interface CatalogueFaults {
  catalogueFault(path: string): CatalogueFaultPlan | undefined;
}

export interface FaultSetOptions {
  /** Seed of the rate draws; the same seed gives the same failures. Default 1. */
  seed?: number;
  /** When given, faults may only name these RSEs. */
  rses?: readonly string[];
  /** DNs of the sandbox users, for gridmap_missing. */
  users?: Partial<Record<FaultUser, string>>;
  /** Who serves the RSEs (default builtin): faults it cannot apply are refused. */
  storage?: StorageKind;
}

export interface ActiveFault {
  id: string;
  spec: FaultSpec;
}

interface Entry {
  spec: FaultSpec;
  draw: () => number;
}

/** mulberry32: a small, fast, seedable generator of floats in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const CHECKSUM_METHODS = new Set(['GET', 'HEAD']);

export class FaultSet implements StorageFaults, CatalogueFaults {
  private readonly active = new Map<string, Entry>();
  private readonly listeners = new Set<FaultListener>();
  private readonly seed: number;
  private counter = 0;
  private applying: Promise<unknown> = Promise.resolve();
  private failures: unknown[] = [];

  constructor(private readonly options: FaultSetOptions = {}) {
    this.seed = options.seed ?? 1;
  }

  /** Validates the spec (FaultSpecError names the field) and switches the fault on; returns its id. */
  add(input: FaultSpecInput): string {
    const spec = parseFaultSpec(input);
    this.checkContext(spec);
    this.counter += 1;
    const id = `f${this.counter}`;
    this.active.set(id, { spec, draw: seededRandom(Math.imul(this.seed, 0x9e3779b1) ^ this.counter) });
    this.notify();
    return id;
  }

  /** False when no fault has this id. */
  remove(id: string): boolean {
    const removed = this.active.delete(id);
    if (removed) this.notify();
    return removed;
  }

  /** Removes every fault; returns how many were active. */
  clear(): number {
    const count = this.active.size;
    this.active.clear();
    if (count > 0) this.notify();
    return count;
  }

  list(): ActiveFault[] {
    return [...this.active].map(([id, { spec }]) => ({ id, spec }));
  }

  onChange(listener: FaultListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every listener has applied the changes so far (e.g. a port closed); rejects with the first failure. */
  async settled(): Promise<void> {
    await this.applying;
    const [first] = this.failures.splice(0);
    if (first !== undefined) throw first;
  }

  rseDown(rse: string): boolean {
    return this.some('rse_down', (f) => f.rse === rse);
  }

  embargoOpen(rse: string): boolean {
    return this.some('embargo_open', (f) => f.rse === rse);
  }

  checksumMissing(rse: string): boolean {
    return this.some('checksum_missing', (f) => f.rse === rse);
  }

  transferStuck(rse: string): boolean {
    return this.some('transfer_stuck', (f) => f.rse === rse);
  }

  /** The reason attempt `attempt` (1 for the first) of a transfer to `rse` fails, when a transfer_failure fault names it. */
  transferFailure(rse: string, attempt = 1): TransferFailureReason | undefined {
    return this.specs('transfer_failure')
      .find(({ spec }) => spec.rse === rse && (spec.attempts === undefined || attempt <= spec.attempts))?.spec.reason;
  }

  gridmapMissing(rse: string, dn: string): boolean {
    return this.some('gridmap_missing', (f) => f.rse === rse && this.options.users?.[f.user] === dn);
  }

  /** The shortest credential lifetime asked for, or undefined when no short_credentials fault is on. */
  shortCredentialsLifetime(): number | undefined {
    const lifetimes = this.specs('short_credentials').map(({ spec }) => spec.lifetimeSeconds);
    return lifetimes.length > 0 ? Math.min(...lifetimes) : undefined;
  }

  /** Gridmap first (it fails the login), then error rates, then missing checksums. */
  storageFault(rse: string, query: StorageFaultQuery): FaultReply | undefined {
    if (query.bearer && this.some('token_refused', (f) => f.rse === rse)) {
      return { status: 401, message: 'Unauthorized: bearer token not accepted' };
    }
    if (query.dn !== undefined && this.gridmapMissing(rse, query.dn)) {
      return { status: 403, message: `Gridmap lookup failure: Could not map ${query.dn.replace(/[^\x20-\x7e]/g, '?')}` };
    }
    for (const { spec, draw } of this.specs('error_rate')) {
      const operationMatches = spec.operation === '*' || spec.operation === query.method;
      if (spec.rse === rse && operationMatches && draw() < spec.rate) {
        return { status: spec.status, message: STATUS_CODES[spec.status] ?? `HTTP ${spec.status}` };
      }
    }
    if (query.wantDigest && CHECKSUM_METHODS.has(query.method) && this.checksumMissing(rse)) {
      return { status: 404, message: 'Checksum not available' };
    }
    return undefined;
  }

  /** /ping is spared, so that `sandbox status` still finds the lake. */
  catalogueFault(path: string): CatalogueFaultPlan | undefined {
    if (path === '/ping') return undefined;
    const auth = path.startsWith('/auth/');
    let delayMs = 0;
    for (const { spec } of this.specs('auth_slow')) {
      const hit = spec.login ? (LOGIN_PATHS[spec.login] as readonly string[]).includes(path) : auth;
      if (hit) delayMs = Math.max(delayMs, spec.delayMs);
    }
    for (const { spec, draw } of this.specs('catalogue_timeout')) {
      if (draw() < spec.rate) delayMs = Math.max(delayMs, spec.delayMs);
    }
    let status: CatalogueFaultStatus | undefined = auth ? this.specs('auth_fail')[0]?.spec.status : undefined;
    for (const { spec, draw } of this.specs('catalogue_error')) {
      if (status === undefined && draw() < spec.rate) status = spec.status;
    }
    if (delayMs === 0 && status === undefined) return undefined;
    return status === undefined ? { delayMs } : { delayMs, status };
  }

  private specs<K extends FaultSpec['kind']>(kind: K): { spec: Extract<FaultSpec, { kind: K }>; draw: () => number }[] {
    const found: { spec: Extract<FaultSpec, { kind: K }>; draw: () => number }[] = [];
    for (const { spec, draw } of this.active.values()) {
      if (spec.kind === kind) found.push({ spec: spec as Extract<FaultSpec, { kind: K }>, draw });
    }
    return found;
  }

  private some<K extends FaultSpec['kind']>(kind: K, test: (spec: Extract<FaultSpec, { kind: K }>) => boolean): boolean {
    return this.specs(kind).some(({ spec }) => test(spec));
  }

  private checkContext(spec: FaultSpec): void {
    const unsupported = unsupportedFault(spec.kind, this.options.storage ?? 'builtin');
    if (unsupported) throw new FaultSpecError([`kind: ${unsupported}`]);
    const known = this.options.rses;
    if ('rse' in spec && known && !known.includes(spec.rse)) {
      throw new FaultSpecError([`rse: unknown RSE "${spec.rse}" (known: ${known.join(', ')})`]);
    }
    if (spec.kind === 'gridmap_missing' && this.options.users?.[spec.user] === undefined) {
      throw new FaultSpecError([`user: no DN is known for "${spec.user}"`]);
    }
  }

  private notify(): void {
    const runs = [...this.listeners].map((listener) =>
      new Promise<void>((resolve) => resolve(listener())).catch((err: unknown) => {
        this.failures.push(err);
      }),
    );
    this.applying = Promise.all([this.applying, ...runs]);
  }
}
