// xrdcp and xrdfs report any failed TLS handshake as a bare "TLS error", whichever side's
// certificate failed. root:// speaks TLS only after XRootD's own opening (the 20-byte
// handshake and a kXR_protocol request asking for TLS; the server answers kXR_gotoTLS), so
// this does that opening, then a TLS handshake that verifies against the same trust anchors
// without failing, and reads what the server presented and why it did not verify.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';

/** Bound of the whole inspection (connect, opening, handshake). */
const INSPECT_TIMEOUT_MS = 5_000;
/** Handshake: four int32 0, 0, 0, 4 then 2012 (XProtocol.hh, ClientInitHandShake). */
const HANDSHAKE = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0x07, 0xdc]);
const KXR_PROTOCOL = 3006;
const PROTOCOL_VERSION = 0x00000520;
/** kXR_secreqs | kXR_ableTLS | kXR_wantTLS. */
const WANT_TLS = 0x01 | 0x02 | 0x04;
const EXPECT_LOGIN = 0x03;
const STREAM_ID = 1;
/** Response flag: switch to TLS now. */
const GOTO_TLS = 0x40000000;
const RESPONSE_HEADER = 8;
/** The opening's answers are small; a larger frame is not XRootD. */
const MAX_FRAME = 64 * 1024;

function protocolRequest(): Buffer {
  const request = Buffer.alloc(24);
  request.writeUInt16BE(STREAM_ID, 0);
  request.writeUInt16BE(KXR_PROTOCOL, 2);
  request.writeUInt32BE(PROTOCOL_VERSION, 4);
  request[8] = WANT_TLS;
  request[9] = EXPECT_LOGIN;
  return request;
}

export interface XrootdTlsPeer {
  certificate: PeerCertificate | null;
  /** OpenSSL's verification code (CERT_HAS_EXPIRED …), null when the chain verified. */
  verifyError: string | null;
}

/** Reads frames until the kXR_protocol answer; resolves whether it says to go to TLS. */
function awaitGotoTls(socket: Socket): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= RESPONSE_HEADER) {
        const streamId = buffered.readUInt16BE(0);
        const status = buffered.readUInt16BE(2);
        const length = buffered.readUInt32BE(4);
        if (length > MAX_FRAME) return finish(new Error('not an XRootD answer'));
        if (buffered.length < RESPONSE_HEADER + length) return;
        const body = buffered.subarray(RESPONSE_HEADER, RESPONSE_HEADER + length);
        buffered = buffered.subarray(RESPONSE_HEADER + length);
        if (streamId !== STREAM_ID) continue; // the handshake's own answer
        if (status !== 0 || body.length < 8) return finish(new Error(`kXR_protocol answered status ${status}`));
        return finish(null, (body.readUInt32BE(4) & GOTO_TLS) !== 0);
      }
    };
    const finish = (error: Error | null, gotoTls = false): void => {
      socket.off('data', onData);
      if (error) reject(error);
      else resolve(gotoTls);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('end', () => reject(new Error('closed during the XRootD opening')));
  });
}

/**
 * The certificate an XRootD server presents on `host:port` for root:// over TLS, and OpenSSL's
 * verdict on it against `ca` (Node's defaults when empty); null when the server cannot be
 * reached, does not switch to TLS, or does not finish the handshake in time.
 */
export async function inspectXrootdTls(host: string, port: number, ca: readonly string[]): Promise<XrootdTlsPeer | null> {
  const socket = tcpConnect({ host, port });
  // Failures are answered by the promises below; a late second error must not go unhandled.
  socket.on('error', () => {});
  const timer = setTimeout(() => socket.destroy(new Error('timed out')), INSPECT_TIMEOUT_MS);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write(Buffer.concat([HANDSHAKE, protocolRequest()]));
    if (!(await awaitGotoTls(socket))) return null;
    socket.removeAllListeners('data');
    return await new Promise<XrootdTlsPeer | null>((resolve) => {
      const tls = tlsConnect({
        socket, servername: /^[\d.:]+$/.test(host) ? undefined : host, rejectUnauthorized: false, ...(ca.length ? { ca: [...ca] } : {}),
      });
      tls.once('secureConnect', () => {
        const cert = tls.getPeerCertificate();
        const error = tls.authorizationError as unknown;
        resolve({
          certificate: cert && Object.keys(cert).length > 0 ? cert : null,
          verifyError: tls.authorized ? null : typeof error === 'string' ? error : (error as { code?: string } | null)?.code ?? String(error),
        });
        tls.destroy();
      });
      tls.once('error', () => resolve(null));
      tls.once('close', () => resolve(null));
    });
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
