import { it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { startXrootd } from './xrootd-server.js';
it('starts', async () => {
  const s = await startXrootd();
  try {
    const env = { ...process.env, X509_USER_PROXY: s.proxies.alice, X509_CERT_DIR: s.certDir, XRD_CONNECTIONRETRY: '1' };
    execFileSync('xrdfs', [s.rootUrl, 'mkdir', '-p', '/x/y'], { env });
    const out = execFileSync('xrdfs', [s.rootUrl, 'stat', '/x/y'], { env, encoding: 'utf8' });
    const tok = await s.mintToken('storage.read:/ storage.create:/ storage.modify:/');
    const env2 = { ...process.env, X509_USER_PROXY: '/nonexistent', BEARER_TOKEN: tok, X509_CERT_DIR: s.certDir, XRD_CONNECTIONRETRY: '1', XrdSecPROTOCOL: 'ztn', XRD_LOGLEVEL: 'Error' };
    let out2 = '';
    try { out2 = execFileSync('xrdfs', [s.rootUrl, 'stat', '/x/y'], { env: env2, encoding: 'utf8', stdio: 'pipe' }); } catch (e) { out2 = String((e as {stderr: string}).stderr); }
    console.log(out, out2);
    expect(out).toContain('IsDir');
  } finally { await s.stop(); }
});
