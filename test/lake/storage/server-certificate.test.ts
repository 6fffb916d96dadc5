// A TLS failure on the server's host certificate is the site's side, not the user's credential:
// real XRootD serving an expired host certificate, and one from a CA the client does not
// trust. davs names host:port, subject, issuer and validity (a second, unverified handshake
// reads the certificate); gfal's davix text says which problem it was; root:// (xrdcp says
// only "TLS error") reads the certificate after XRootD's opening; none is auth_*.
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

  it(`root: xrdcp says only "TLS error"; the certificate read after XRootD's opening makes it ${errorClass}`, async () => {
    const driver = new RootDriver({ x509: await loadX509Proxy(server.proxies.alice), ca: [server.caPem] }, { timeoutMs: 30_000 });
    const error = await failure(driver.stat(`${server.rootUrl}//any`));
    expect(error).toBeInstanceOf(ServerCertificateError);
    const { errorClass: got, message } = classify(error);
    expect(got).toBe(errorClass);
    expect(message).toMatch(says);
    expect(message).toMatch(/valid \w{3} +\d+ [\d:]+ \d{4} GMT to \w{3} +\d+ [\d:]+ \d{4} GMT\)/);
  });

  // With a foreign-CA host certificate the server's trust directory holds that CA too (xrootd-server.ts): only the expiry applies.
  it.runIf(hostCertificate === 'expired')('root: the same through a hashed trust directory (X509_CERT_DIR) instead of CA files, and for xrdcp reads', async () => {
    const driver = new RootDriver({ x509: await loadX509Proxy(server.proxies.alice), ca: [] }, { timeoutMs: 30_000, certDir: server.certDir });
    const { errorClass: got, message } = classify(await failure(driver.get(`${server.rootUrl}//any`)));
    expect(got).toBe(errorClass);
    expect(message).toMatch(says);
  });
});
