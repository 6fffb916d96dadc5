// What every handler receives: the catalogue (database, clock, VO), the
// authenticated caller, and the parsed request.
import type { IncomingHttpHeaders } from 'node:http';
import type { AbacusSchedule } from './account-counters.js';
import type { Db } from './db.js';
import type { JudgeSchedule } from './judge-evaluator.js';
import { RucioError } from './errors.js';

export interface JwtClaims {
  sub: string;
  iss: string;
  aud: string[];
  scope: string;
  exp: number;
}

export interface Catalogue {
  db: Db;
  vo: string;
  /** Current time in epoch milliseconds. */
  now(): number;
  tokenLifetimeSeconds: number;
  verifyJwt(token: string): Promise<JwtClaims | null>;
  /** When abacus-account folds queued usage deltas into the account counters. */
  abacus: AbacusSchedule;
  /** When the judge-evaluator re-evaluates the rules of collections whose content changed. */
  judge: JudgeSchedule;
  /** The transfer tool's cancel (transfer_core.cancel_transfers): told the ids of submitted requests a deletion cancelled. */
  transferCancellations: Set<(requestIds: string[]) => void>;
  /** Rucio's [deletion] archive_dids / archive_content (both off by default): what DID deletion keeps for resurrect and history. */
  deletion?: DeletionArchive;
}

export interface DeletionArchive {
  /** Deleted DIDs are copied to deleted_dids, from which POST /dids/resurrect brings them back. */
  archiveDids: boolean;
  /** A deleted collection's content rows are copied to contents_history. */
  archiveContent: boolean;
}

export interface Caller {
  account: string;
  identity: string;
  admin: boolean;
}

export interface RequestContext {
  cat: Catalogue;
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  caller: Caller;
}

export type JsonObject = Record<string, unknown>;

/** Rucio's json_parameters(): the body must be a JSON object. */
export function jsonObject(body: string, optional = false): JsonObject {
  if (optional && body === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new RucioError(400, 'ValueError', 'cannot decode json parameter dictionary');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RucioError(400, 'TypeError', 'body must be a json dictionary');
  }
  return parsed as JsonObject;
}

/** Rucio's param_get() without default: a missing key is a 400 KeyError. */
export function param(obj: JsonObject, key: string): unknown {
  if (!(key in obj)) throw new RucioError(400, 'KeyError', `'${key}' not defined`);
  return obj[key];
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Booleans as Rucio accepts them: true/false, 'true'/'false' (any case), 1/0. */
export function asBool(v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  throw new RucioError(400, 'TypeError', `'${String(v)}' must be a boolean type.`);
}
