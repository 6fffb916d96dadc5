// A server that refuses our certificate in its TLS handshake (a Rucio or storage front end that
// does not accept RFC 3820 proxies, or does not trust our CA) answers with a TLS alert: that is
// client_cert_refused, with the proxy-vs-certificate hint, never a server CA problem.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../../src/engine/classify.js';
import { ERROR_CLASSES } from '../../../src/engine/taxonomy.js';
import { DavsDriver } from '../../../src/lake/storage/davs.js';
import { withTemporaryPki, type Certificate } from '../../helpers/openssl-pki.js';

let pki: { ca: Certificate; server: Certificate; client: Certificate; otherCa: Certificate };
let server: https.Server;
let base: string;

beforeAll(async () => {
  pki = withTemporaryPki((certs) => {
    const ca = certs.ca('ca', '/CN=lakeprobe test CA');
    const otherCa = certs.ca('other', '/CN=a CA the server does not trust');
    return { ca, otherCa, server: certs.server('server', ca), client: certs.client('client', otherCa, '/O=lakeprobe/CN=alice') };
  });
  // The server demands a client certificate from its own CA only.
  server = https.createServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: [pki.ca.certPem], requestCert: true, rejectUnauthorized: true }, (_req, res) => {
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `davs://localhost:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('a server that refuses our certificate', () => {
  it('is client_cert_refused, whose remedy says to try the certificate and key', async () => {
    const driver = new DavsDriver({
      x509: { certPem: pki.client.certPem, keyPem: pki.client.keyPem, subject: 'CN=alice,O=lakeprobe', subjectSlash: '/O=lakeprobe/CN=alice',
        notBefore: new Date(0), notAfter: new Date(Date.now() + 86_400_000), isProxy: true, source: '/tmp/x509up_u1000' },
      ca: [pki.ca.certPem],
    });
    try {
      const error = await driver.stat(`${base}/f`).then(() => expect.fail('expected a refusal'), (e: unknown) => e);
      expect(classify(error)).toMatchObject({ errorClass: 'client_cert_refused', message: expect.stringMatching(/refused the certificate\/proxy \(\/tmp\/x509up_u1000\)/) });
      expect(ERROR_CLASSES.client_cert_refused.remedy).toMatch(/try the certificate and key/);
    } finally {
      driver.close();
    }
  });
});
