// When a TLS handshake fails on the server's host certificate, Node says only
// "certificate has expired" or "self-signed certificate in certificate chain". A second
// handshake that does not verify (and sends no credential) reads the certificate the server
// presented, so the error names the host and port, the subject, the issuer and the validity:
// what the site admin must renew or the user must trust. xrdcp/xrdfs say only "TLS error":
// for root:// the certificate and OpenSSL's verdict come from xrootd-tls.ts.
import { connect, type PeerCertificate } from 'node:tls';
import { ServerCertificateError, StorageError, type ServerCertificateProblem } from '../errors.js';
import { inspectXrootdTls } from './xrootd-tls.js';

const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);
/** Bound of the second handshake. */
const INSPECT_TIMEOUT_MS = 5_000;

/** The problem a Node TLS verification code stands for, or null when it is not about the server's certificate. */
export function serverCertificateProblem(code: unknown): ServerCertificateProblem | null {
  if (typeof code !== 'string') return null;
  if (EXPIRED.has(code)) return code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not_yet_valid';
  return UNTRUSTED.has(code) ? 'untrusted' : null;
}

const dn = (name: PeerCertificate['subject'] | undefined): string =>
  name ? Object.entries(name).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`).join(', ') : '?';

/** Reads the certificate `host:port` presents, without verifying it; null when that fails too. */
function peerCertificate(host: string, port: number): Promise<PeerCertificate | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, rejectUnauthorized: false });
    const done = (cert: PeerCertificate | null): void => {
      socket.destroy();
      resolve(cert);
    };
    socket.setTimeout(INSPECT_TIMEOUT_MS, () => done(null));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      done(cert && Object.keys(cert).length > 0 ? cert : null);
    });
    socket.once('error', () => done(null));
  });
}

const facts = (cert: PeerCertificate | null | undefined): ServerCertificateError['certificate'] => ({
  subject: dn(cert?.subject), issuer: dn(cert?.issuer), validFrom: cert?.valid_from ?? '?', validTo: cert?.valid_to ?? '?',
});

/**
 * The error to report for `error`, a failed handshake with `url`'s server: a ServerCertificateError
 * naming the certificate when the failure was about it, else `error` itself.
 */
export async function explainServerCertificate(error: unknown, method: string, url: URL, redactedUrl: string): Promise<unknown> {
  const problem = serverCertificateProblem((error as { code?: unknown } | null)?.code);
  if (!problem) return error;
  const port = Number(url.port || 443);
  const cert = await peerCertificate(url.hostname, port);
  return new ServerCertificateError(problem, method, redactedUrl, `${url.hostname}:${port}`, facts(cert),
    (error as Error).message, (error as { code: string }).code);
}

/** XRootD's default port, for a root:// URL that names none. */
const XROOTD_PORT = 1094;
/** How xrdcp/xrdfs word a failed TLS handshake. */
const TOOL_TLS_FAILURE = /\bTLS\b|\bSSL\b/i;

/**
 * The error to report for `error`, a failed xrdcp/xrdfs call on root:// `url`: when the tool says
 * only that TLS failed, the server's certificate is inspected (trusting `ca`) and a
 * ServerCertificateError names it if it is what failed; else `error` itself.
 */
export async function explainRootServerCertificate(error: unknown, method: string, url: string, redactedUrl: string, ca: readonly string[]): Promise<unknown> {
  if (!(error instanceof StorageError) || !TOOL_TLS_FAILURE.test(error.detail)) return error;
  const server = /^roots?:\/\/(?:[^/@]*@)?(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?/i.exec(url);
  if (!server) return error;
  const host = server[1]!.replace(/^\[|\]$/g, '');
  const port = Number(server[2] ?? XROOTD_PORT);
  const peer = await inspectXrootdTls(host, port, ca);
  const problem = serverCertificateProblem(peer?.verifyError);
  if (!peer || !problem) return error;
  return new ServerCertificateError(problem, method, redactedUrl, `${host}:${port}`, facts(peer.certificate), error.detail, peer.verifyError ?? '');
}
