// When a TLS handshake fails on the server's host certificate, Node says only
// "certificate has expired" or "self-signed certificate in certificate chain". A second
// handshake that does not verify (and sends no credential) reads the certificate the server
// presented, so the error names the host and port, the subject, the issuer and the validity:
// what the site admin must renew or the user must trust.
import { connect, type PeerCertificate } from 'node:tls';
import { ServerCertificateError, type ServerCertificateProblem } from '../errors.js';

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

/**
 * The error to report for `error`, a failed handshake with `url`'s server: a ServerCertificateError
 * naming the certificate when the failure was about it, else `error` itself.
 */
export async function explainServerCertificate(error: unknown, method: string, url: URL, redactedUrl: string): Promise<unknown> {
  const problem = serverCertificateProblem((error as { code?: unknown } | null)?.code);
  if (!problem) return error;
  const port = Number(url.port || 443);
  const cert = await peerCertificate(url.hostname, port);
  return new ServerCertificateError(problem, method, redactedUrl, `${url.hostname}:${port}`, {
    subject: dn(cert?.subject), issuer: dn(cert?.issuer), validFrom: cert?.valid_from ?? '?', validTo: cert?.valid_to ?? '?',
  }, (error as Error).message, (error as { code: string }).code);
}
