import { it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { startXrootd } from './xrootd-server.js';
it('prints', async () => {
  const s = await startXrootd();
  try {
    const env = { ...process.env, X509_USER_PROXY: s.proxies.alice, X509_CERT_DIR: s.certDir };
    for (const u of [`${s.davsUrl}/readonly/f`, `${s.davsUrl}/ok/f`]) {
      try { execFileSync('/usr/bin/python3', ['/tmp/xp/ct.py', u], { env, input: Buffer.alloc(3000000, 7), stdio: 'pipe' }); console.log('ok'); }
      catch (e) { console.log(String((e as { stderr: Buffer }).stderr)); }
    }
  } finally { await s.stop(); }
});
