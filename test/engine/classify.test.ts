import { readFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import dns from 'node:dns/promises';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, MAX_MESSAGE } from '../../src/engine/classify.js';
import { ERROR_CLASS_NAMES, type ErrorClass } from '../../src/engine/taxonomy.js';
import { ChecksumMismatchError, CredentialError, RucioApiError, StorageError } from '../../src/lake/errors.js';
// The sandbox's loader of @peculiar/x509 (it installs the Reflect shim the library needs).
import { x509 } from '../../src/sandbox/pki/x509.js';

interface FixtureMessage {
  message: string;
  source: string;
  class: ErrorClass;
  /** DAC21 only: 'message' is tool or server output, 'symptom' the logbook's own words. */
  kind?: 'message' | 'symptom';
  /** Why the expected class differs from what a reader of the logbook might guess. */
  note?: string;
  exceptionClass?: string;
  status?: number;
}

function fixture(name: string): FixtureMessage[] {
  return JSON.parse(readFileSync(new URL(`../fixtures/dac21/${name}`, import.meta.url), 'utf8')) as FixtureMessage[];
}

/** Wrap a fixture message the way a lake client would throw it. */
function asThrown(entry: FixtureMessage): unknown {
  if (entry.exceptionClass !== undefined) {
    return new RucioApiError(entry.status ?? 500, entry.exceptionClass, entry.message, 'GET', '/fixture');
  }
  if (entry.status !== undefined) return new StorageError(entry.status, 'GET', 'https://se.example/f', entry.message);
  return new Error(entry.message);
}

const DAC21 = fixture('error-messages.json');
const RUCIO_AND_STORAGE = fixture('rucio-and-storage-messages.json');

describe('classify: real messages', () => {
  it('fixtures name only classes of the taxonomy', () => {
    for (const entry of [...DAC21, ...RUCIO_AND_STORAGE]) {
      expect(ERROR_CLASS_NAMES).toContain(entry.class);
      expect(entry.message.trim()).toBe(entry.message);
      expect(entry.message.length).toBeGreaterThan(0);
    }
  });

  it.each(DAC21.map((e) => [e.class, e.source, e] as const))('DAC21 logbook → %s (%s)', (expected, _source, entry) => {
    expect(classify(asThrown(entry)).errorClass).toBe(expected);
  });

  it.each(RUCIO_AND_STORAGE.map((e) => [e.class, e.source, e] as const))('Rucio/storage → %s (%s)', (expected, _source, entry) => {
    expect(classify(asThrown(entry)).errorClass).toBe(expected);
  });

  it('classifies the DAC21 texts the same when they arrive as plain strings', () => {
    for (const entry of DAC21) expect(classify(entry.message).errorClass).toBe(entry.class);
  });
});

describe('classify: typed lake errors', () => {
  it.each([
    ['expired', 'auth_expired'],
    ['not_yet_valid', 'auth_expired'],
    ['missing', 'auth_invalid'],
    ['unreadable', 'auth_invalid'],
    ['invalid', 'auth_invalid'],
  ] as const)('CredentialError %s → %s', (problem, expected) => {
    expect(classify(new CredentialError(problem, '/tmp/x509up_u0', 'cannot use it')).errorClass).toBe(expected);
  });

  it('ChecksumMismatchError → checksum_mismatch', () => {
    expect(classify(new ChecksumMismatchError('adler32', '0a0b0c0d', 'deadbeef', 'MOCK-B')).errorClass).toBe('checksum_mismatch');
  });

  it.each([
    ['CannotAuthenticate', 401, 'Cannot authenticate with given credentials: token expired', 'auth_expired'],
    ['AccessDenied', 401, 'Account root can not add rule', 'catalogue_denied'],
    ['RSEProtocolNotSupported', 404, 'RSE does not support requested protocol.', 'protocol_unsupported'],
    ['RSEWriteBlocked', 400, 'RSE MOCK-A is blocked for write', 'service_unavailable'],
    ['ResourceTemporaryUnavailable', 500, 'try again later', 'service_unavailable'],
    ['FileAlreadyExists', 409, 'file exists', 'already_exists'],
    ['DatabaseException', 500, 'Database exception.', 'server_error'],
    ['RucioException', 500, 'The requested service is not available at the moment. Details: Connection refused', 'connection_refused'],
    ['', 502, '<html>Bad Gateway</html>', 'server_error'],
    ['', 503, 'Service Temporarily Unavailable', 'service_unavailable'],
    ['', 504, 'Gateway Time-out', 'timeout'],
    ['SomethingNew', 404, 'no idea', 'not_found'],
    ['SomethingNew', 418, 'no idea', 'unknown'],
  ] as const)('RucioApiError %s/%d → %s', (exceptionClass, status, message, expected) => {
    expect(classify(new RucioApiError(status, exceptionClass, message, 'POST', '/rules/')).errorClass).toBe(expected);
  });

  it.each([
    [403, 'token has expired', 'auth_expired'],
    [403, 'Gridmap lookup failure: Could not map /DC=org/CN=alice', 'gridmap_unmapped'],
    [401, 'DN has no mapping to a local user', 'gridmap_unmapped'],
    [403, 'access to the embargo area is restricted', 'auth_denied'],
    // XRootD answers a refused write at the destination with 401.
    [401, 'Unauthorized', 'auth_denied'],
    [403, 'Forbidden', 'auth_denied'],
    [404, 'checksum not available for this file', 'destination_checksum_missing'],
    [404, 'Not Found', 'not_found'],
    [503, 'Service Unavailable', 'service_unavailable'],
    [500, 'Internal Server Error', 'server_error'],
    // An HTTP-TPC COPY answers 201 and reports the failure on the last body line.
    [201, 'failure: Remote side failed with status code 404', 'not_found'],
    [200, 'no adler32 checksum in Digest header', 'destination_checksum_missing'],
    [0, 'gfal-copy: Connection refused', 'connection_refused'],
    [0, 'exit code 1', 'unknown'],
  ] as const)('StorageError %d "%s" → %s', (status, detail, expected) => {
    expect(classify(new StorageError(status, 'PUT', 'https://se.example/f', detail)).errorClass).toBe(expected);
  });
});

describe('classify: system errors by code', () => {
  it.each([
    [{ code: 'ETIMEDOUT', syscall: 'connect' }, 'connect_timeout'],
    [{ code: 'ESOCKETTIMEDOUT' }, 'timeout'],
    [{ code: 'ECONNABORTED', syscall: 'connect' }, 'connect_timeout'],
    [{ code: 'EPIPE', syscall: 'write' }, 'connection_reset'],
    [{ code: 'EAI_AGAIN', syscall: 'getaddrinfo' }, 'dns'],
    [{ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'server_ca_untrusted'],
    [{ code: 'SELF_SIGNED_CERT_IN_CHAIN' }, 'server_ca_untrusted'],
    [{ code: 'ERR_SSL_WRONG_VERSION_NUMBER' }, 'tls'],
    [{ code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED' }, 'auth_expired'],
    [{ code: 'UND_ERR_CONNECT_TIMEOUT' }, 'connect_timeout'],
  ] as const)('%o → %s', (fields, expected) => {
    expect(classify(Object.assign(new Error('system error'), fields)).errorClass).toBe(expected);
  });
});

describe('classify: errors raised by Node itself', () => {
  let freePort = 0;
  let slamServer: net.Server;
  let silentServer: net.Server;
  const silentSockets: net.Socket[] = [];

  beforeAll(async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    freePort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    slamServer = net.createServer((socket) => socket.destroy());
    silentServer = net.createServer((socket) => silentSockets.push(socket));
    await Promise.all([slamServer, silentServer].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  });

  afterAll(async () => {
    for (const socket of silentSockets) socket.destroy();
    for (const server of [slamServer, silentServer]) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;
  const caught = async (work: () => Promise<unknown>): Promise<unknown> => {
    try {
      await work();
    } catch (error) {
      return error;
    }
    throw new Error('expected a failure');
  };

  it('a closed port gives connection_refused (socket and fetch)', async () => {
    const socketError = await new Promise<unknown>((resolve) => net.connect(freePort, '127.0.0.1').on('error', resolve));
    expect(classify(socketError).errorClass).toBe('connection_refused');
    const fetchError = await caught(() => fetch(`http://127.0.0.1:${freePort}/`));
    const result = classify(fetchError);
    expect(result.errorClass).toBe('connection_refused');
    expect(result.message).toMatch(/^fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });

  it('an unresolvable name gives dns', async () => {
    const error = await caught(() => dns.lookup('lakeprobe-does-not-exist.invalid'));
    expect(classify(error).errorClass).toBe('dns');
  });

  it('a server that drops the connection gives connection_reset (http and fetch)', async () => {
    const url = `http://127.0.0.1:${portOf(slamServer)}/`;
    const httpError = await new Promise<unknown>((resolve) => http.get(url).on('error', resolve));
    expect(classify(httpError).errorClass).toBe('connection_reset');
    expect(classify(await caught(() => fetch(url))).errorClass).toBe('connection_reset');
  });

  it('an AbortSignal timeout or abort gives timeout', async () => {
    const url = `http://127.0.0.1:${portOf(silentServer)}/`;
    expect(classify(await caught(() => fetch(url, { signal: AbortSignal.timeout(100) }))).errorClass).toBe('timeout');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect(classify(await caught(() => fetch(url, { signal: controller.signal }))).errorClass).toBe('timeout');
  });

  describe('TLS', () => {
    const servers: tls.Server[] = [];

    afterAll(async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    });

    async function tlsServer(name: string, notAfter: Date): Promise<{ port: number; certPem: string }> {
      const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
      const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name: `CN=${name}`,
        notBefore: new Date(notAfter.getTime() - 86_400_000),
        notAfter,
        keys,
        signingAlgorithm: algorithm,
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }])],
      });
      const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
      const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)?.join('\n')}\n-----END PRIVATE KEY-----\n`;
      const certPem = cert.toString('pem');
      const server = tls.createServer({ key: keyPem, cert: certPem }, (socket) => socket.end());
      server.on('tlsClientError', () => undefined);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { port: (server.address() as net.AddressInfo).port, certPem };
    }

    const handshake = (options: tls.ConnectionOptions) =>
      new Promise<unknown>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', ...options });
        socket.on('error', resolve);
        socket.on('secureConnect', () => {
          socket.destroy();
          reject(new Error('handshake unexpectedly succeeded'));
        });
      });

    it('an untrusted self-signed server certificate gives server_ca_untrusted', async () => {
      const { port } = await tlsServer('localhost', new Date(Date.now() + 86_400_000));
      const error = await handshake({ port, servername: 'localhost' });
      expect((error as { code?: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(classify(error).errorClass).toBe('server_ca_untrusted');
    });

    it('a trusted certificate for another host name gives tls', async () => {
      const { port, certPem } = await tlsServer('other.example', new Date(Date.now() + 86_400_000));
      const error = await handshake({ port, ca: certPem, servername: 'localhost' });
      expect((error as { code?: string }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(classify(error).errorClass).toBe('tls');
    });

    it('an expired server certificate gives server_cert_expired, not auth_expired', async () => {
      const { port, certPem } = await tlsServer('localhost', new Date(Date.now() - 3_600_000));
      const error = await handshake({ port, ca: certPem, servername: 'localhost' });
      expect((error as { code?: string }).code).toBe('CERT_HAS_EXPIRED');
      expect(classify(error).errorClass).toBe('server_cert_expired');
    });
  });
});

describe('classify: message', () => {
  it('is one line', () => {
    const { message } = classify(new Error('first line\nDetails: second\tline'));
    expect(message).toBe('first line Details: second line');
  });

  it(`is cut to ${MAX_MESSAGE} characters`, () => {
    const { message } = classify(new Error('x'.repeat(1000)));
    expect(message.length).toBe(MAX_MESSAGE);
    expect(message.endsWith('…')).toBe(true);
  });

  it('is redacted before it is cut, including secrets passed in', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    const err = new StorageError(403, 'PUT', 'https://se.example/f', `Authorization: Bearer ${token} refused for hunter2`);
    const { message } = classify(err, ['hunter2']);
    expect(message).not.toContain(token);
    expect(message).not.toContain('hunter2');
    expect(message).toContain('Authorization: Bearer <redacted>');
  });

  it('keeps a secret out even when the cut would fall inside it', () => {
    const secret = 'p4ssw0rd-that-is-long';
    const err = new Error(`${'y'.repeat(MAX_MESSAGE - 10)} ${secret}`);
    expect(classify(err, [secret]).message).not.toContain(secret.slice(0, 8));
  });
});

describe('classify: anything else', () => {
  it.each([
    ['a string', 'socket hang up', 'connection_reset'],
    ['a number', 42, 'unknown'],
    ['null', null, 'unknown'],
    ['a plain object', { message: 'Permission denied' }, 'auth_denied'],
    ['an unmatched Error', new Error('something odd happened'), 'unknown'],
  ] as const)('%s is classified from its text', (_what, value, expected) => {
    expect(classify(value).errorClass).toBe(expected);
  });

  it('gives a message for values that are not errors', () => {
    expect(classify({ reason: 'odd' }).message).toBe('{"reason":"odd"}');
    expect(classify(undefined).message).toBe('undefined');
  });
});
