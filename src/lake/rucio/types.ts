// Wire types of the Rucio REST API (server 41.x). Response records keep the server's
// own field names (snake_case) so they can be compared with Rucio's documentation and
// logs; request options are camelCase and mapped by the client.
import type { BearerToken, TrustAnchors, X509Credential } from '../credentials/types.js';
import type { StorageTimeouts } from '../storage/timeouts.js';

export type RucioAuth =
  | { method: 'userpass'; username: string; password: string }
  | { method: 'x509'; credential: X509Credential }
  | { method: 'token'; token: BearerToken };

export interface RucioClientOptions {
  /** API base URL, e.g. 'https://rucio.example.org' (no trailing /v1: Rucio mounts at the root). */
  rucioHost: string;
  /** Auth base URL; often the same host. */
  authHost: string;
  account: string;
  /** Sent on /auth/* only; the token carries it afterwards. Default 'def'. */
  vo?: string;
  /** X-Rucio-AppID, which becomes part of non-OIDC tokens. Default 'lakeprobe'. */
  appId?: string;
  auth: RucioAuth;
  /** PEM trust anchors; empty means Node's default roots. */
  ca: TrustAnchors;
  insecure?: boolean;
  /** One limit for connect, first byte and stall of each request (older form). */
  timeoutMs?: number;
  /** Per-phase limits of each request (the plan's `lake.timeouts`); unset phases take DEFAULT_CATALOGUE_TIMEOUTS. */
  timeouts?: Partial<StorageTimeouts>;
  now?: () => Date;
}

export interface Did {
  scope: string;
  name: string;
}

export type DidType = 'FILE' | 'DATASET' | 'CONTAINER';

export interface PingInfo {
  version: string;
}

export interface AccountInfo {
  account: string;
  account_type: 'USER' | 'GROUP' | 'SERVICE';
  status: 'ACTIVE' | 'SUSPENDED' | 'DELETED';
  email: string | null;
  /** ISO 'YYYY-MM-DDTHH:MM:SS' (this endpoint does not use the RFC-1123 form). */
  created_at: string;
  updated_at: string;
  suspended_at: string | null;
  deleted_at: string | null;
}

/** Priority per operation: lower is preferred, null means not supported (0 is highest since Rucio 39). */
export type ProtocolPriority = number | null;

export interface RseProtocol {
  scheme: string;
  hostname: string;
  port: number;
  prefix: string;
  impl: string;
  extended_attributes: Record<string, unknown> | null;
  domains: {
    lan: { read: ProtocolPriority; write: ProtocolPriority; delete: ProtocolPriority };
    wan: {
      read: ProtocolPriority;
      write: ProtocolPriority;
      delete: ProtocolPriority;
      third_party_copy_read?: ProtocolPriority;
      third_party_copy_write?: ProtocolPriority;
    };
  };
}

/** The RSE settings object of GET /rses/<rse>, used for protocol selection and lfn2pfn. */
export interface RseInfo {
  id: string;
  rse: string;
  rse_type: 'DISK' | 'TAPE';
  deterministic: boolean;
  volatile: boolean;
  staging_area: boolean;
  availability: number;
  availability_read: boolean;
  availability_write: boolean;
  availability_delete: boolean;
  lfn2pfn_algorithm: string;
  verify_checksum: boolean;
  sign_url: string | null;
  qos_class: string | null;
  credentials: unknown;
  domain: string[];
  protocols: RseProtocol[];
}

export type RseAttributes = Record<string, string | number | boolean | null>;

/** One row of GET /rses/<src>/distances/<dst>; `ranking` is the old name of `distance`. */
export interface RseDistance { src_rse_id: string; dest_rse_id: string; distance: number | null; ranking?: number | null }

export interface DidInfo {
  scope: string;
  name: string;
  type: DidType;
  account: string;
  bytes: number | null;
  length: number | null;
  /** Files only. */
  adler32?: string | null;
  md5?: string | null;
  /** Collections only. */
  open?: boolean;
  monotonic?: boolean;
  expired_at?: string | null;
}

/** GET /dids/<did>/meta with the default DID_COLUMN plugin: every column of the DID row. */
export interface DidMeta {
  scope: string;
  name: string;
  account: string;
  did_type: DidType;
  bytes: number | null;
  length: number | null;
  adler32: string | null;
  md5: string | null;
  guid: string | null;
  is_open: boolean | null;
  expired_at: string | null;
  availability: string | null;
  created_at: string;
  updated_at: string;
  [column: string]: unknown;
}

export interface AddDidOptions {
  type: 'DATASET' | 'CONTAINER';
  /** Seconds until the DID expires (expired_at = now + lifetime). */
  lifetime?: number | null;
  meta?: Record<string, unknown>;
}

export interface ContentEntry {
  scope: string;
  name: string;
  type: DidType;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
}

/** One-letter replica state codes, as POST/PUT /replicas expect them. */
export type ReplicaStateCode = 'A' | 'U' | 'C' | 'B' | 'D' | 'T';
export type ReplicaStateName =
  | 'AVAILABLE' | 'UNAVAILABLE' | 'COPYING' | 'BEING_DELETED' | 'BAD' | 'TEMPORARY_UNAVAILABLE';

export interface ReplicaFile {
  scope: string;
  name: string;
  bytes: number;
  /** 8 lowercase hex digits, zero-padded. */
  adler32: string;
  md5?: string;
  pfn?: string;
  state?: ReplicaStateCode;
  meta?: Record<string, unknown>;
}

export interface ReplicaStateUpdate {
  scope: string;
  name: string;
  state: ReplicaStateCode;
  bytes?: number;
  adler32?: string;
  md5?: string;
}

export interface ListReplicasOptions {
  dids: Did[];
  schemes?: string[];
  rseExpression?: string;
  allStates?: boolean;
}

export interface PfnInfo {
  rse_id: string;
  rse: string;
  type: 'DISK' | 'TAPE';
  volatile: boolean;
  domain: 'wan' | 'lan' | 'zip';
  /** 1 is the best source. */
  priority: number;
  client_extract: boolean;
}

export interface ReplicaRecord {
  scope: string;
  name: string;
  bytes: number | null;
  md5: string | null;
  adler32: string | null;
  pfns: Record<string, PfnInfo>;
  rses: Record<string, string[]>;
  states: Record<string, ReplicaStateName>;
  parents?: string[];
}

export type RuleGrouping = 'ALL' | 'DATASET' | 'NONE';
export type RuleState = 'OK' | 'REPLICATING' | 'STUCK' | 'SUSPENDED' | 'WAITING_APPROVAL' | 'INJECT';
export type LockState = 'OK' | 'REPLICATING' | 'STUCK';

export interface AddRuleOptions {
  dids: Did[];
  copies: number;
  rseExpression: string;
  /** Owner charged for the quota; defaults to the client's account. */
  account?: string;
  /** Seconds; omitted or null means forever. */
  lifetime?: number | null;
  grouping?: RuleGrouping;
  activity?: string;
  comment?: string;
  purgeReplicas?: boolean;
  sourceReplicaExpression?: string;
  ignoreAvailability?: boolean;
}

export interface UpdateRuleOptions {
  lifetime?: number | null;
  comment?: string;
  locked?: boolean;
  account?: string;
  activity?: string;
  sourceReplicaExpression?: string | null;
  purgeReplicas?: boolean;
  priority?: number;
  boostRule?: boolean;
}

export interface RuleInfo {
  id: string;
  account: string;
  scope: string;
  name: string;
  did_type: DidType;
  state: RuleState;
  error: string | null;
  rse_expression: string;
  copies: number;
  expires_at: string | null;
  locked: boolean;
  locks_ok_cnt: number;
  locks_replicating_cnt: number;
  locks_stuck_cnt: number;
  source_replica_expression: string | null;
  activity: string;
  grouping: RuleGrouping;
  notification: string;
  stuck_at: string | null;
  purge_replicas: boolean;
  ignore_availability: boolean;
  ignore_account_limit: boolean;
  priority: number;
  comments: string | null;
  child_rule_id: string | null;
  eol_at: string | null;
  split_container: boolean;
  subscription_id: string | null;
  weight: string | null;
  meta: string | null;
  created_at: string;
  updated_at: string;
  /** Present in listings (GET /dids/<did>/rules, GET /rules/). */
  bytes?: number | null;
}

export interface LockInfo {
  scope: string;
  name: string;
  rse_id: string;
  rse: string;
  state: LockState;
  rule_id: string;
}

export interface RequestInfo {
  id: string;
  request_type: string;
  state: string;
  scope: string;
  name: string;
  did_type: DidType;
  rule_id: string;
  account: string;
  activity: string;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
  dest_rse: string;
  dest_rse_id: string;
  source_rse: string | null;
  source_rse_id: string | null;
  dest_url: string | null;
  err_msg: string | null;
  retry_count: number;
  transfertool: string | null;
  external_id: string | null;
  external_host: string | null;
  created_at: string;
  updated_at: string;
  submitted_at: string | null;
  started_at: string | null;
  transferred_at: string | null;
  [field: string]: unknown;
}
