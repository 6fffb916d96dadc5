// The sandbox catalogue: an HTTPS server answering the subset of the Rucio REST
// API the lake client uses, with its state in SQLite.
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { catalogueFaultReply } from '../faults/catalogue-hook.js';
import type { CatalogueFaults } from '../faults/fault-set.js';
import { abacusSchedule, catchUpAbacus, ensureCounterTables } from './account-counters.js';
import { accountRoutes } from './accounts.js';
import type { CatalogueAdmin } from './admin.js';
import { createAdmin } from './admin.js';
import type { PeerIdentity } from './auth.js';
import { authUserpass, authValidate, authX509, validateToken } from './auth.js';
import type { Catalogue, DeletionArchive, JwtClaims } from './context.js';
import { header } from './context.js';
import { openDatabase } from './db.js';
import { didBulkRoutes } from './did-bulk.js';
import { didFollowRoutes } from './did-follow.js';
import { didHistoryRoutes } from './did-history.js';
import { didListingRoutes } from './did-listing.js';
import { didLookupRoutes } from './did-lookups.js';
import { didMetaViewRoutes } from './did-meta-views.js';
import { didResurrectRoutes } from './did-resurrect.js';
import { didSampleRoutes } from './did-sample.js';
import { didRoutes } from './dids.js';
import { RucioError, errorReply } from './errors.js';
import { catchUpJudge, ensureJudgeTables, judgeSchedule } from './judge-evaluator.js';
import type { HeaderValue, Reply } from './http.js';
import { emptyOk, flaskErrorPage, flaskReply, methodNotAllowed, redirectReply } from './http.js';
import { replicaExtraRoutes } from './replica-extras.js';
import { replicaRoutes } from './replicas.js';
import { requestRoutes } from './requests.js';
import { Router, allowedMethods, checkAccept } from './router.js';
import { rseExtraRoutes } from './rse-extras.js';
import { embargoCheck, type EmbargoedScope } from './embargo-scopes.js';
import { rseRoutes } from './rses.js';
import { ruleRoutes } from './rules.js';

export type { CatalogueAdmin, TransferRequest, ReplicaInfo } from './admin.js';
export type { ExpireResult } from './housekeeping.js';

export interface CatalogueOptions {
  dbPath: string;
  tls: { certPem: string; keyPem: string; caPems: string[] };
  port?: number;
  vo?: string;
  /** Verifies a client TLS chain (RFC 3820 proxies included); returns the end-entity DN in slash form. */
  verifyClientChain(chainDer: Buffer[]): { ok: true; dn: string } | { ok: false; reason: string };
  /** Verifies a JWT from a trusted issuer; null when invalid/expired/untrusted. */
  verifyJwt(token: string): Promise<JwtClaims | null>;
  now?: () => Date;
  tokenLifetimeSeconds?: number;
  /** Injected faults, consulted on every request (none: normal behaviour). */
  faults?: CatalogueFaults;
  /** Scopes only their member accounts may touch (embargoed data). */
  embargoedScopes?: EmbargoedScope[];
  /**
   * Seconds between abacus-account runs (0..3600, default 10 as Rucio's daemon): account usage, and the
   * quota checks of new rules, see lock changes only once a run has passed, as against a real Rucio.
   */
  abacusIntervalSeconds?: number;
  /**
   * Seconds from an attach or detach until the judge-evaluator brings the rules' locks in line (0..600,
   * default 1; 0: at once). Until then a rule reads OK with fewer locks than files, as against a real Rucio.
   */
  judgeEvaluatorSeconds?: number;
  /** Rucio's [deletion] archive_dids and archive_content (default off, as in Rucio). */
  deletion?: Partial<DeletionArchive>;
}

export interface CatalogueHandle {
  url: string;
  port: number;
  admin: CatalogueAdmin;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** How often the judge-evaluator looks for queued DIDs that are due. */
const JUDGE_TICK_MS = 250;

/** Views answered before routing (ping, auth blueprint): each takes GET only (and OPTIONS, HEAD as Flask adds them). */
const UNROUTED_GETS = new Set(['/ping', '/auth/userpass', '/auth/x509', '/auth/x509_proxy', '/auth/x509/webui', '/auth/validate']);

/** The client's certificate chain, leaf first, as DER (Node links issuers; a self-issued one links to itself). */
function peerChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let cert: PeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    chain.push(cert.raw);
    seen.add(cert.fingerprint256);
    const next: PeerCertificate | undefined = (cert as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
    if (!next || next === cert) break;
    cert = next;
  }
  return chain;
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) parts.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function baseHeaders(req: IncomingMessage): Record<string, HeaderValue> {
  const h: Record<string, HeaderValue> = {
    'Access-Control-Allow-Origin': header(req.headers, 'origin') ?? 'None',
    'Access-Control-Allow-Headers': header(req.headers, 'access-control-request-headers') ?? 'None',
    'Access-Control-Allow-Methods': '*',
    'Access-Control-Allow-Credentials': 'true',
  };
  if (req.method === 'GET') {
    h['Cache-Control'] = 'post-check=0, pre-check=0';
    h.Pragma = 'no-cache';
  }
  return h;
}

function send(res: ServerResponse, req: IncomingMessage, reply: Reply): void {
  const headers = { ...baseHeaders(req), ...reply.headers, 'Content-Length': String(Buffer.byteLength(reply.body)) };
  try {
    res.writeHead(reply.status, headers);
  } catch (err) {
    // A header value Node refuses (e.g. a DN outside Latin-1 in a token): answer instead of crashing.
    const body = `cannot send the answer: ${err instanceof Error ? err.message : String(err)}`;
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
    return;
  }
  res.end(reply.body);
}

export async function startCatalogue(opts: CatalogueOptions): Promise<CatalogueHandle> {
  const clock = opts.now ?? (() => new Date());
  const abacus = abacusSchedule(opts.abacusIntervalSeconds, clock().getTime());
  const judge = judgeSchedule(opts.judgeEvaluatorSeconds);
  const db = openDatabase(opts.dbPath);
  ensureCounterTables(db);
  ensureJudgeTables(db);
  const cat: Catalogue = {
    db,
    vo: opts.vo ?? 'def',
    now: () => clock().getTime(),
    tokenLifetimeSeconds: opts.tokenLifetimeSeconds ?? 3600,
    verifyJwt: (token) => opts.verifyJwt(token),
    abacus,
    judge,
    transferCancellations: new Set(),
    deletion: { archiveDids: opts.deletion?.archiveDids ?? false, archiveContent: opts.deletion?.archiveContent ?? false },
  };
  // The judge-evaluator also runs on its own clock, so transfers of attached files are queued while no client asks.
  const judgeTimer = judge.delayMs > 0
    ? setInterval(() => {
      try {
        db.transaction(() => catchUpJudge(cat))();
      } catch {
        // A busy or closing database: the next tick (or request) catches up.
      }
    }, Math.min(JUDGE_TICK_MS, judge.delayMs))
    : undefined;
  judgeTimer?.unref();
  // First match wins: the specific DID views come before /dids/<scope>/<name>, which takes any path.
  const router = new Router([
    ...accountRoutes, ...rseExtraRoutes, ...rseRoutes, ...didBulkRoutes, ...didListingRoutes, ...didHistoryRoutes, ...didFollowRoutes,
    ...didLookupRoutes, ...didMetaViewRoutes, ...didResurrectRoutes, ...didSampleRoutes, ...didRoutes, ...replicaExtraRoutes, ...replicaRoutes, ...ruleRoutes, ...requestRoutes,
  ]);
  const peers = new WeakMap<TLSSocket, PeerIdentity>();
  const checkEmbargo = embargoCheck(opts.embargoedScopes);

  const peerIdentity = (socket: TLSSocket): PeerIdentity => {
    const known = peers.get(socket);
    if (known) return known;
    const chain = peerChain(socket);
    let identity: PeerIdentity = { kind: 'none' };
    if (chain.length) {
      const verdict = opts.verifyClientChain(chain);
      identity = verdict.ok ? { kind: 'dn', dn: verdict.dn } : { kind: 'invalid', reason: verdict.reason };
    }
    peers.set(socket, identity);
    return identity;
  };

  const dispatch = async (req: IncomingMessage, body: string): Promise<Reply> => {
    // Flask's MethodView answers HEAD with the GET view (Node leaves the body out).
    const method = req.method === 'HEAD' ? 'GET' : req.method ?? 'GET';
    const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?', 2);
    if (UNROUTED_GETS.has(rawPath)) {
      if (method === 'OPTIONS') return emptyOk();
      if (method !== 'GET') return methodNotAllowed(allowedMethods(['GET']));
    }
    if (rawPath === '/ping') return flaskReply({ version: '41.0.0' });
    if (rawPath === '/auth/userpass') return authUserpass(cat, req.headers);
    if (['/auth/x509', '/auth/x509_proxy', '/auth/x509/webui'].includes(rawPath)) {
      return authX509(cat, req.headers, peerIdentity(req.socket as TLSSocket));
    }
    if (rawPath === '/auth/validate') return authValidate(cat, req.headers);

    // Werkzeug routes before the blueprint's before_request runs: unknown URLs, wrong methods and
    // slash redirects are answered without looking at the token (flaskapi/v1/common.py request_auth_env).
    // A CORS preflight on a known URL: Flask adds OPTIONS to every rule and request_auth_env answers ('', 200).
    if (method === 'OPTIONS' && router.match('GET', rawPath).kind !== 'none') return emptyOk();
    const match = router.match(method, rawPath);
    if (match.kind === 'none' && !rawPath.endsWith('/') && router.match(method, `${rawPath}/`).kind !== 'none') {
      return redirectReply(308, `${rawPath}/${rawQuery ? `?${rawQuery}` : ''}`);
    }
    if (match.kind === 'none') return flaskErrorPage(404);
    if (match.kind === 'method') return methodNotAllowed(match.allowed);

    const token = header(req.headers, 'X-Rucio-Auth-Token');
    if (!token) throw new RucioError(400, 'ValueError', 'Token must be set.');
    const caller = await validateToken(cat, token.trim()).catch(() => null);
    if (!caller) throw new RucioError(401, 'CannotAuthenticate', 'Cannot authenticate with given credentials');
    if (match.route.accept) checkAccept(header(req.headers, 'accept'), match.route.accept);
    const ctx = { cat, method, params: match.params, query: new URLSearchParams(rawQuery), headers: req.headers, body, caller };
    checkEmbargo(ctx);
    return db.transaction(() => {
      catchUpAbacus(cat);
      catchUpJudge(cat);
      return match.route.handler(ctx);
    })();
  };

  const server = https.createServer(
    { cert: opts.tls.certPem, key: opts.tls.keyPem, ca: opts.tls.caPems.length ? opts.tls.caPems : undefined, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      void (async () => {
        let reply: Reply;
        try {
          const body = await readBody(req);
          const faulted = await catalogueFaultReply(opts.faults, req.url, res);
          if (faulted === 'dropped') return;
          reply = faulted ?? (body === null ? flaskErrorPage(413) : await dispatch(req, body));
        } catch (err) {
          reply = err instanceof RucioError
            ? errorReply(err)
            : { status: 500, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: err instanceof Error ? err.message : String(err) };
        }
        send(res, req, reply);
      })();
    },
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `https://127.0.0.1:${port}`,
    port,
    admin: createAdmin(cat),
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(judgeTimer);
        server.close(() => {
          db.close();
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
