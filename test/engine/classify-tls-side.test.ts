// Which side's certificate failed a TLS handshake, from the words the tools use.
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/engine/classify.js';
import { StorageError } from '../../src/lake/errors.js';
import { ERROR_CLASSES } from '../../src/engine/taxonomy.js';

describe('classify: the side of a TLS failure', () => {
  it('a server that refuses our proxy in its handshake (alert 46) is client_cert_refused, with the proxy hint', () => {
    // Node's text for the alert a Rucio server sent when it refused an RFC 3820 proxy.
    const error = Object.assign(new Error(
      'write EPROTO 40E7B0D9C07F0000:error:0A000416:SSL routines:ssl3_read_bytes:sslv3 alert certificate unknown:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 46',
    ), { code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN' });
    expect(classify(error).errorClass).toBe('client_cert_refused');
    expect(classify(new Error(error.message)).errorClass).toBe('client_cert_refused');
    expect(ERROR_CLASSES.client_cert_refused.remedy).toMatch(/may not accept RFC 3820 proxies — try the certificate and key/);
  });

  it('davix/neon saying the server certificate expired is server_cert_expired whatever status gfal maps it to', () => {
    const error = new StorageError(401, 'STAT', 'davs://se.example:443/x',
      'gfal-stat error: 112 (Host is down) - Result (Neon): Server certificate verification failed: certificate has expired after 1 attempts');
    expect(classify(error).errorClass).toBe('server_cert_expired');
  });

  it('an untrusted issuer in davix words is server_ca_untrusted', () => {
    expect(classify(new Error('DavPosix::unlink  (Neon): Server certificate verification failed: issuer is not trusted in 0.05')).errorClass)
      .toBe('server_ca_untrusted');
  });
});
