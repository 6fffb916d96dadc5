// A SHA-1-signed proxy of the sandbox member: the run's auth fails before any TLS
// handshake, naming the proxy file and why (not a bare "tls: ca md too weak").
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestPlan, runTestPlan, startTestLake } from './lake-fixture.js';

describe('a weak proxy against the sandbox lake', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  beforeAll(async () => {
    env = await startTestLake('builtin');
  });
  afterAll(() => env.stop());

  it('fails auth as auth_invalid, naming the proxy file and its SHA-1 signature', async () => {
    const member = env.lake.pki.users.member;
    const at = (name: string): string => join(env.dir, name);
    await writeFile(at('sha1.ext'), 'keyUsage=critical,digitalSignature,keyEncipherment\nproxyCertInfo=critical,language:id-ppl-inheritAll\n');
    const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: env.dir, stdio: 'pipe' });
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('sha1.key'), '-subj', `${member.dn}/CN=777`, '-out', at('sha1.csr'));
    openssl('x509', '-req', '-in', at('sha1.csr'), '-CA', member.certPath, '-CAkey', member.keyPath, '-set_serial', '777',
      '-days', '1', '-sha1', '-extfile', at('sha1.ext'), '-out', at('sha1.pem'));
    const proxy = at('x509up_sha1');
    const parts = await Promise.all([at('sha1.pem'), at('sha1.key'), member.certPath].map((f) => readFile(f, 'utf8')));
    await writeFile(proxy, parts.join(''), { mode: 0o600 });

    const plan = await loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true }
credentials: { x509: { proxy: ${proxy} } }
rses: { names: [SANDBOX-FAST] }
experiments: [{ name: W, tests: [{ name: up, scenario: upload, auth: [x509], params: { files: 1, size: 1024 } }] }]
`);
    const { results } = await runTestPlan(plan);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ operation: 'auth', outcome: 'failed', errorClass: 'auth_invalid' });
    expect(results[0]?.errorMessage).toBe(`${proxy}: certificate #1 (CN=777) is signed with SHA-1 (sha1WithRSAEncryption), `
      + 'which TLS refuses ("ca md too weak"): have it re-issued signed with SHA-256 or stronger');
  });
});
