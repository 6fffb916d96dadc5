import { constants } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { followRseDown } from '../faults/listening.js';
import type { StorageAction } from '../tokens/scopes.js';
import { authenticate, authorize, identityName } from './authorize.js';
import { handleCopy } from './copy.js';
import { handleMove } from './move.js';
import { handleDelete, handleGet, handleMkcol, handlePropfind, handlePut, sendText, type Target } from './handlers.js';
import { diskPath, requestPath } from './paths.js';
import type { EmbargoPolicy, Identity, StorageEndpoint, StorageEndpointOptions } from './types.js';

const ALLOW = 'OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, PROPFIND, COPY, MOVE';

const READS = new Set(['GET', 'HEAD', 'PROPFIND']);

/** The embargo_open fault: a policy over no path, since requestPath() never yields a NUL. */
const OPEN_EMBARGO: EmbargoPolicy = { path: '/\0', members: [], group: '' };

function actionFor(method: string, exists: boolean): StorageAction {
  if (READS.has(method)) return 'read';
  if (method === 'DELETE' || (method === 'PUT' && exists)) return 'modify';
  return 'create';
}

function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * A builtin HTTPS/WebDAV storage element that answers like XRootD's XrdHttp where
 * clients notice: x509 proxies or WLCG tokens, gridmap, Want-Digest, PUT creating
 * parent directories, MOVE for clients that rename an upload into place.
 */
export async function startStorageEndpoint(opts: StorageEndpointOptions): Promise<StorageEndpoint> {
  // Known once listening: the endpoint's own URL, when it accepts only that audience.
  const own: { audience?: string } = {};
  const serve = async (req: IncomingMessage, res: ServerResponse, who: { identity?: Identity }): Promise<number> => {
    const method = req.method ?? 'GET';
    const path = requestPath(req.url);
    if (method === 'OPTIONS') {
      res.writeHead(200, { Allow: ALLOW, DAV: '1', 'Content-Length': '0' });
      res.end();
      return 0;
    }
    if (!ALLOW.split(', ').includes(method)) return sendText(res, 405, `Method ${method} not allowed`, { Allow: ALLOW });
    if (path === undefined) return sendText(res, 400, 'Invalid path');
    const identity = await authenticate(req, own.audience ? { ...opts, audiences: [own.audience] } : opts);
    if (!('kind' in identity)) return sendText(res, identity.status, identity.message);
    who.identity = identity;
    const fault = opts.faults?.storageFault(opts.name, {
      method, wantDigest: req.headers['want-digest'] !== undefined, ...(identity.kind === 'x509' ? { dn: identity.dn } : { bearer: true }),
    });
    if (fault) {
      // A HEAD answer has no body: the reason phrase carries the cause.
      res.statusMessage = fault.message;
      return sendText(res, fault.status, fault.message);
    }
    if (method === 'COPY') return handleCopy({ req, res, path, identity, opts });
    if (method === 'MOVE') return handleMove({ req, res, path, identity, opts });
    const file = diskPath(opts.root, path);
    const stats = await stat(file).catch(() => undefined);
    const embargo = READS.has(method) && opts.faults?.embargoOpen(opts.name) ? OPEN_EMBARGO : opts.embargo;
    const refusal = authorize(identity, method, actionFor(method, stats !== undefined), path, embargo);
    if (refusal) return sendText(res, refusal.status, refusal.message);
    const target: Target = { req, res, path, file, stats };
    switch (method) {
      case 'GET':
      case 'HEAD':
        return handleGet(target, method === 'HEAD');
      case 'PUT':
        return handlePut(target);
      case 'DELETE':
        return handleDelete(target);
      case 'MKCOL':
        return handleMkcol(target);
      default:
        return handlePropfind(target);
    }
  };

  const server = createServer(
    {
      cert: opts.tls.certPem,
      key: opts.tls.keyPem,
      ca: opts.caPems,
      // Node marks RFC 3820 proxy chains unauthorized: accept, then verify in verifyChain.
      requestCert: true,
      rejectUnauthorized: false,
      // A resumed TLS session keeps only the leaf certificate, not the user certificate
      // behind a proxy, so every connection must do a full handshake.
      secureOptions: constants.SSL_OP_NO_TICKET,
    },
    (req, res) => {
      const who: { identity?: Identity } = {};
      serve(req, res, who)
        .catch((err: unknown) => {
          if (res.headersSent) {
            res.destroy();
            return 0;
          }
          const code = (err as NodeJS.ErrnoException).code ?? 'unexpected error';
          return sendText(res, 500, `Internal error: ${code}`);
        })
        .then((bytes) => {
          // A refused upload's body is not wanted: drop the connection instead of reading it.
          if (!req.complete && hasBody(req)) res.once('finish', () => req.socket.destroySoon());
          opts.onAccess?.({
            method: req.method ?? 'GET',
            path: requestPath(req.url) ?? req.url ?? '',
            status: res.statusCode,
            bytes,
            ...(who.identity ? { identity: identityName(who.identity) } : {}),
          });
        });
    },
  );
  const port = await listen(server, opts.port ?? 0);
  if (opts.ownAudience) own.audience = `https://localhost:${port}`;
  const stopFollowing = await followRseDown(server, port, opts.name, opts.faults);
  return {
    name: opts.name,
    url: `https://localhost:${port}`,
    port,
    close: async () => {
      await stopFollowing();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
