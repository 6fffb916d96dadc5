// A TLS failure on the server's host certificate is the site's side, not the user's credential:
// real XRootD serving an expired host certificate, and one from a CA the client does not
// trust. davs names host:port, subject, issuer and validity (a second, unverified handshake
// reads the certificate); gfal's davix text says which problem it was; neither is auth_*.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../../src/engine/classify.js';
import { ERROR_CLASSES } from '../../../src/engine/taxonomy.js';
import { loadX509Proxy } from '../../../src/lake/credentials/index.js';
import { ServerCertificateError } from '../../../src/lake/errors.js';
import { DavsDriver } from '../../../src/lake/storage/davs.js';
import { GfalDriver } from '../../../src/lake/storage/gfal.js';
import { RootDriver } from '../../../src/lake/storage/root.js';
import { startXrootd, type XrootdServer } from './xrootd-server.js';

const failure = (p: Promise<unknown>): Promise<unknown> => p.then(() => expect.fail('expected a failure'), (e: unknown) => e);

describe.each([
  { hostCertificate: 'expired', errorClass: 'server_cert_expired', says: /host certificate at localhost:\d+ expired on \w{3} +\d+ [\d:]+ \d{4} GMT/ },
  { hostCertificate: 'foreign-ca', errorClass: 'server_ca_untrusted', says: /host certificate at localhost:\d+ has an issuer this client does not trust \(subject O=lakeprobe-test, CN=localhost; issuer O=lakeprobe-test, CN=other-ca;/ },
] as const)('XRootD with a host certificate that is $hostCertificate', ({ hostCertificate, errorClass, says }) => {
  let server: XrootdServer;
  beforeAll(async () => {
    server = await startXrootd({ hostCertificate });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it(`davs: ${errorClass}, naming host:port, subject, issuer and validity`, async () => {
    const driver = new DavsDriver({ x509: await loadX509Proxy(server.proxies.alice), ca: [server.caPem] });
    try {
      const error = await failure(driver.stat(`${server.davsUrl}/any`));
      expect(error).toBeInstanceOf(ServerCertificateError);
      const { errorClass: got, message } = classify(error);
      expect(got).toBe(errorClass);
      expect(message).toMatch(says);
      expect(ERROR_CLASSES[errorClass].meaning).toMatch(/server's host certificate/);
    } finally {
      driver.close();
    }
  });

  it(`gfal over davs: ${errorClass} from davix's own words`, async () => {
    const driver = new GfalDriver({ x509: await loadX509Proxy(server.proxies.alice), ca: [server.caPem] }, { timeoutMs: 30_000 });
    const { errorClass: got, message } = classify(await failure(driver.stat(`${server.davsUrl}/any`)));
    expect(got).toBe(errorClass);
    expect(message).toMatch(/Server certificate verification failed/);
  });

  it('root: xrdcp says only "TLS error", which stays tls and never blames the credential', async () => {
    const driver = new RootDriver({ x509: await loadX509Proxy(server.proxies.alice), ca: [server.caPem] }, { timeoutMs: 30_000 });
    const { errorClass: got, message } = classify(await failure(driver.stat(`${server.rootUrl}//any`)));
    expect(got).toBe('tls');
    expect(message).toMatch(/localhost:\d+/);
  });
});
