// Typed client for the Rucio REST API (paths and shapes as served by Rucio 41).
// It returns values and throws RucioApiError / CredentialError / Node network errors;
// classifying them is the engine's job.
import { RucioApiError } from '../errors.js';
import { TokenSession } from './auth.js';
import { apiError, HttpTransport, parseJson, parseJsonStream, type HttpResponse } from './http.js';
import type {
  AccountInfo, AddDidOptions, AddRuleOptions, ContentEntry, Did, DidInfo, DidMeta, ListReplicasOptions,
  LockInfo, PingInfo, ReplicaFile, ReplicaRecord, ReplicaStateUpdate, RequestInfo, RseAttributes, RseDistance, RseInfo,
  RseProtocol, RucioClientOptions, RuleInfo, UpdateRuleOptions,
} from './types.js';

/** The dids/attachments schemas accept at most 1000 items per call. */
const BULK_CHUNK = 1000;
const USER_AGENT = 'lakeprobe';

interface CallInit {
  body?: unknown;
  accept?: string;
  /** false for public endpoints (ping). */
  auth?: boolean;
}

/** Percent-encodes one path segment or query value, including the characters encodeURIComponent keeps. */
function seg(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function didPath(scope: string, name: string): string {
  return `/dids/${seg(scope)}/${seg(name)}`;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BULK_CHUNK) out.push(items.slice(i, i + BULK_CHUNK));
  return out;
}

function baseUrl(host: string): (path: string) => URL {
  const base = new URL(host);
  const prefix = base.pathname.replace(/\/+$/, '');
  return (path) => new URL(`${prefix}${path}`, base.origin);
}

export class RucioClient {
  readonly account: string;
  private readonly apiUrl: (path: string) => URL;
  private readonly transport: HttpTransport;
  private readonly authTransport: HttpTransport;
  private readonly session: TokenSession;
  private readonly options: RucioClientOptions;

  constructor(options: RucioClientOptions) {
    this.options = options;
    // The plan's lake.timeouts bound every catalogue call, logins included, as they bound storage requests.
    const tls = {
      ca: options.ca, insecure: options.insecure, service: 'catalogue',
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.timeouts && { timeouts: options.timeouts }),
    };
    const secrets = (): string[] => this.session.secrets();
    this.account = options.account;
    this.apiUrl = baseUrl(options.rucioHost);
    this.transport = new HttpTransport(tls, secrets);
    // Only the login presents the client certificate, as the Rucio clients do.
    this.authTransport = options.auth.method === 'x509'
      ? new HttpTransport({ ...tls, certPem: options.auth.credential.certPem, keyPem: options.auth.credential.keyPem }, secrets)
      : this.transport;
    this.session = new TokenSession({
      transport: this.authTransport,
      authUrl: baseUrl(options.authHost),
      account: options.account,
      vo: options.vo ?? 'def',
      appId: options.appId ?? 'lakeprobe',
      userAgent: USER_AGENT,
      auth: options.auth,
      now: options.now ?? (() => new Date()),
    });
  }

  /** Logs in now (for a bearer token: checks it) and returns when the token expires. */
  async authenticate(): Promise<{ expiresAt: Date | null }> {
    const { expiresAt } = await this.session.login();
    return { expiresAt };
  }

  /** When the credential this client logs in with expires (x509 certificate or proxy, bearer token); null for userpass. */
  credentialExpiresAt(): Date | null {
    const { auth } = this.options;
    if (auth.method === 'x509') return auth.credential.notAfter;
    if (auth.method === 'token') return auth.token.expiresAt;
    return null;
  }

  /** The same lake (hosts, trust anchors, VO) as another identity, e.g. an embargo outsider. */
  as(auth: RucioClientOptions['auth'], account: string): RucioClient {
    return new RucioClient({ ...this.options, auth, account });
  }

  close(): void {
    this.transport.close();
    if (this.authTransport !== this.transport) this.authTransport.close();
  }

  // --- identity and accounts ---

  async ping(): Promise<PingInfo> {
    return this.json('GET', '/ping', { auth: false });
  }

  /** Follows the server's relative 303 to /accounts/<account>. */
  async whoami(): Promise<AccountInfo> {
    return this.json('GET', '/accounts/whoami');
  }

  async setAccountLimit(account: string, rse: string, bytes: number): Promise<void> {
    await this.call('POST', `/accounts/${seg(account)}/limits/local/${seg(rse)}`, { body: { bytes } });
  }

  /** The local limit in bytes, null when none is set, Infinity for Rucio's "unlimited" (-1). */
  async getAccountLimit(account: string, rse: string): Promise<number | null> {
    const path = `/accounts/${seg(account)}/limits/local/${seg(rse)}`;
    const res = await this.call('GET', path);
    // Python's json renders an unlimited quota as a bare Infinity, which JSON.parse rejects.
    const text = res.body.replace(/(:\s*)Infinity\b/g, '$1"Infinity"');
    const limits = parseJson<Record<string, number | string | null>>({ ...res, body: text }, 'GET', path);
    const value = limits[rse] ?? null;
    return value === 'Infinity' ? Number.POSITIVE_INFINITY : typeof value === 'number' ? value : null;
  }

  // --- RSEs ---

  /** RSE names, all of them or those matching an RSE expression (400 InvalidRSEExpression if none). */
  async listRses(expression?: string): Promise<string[]> {
    const path = expression ? `/rses/?expression=${seg(expression)}` : '/rses/';
    const rows = await this.stream<{ rse: string }>('GET', path);
    return rows.map((row) => row.rse);
  }

  async getRse(rse: string): Promise<RseInfo> {
    return this.json('GET', `/rses/${seg(rse)}`);
  }

  async getProtocols(rse: string): Promise<RseProtocol[]> {
    return this.json('GET', `/rses/${seg(rse)}/protocols`);
  }

  async listRseAttributes(rse: string): Promise<RseAttributes> {
    return this.json('GET', `/rses/${seg(rse)}/attr/`);
  }

  /**
   * The distance rows from one RSE to another (GET /rses/<src>/distances/<dst>, core/distance.py get_distances):
   * an empty list when Rucio knows no distance, so it finds no path between them for a transfer.
   */
  async getDistances(source: string, destination: string): Promise<RseDistance[]> {
    return this.json('GET', `/rses/${seg(source)}/distances/${seg(destination)}`);
  }

  /** Server-side lfn2pfn, for algorithms only the server's policy package knows. Keyed 'scope:name'. */
  async lfnsToPfns(rse: string, lfns: readonly Did[], scheme: string): Promise<Record<string, string>> {
    const query = [...lfns.map((d) => `lfn=${seg(`${d.scope}:${d.name}`)}`), `scheme=${seg(scheme)}`].join('&');
    return this.json('GET', `/rses/${seg(rse)}/lfns2pfns?${query}`);
  }

  // --- scopes ---

  async listScopes(): Promise<string[]> {
    return this.json('GET', '/scopes/');
  }

  /** The account's scopes; Rucio answers 404 ScopeNotFound for an account without any. */
  async listAccountScopes(account: string): Promise<string[]> {
    try {
      return await this.json<string[]>('GET', `/accounts/${seg(account)}/scopes/`);
    } catch (error) {
      if (error instanceof RucioApiError && error.exceptionClass === 'ScopeNotFound') return [];
      throw error;
    }
  }

  async addScope(account: string, scope: string): Promise<void> {
    await this.call('POST', `/accounts/${seg(account)}/scopes/${seg(scope)}`);
  }

  // --- DIDs ---

  async addDid(scope: string, name: string, options: AddDidOptions): Promise<void> {
    await this.call('POST', didPath(scope, name), { body: { type: options.type, lifetime: options.lifetime, meta: options.meta } });
  }

  async getDid(scope: string, name: string): Promise<DidInfo> {
    return this.json('GET', didPath(scope, name));
  }

  async getDidMeta(scope: string, name: string): Promise<DidMeta> {
    return this.json('GET', `${didPath(scope, name)}/meta`);
  }

  /** POST /dids/<did>/meta (lib/rucio/web/rest/flaskapi/v1/dids.py Meta.post): several keys at once. */
  async setDidMeta(scope: string, name: string, meta: Record<string, string | number>): Promise<void> {
    await this.call('POST', `${didPath(scope, name)}/meta`, { body: { meta } });
  }

  /**
   * GET /dids/<scope>/dids/search (dids.py Search.get) with equality filters as query arguments
   * (`*` a wildcard in `name`): the names of the matching DIDs of `type`, as `rucio list-dids` finds them.
   */
  async searchDids(scope: string, filters: Record<string, string | number>, type: 'all' | 'collection' | 'container' | 'dataset' | 'file' = 'collection'): Promise<string[]> {
    const query = new URLSearchParams({ type, ...Object.fromEntries(Object.entries(filters).map(([k, v]) => [k, String(v)])) });
    return this.stream<string>('GET', `/dids/${seg(scope)}/dids/search?${query.toString()}`);
  }

  async attachDids(scope: string, name: string, dids: readonly Did[]): Promise<void> {
    for (const part of chunks(dids)) {
      await this.call('POST', `${didPath(scope, name)}/dids`, { body: { dids: part.map(({ scope: s, name: n }) => ({ scope: s, name: n })) } });
    }
  }

  /**
   * Registers files as replicas on `rse` and attaches them to the collection, one call per
   * 1000 files (Rucio creates the replicas and the attachment in one transaction, so a
   * replica never exists outside the collection and the rules on it).
   */
  async attachReplicas(scope: string, name: string, rse: string, files: readonly ReplicaFile[]): Promise<void> {
    for (const part of chunks(files)) await this.call('POST', `${didPath(scope, name)}/dids`, { body: { rse, dids: part } });
  }

  /** Direct children of a collection. */
  async listContent(scope: string, name: string): Promise<ContentEntry[]> {
    return this.stream('GET', `${didPath(scope, name)}/dids`);
  }

  /** expired_at = now + seconds (a daemon then deletes the DID); null clears it. */
  async setDidLifetime(scope: string, name: string, seconds: number | null): Promise<void> {
    await this.call('POST', `${didPath(scope, name)}/meta/lifetime`, { body: { value: seconds } });
  }

  // --- replicas ---

  /** Registers replicas (and creates missing file DIDs); existing replicas are skipped by the server. */
  async addReplicas(rse: string, files: readonly ReplicaFile[]): Promise<void> {
    for (const part of chunks(files)) await this.call('POST', '/replicas', { body: { rse, files: part } });
  }

  /** Removes replicas from the catalogue. Rucio 41 refuses it to every account, root included (401 AccessDenied). */
  async deleteReplicas(rse: string, files: readonly Did[]): Promise<void> {
    for (const part of chunks(files)) {
      await this.call('DELETE', '/replicas', { body: { rse, files: part.map(({ scope, name }) => ({ scope, name })) } });
    }
  }

  async updateReplicaStates(rse: string, files: readonly ReplicaStateUpdate[]): Promise<void> {
    for (const part of chunks(files)) await this.call('PUT', '/replicas', { body: { rse, files: part } });
  }

  /** One call for any number of DIDs (several records per call: bulk verification). */
  async listReplicas(options: ListReplicasOptions): Promise<ReplicaRecord[]> {
    const body = {
      dids: options.dids.map(({ scope, name }) => ({ scope, name })),
      schemes: options.schemes,
      rse_expression: options.rseExpression,
      all_states: options.allStates,
    };
    return this.stream('POST', '/replicas/list', { body, accept: 'application/x-json-stream' });
  }

  // --- rules and requests ---

  /** Creates one rule per DID and returns their ids. */
  async addRule(options: AddRuleOptions): Promise<string[]> {
    const body = {
      dids: options.dids.map(({ scope, name }) => ({ scope, name })),
      copies: options.copies,
      rse_expression: options.rseExpression,
      account: options.account ?? this.account,
      lifetime: options.lifetime,
      grouping: options.grouping,
      activity: options.activity,
      comment: options.comment,
      purge_replicas: options.purgeReplicas,
      source_replica_expression: options.sourceReplicaExpression,
      ignore_availability: options.ignoreAvailability,
    };
    return this.json('POST', '/rules/', { body });
  }

  async getRule(id: string): Promise<RuleInfo> {
    return this.json('GET', `/rules/${seg(id)}`);
  }

  async updateRule(id: string, options: UpdateRuleOptions): Promise<void> {
    const body = {
      options: {
        lifetime: options.lifetime,
        comment: options.comment,
        locked: options.locked,
        account: options.account,
        activity: options.activity,
        source_replica_expression: options.sourceReplicaExpression,
        purge_replicas: options.purgeReplicas,
        priority: options.priority,
        boost_rule: options.boostRule,
      },
    };
    await this.call('PUT', `/rules/${seg(id)}`, { body });
  }

  /** Soft delete: the rule expires within an hour. The server needs a JSON body, even an empty one. */
  async deleteRule(id: string, purgeReplicas?: boolean): Promise<void> {
    await this.call('DELETE', `/rules/${seg(id)}`, { body: purgeReplicas === undefined ? {} : { purge_replicas: purgeReplicas } });
  }

  async listRuleLocks(id: string): Promise<LockInfo[]> {
    return this.stream('GET', `/rules/${seg(id)}/locks`);
  }

  async listDidRules(scope: string, name: string): Promise<RuleInfo[]> {
    return this.stream('GET', `${didPath(scope, name)}/rules`);
  }

  /** The live (queued or submitted) request for a file towards an RSE: every account may read it (perm_get_request_by_did). */
  async getLiveRequest(scope: string, name: string, rse: string): Promise<RequestInfo> {
    return this.json('GET', `/requests/${seg(scope)}/${seg(name)}/${seg(rse)}`);
  }

  /**
   * The transfer request for a file towards an RSE. Rucio's finisher moves a request to the
   * history as the replica becomes available, so a finished one is read from there.
   */
  async getRequest(scope: string, name: string, rse: string): Promise<RequestInfo> {
    const path = `${seg(scope)}/${seg(name)}/${seg(rse)}`;
    try {
      return await this.json('GET', `/requests/${path}`);
    } catch (error) {
      if (!(error instanceof RucioApiError && error.exceptionClass === 'RequestNotFound')) throw error;
      return this.json('GET', `/requests/history/${path}`);
    }
  }

  /** Earlier attempts of the transfer of a file towards an RSE (Rucio's request history). */
  async getRequestHistory(scope: string, name: string, rse: string): Promise<RequestInfo[]> {
    return this.stream('GET', `/requests/history/${seg(scope)}/${seg(name)}/${seg(rse)}`);
  }

  /** Transfer requests between two RSEs in the given states (Rucio 41 GET /requests/list). */
  async listRequests(options: { srcRse: string; dstRse: string; states: readonly string[] }): Promise<RequestInfo[]> {
    const query = `src_rse=${seg(options.srcRse)}&dst_rse=${seg(options.dstRse)}&request_states=${seg(options.states.join(','))}`;
    return this.stream('GET', `/requests/list?${query}`, { accept: 'application/x-json-stream' });
  }

  /** Files of a collection, recursively (GET /dids/{scope}/{name}/files). */
  async listFiles(scope: string, name: string): Promise<{ scope: string; name: string; bytes: number; adler32: string | null }[]> {
    return this.stream('GET', `${didPath(scope, name)}/files`);
  }

  // --- plumbing ---

  private async json<T>(method: string, path: string, init?: CallInit): Promise<T> {
    return parseJson<T>(await this.call(method, path, init), method, path);
  }

  private async stream<T>(method: string, path: string, init?: CallInit): Promise<T[]> {
    return parseJsonStream<T>(await this.call(method, path, init), method, path);
  }

  /** One API call; on 401 CannotAuthenticate (token expired or revoked) it logs in again once. */
  private async call(method: string, path: string, init: CallInit = {}): Promise<HttpResponse> {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const authenticated = init.auth !== false;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { 'User-Agent': USER_AGENT };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (init.accept) headers.Accept = init.accept;
      if (authenticated) headers['X-Rucio-Auth-Token'] = await this.session.token();
      const res = await this.transport.send({ method, url: this.apiUrl(path), headers, body });
      if (res.status >= 200 && res.status < 300) return res;
      const error = apiError(res, method, path, this.session.secrets());
      const retry = attempt === 0 && authenticated && this.session.renewable
        && res.status === 401 && error.exceptionClass === 'CannotAuthenticate';
      if (!retry) throw this.session.annotateRefusal(error);
      this.session.invalidate();
    }
  }
}
