// VOMS attribute certificates inside proxies, read at load and so at every run: real VOMS
// proxies made with voms-proxy-fake (src/sandbox/pki/voms.ts), checked against what
// voms-proxy-info reads from the same files. An AC that expired inside a valid proxy fails
// the login as auth_expired naming the AC (VO, notAfter), before anything reaches the lake;
// an AC expiring soon makes the login a warning; the description names VO and groups.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCredential, loadX509Proxy } from '../../src/lake/credentials/index.js';
import { makeVomsProxy } from '../../src/sandbox/pki/voms.js';
import { loadTestPlan, runTestPlan, startTestLake, STORAGE_KINDS, type TestLake } from './lake-fixture.js';

const VO = 'lakeprobe';
const TWELVE_HOURS = 12 * 3600;

/** voms-proxy-info's own reading of a proxy file: VO, FQANs and the AC's seconds left. */
async function vomsProxyInfo(file: string, certDir: string): Promise<{ vo: string; fqans: string[]; acSecondsLeft: number }> {
  const run = async (...args: string[]): Promise<string> =>
    (await promisify(execFile)('voms-proxy-info', ['-file', file, ...args], { env: { ...process.env, X509_CERT_DIR: certDir }, timeout: 30_000 })).stdout.trim();
  return { vo: await run('-vo'), fqans: (await run('-fqan')).split('\n'), acSecondsLeft: Number(await run('-actimeleft')) };
}

const plan = (proxy: string, scenario: string, params: string): string => `
lake: { sandbox: true }
credentials: { x509: { proxy: ${proxy} } }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: V
    tests:
      - { name: t, scenario: ${scenario}, auth: [x509], params: ${params} }
`;

describe.each(STORAGE_KINDS)('VOMS attribute certificates in the proxy (%s storage)', (storage) => {
  let env: TestLake;
  const proxy = (name: string, attributeLifetimeSeconds: number, fqans = [`/${VO}`]): Promise<string> => makeVomsProxy({
    pki: env.lake.pki, user: 'member', vo: VO, fqans, lifetimeSeconds: TWELVE_HOURS, attributeLifetimeSeconds, out: join(env.dir, `${name}.pem`),
  });
  beforeAll(async () => {
    env = await startTestLake(storage);
  });
  afterAll(() => env?.stop());

  it('an AC that expired inside a valid proxy fails the login as auth_expired, naming the VO and its notAfter', async () => {
    const made = Date.now();
    const file = await proxy('ac-expired', -600);
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(file, 'upload', '{ files: 1, size: 1024 }')));
    expect(results.map((r) => [r.operation, r.outcome, r.errorClass])).toEqual([['auth', 'failed', 'auth_expired']]);
    const message = results[0]?.errorMessage ?? '';
    const said = /VOMS attribute certificate of VO lakeprobe expired at (\S+Z) though the proxy is valid until (\S+Z)/.exec(message);
    expect(said, message).not.toBeNull();
    // Asked: the AC ended 600 s before it was made, the proxy lasts 12 h (voms-proxy-fake keeps whole seconds).
    expect(Math.abs(Date.parse(said![1]!) - (made - 600_000))).toBeLessThan(5_000);
    expect(Math.abs(Date.parse(said![2]!) - (made + TWELVE_HOURS * 1000))).toBeLessThan(5_000);
    expect(message).toContain('voms-proxy-init -voms lakeprobe');
  });

  it('an AC expiring within warn_seconds makes the login a warning, and the credential ends with the AC', async () => {
    const file = await proxy('ac-soon', 1800);
    const info = await vomsProxyInfo(file, env.lake.pki.certDir);
    const credential = await loadX509Proxy(file);
    expect(Math.abs(credential.notAfter.getTime() - (Date.now() + info.acSecondsLeft * 1000))).toBeLessThan(5_000);
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir,
      plan(file, 'auth-matrix', '{ schemes: [davs], third_party_copy: false, warn_seconds: 7200, size: 1024 }')));
    const login = results.find((r) => r.operation === 'auth');
    expect(login).toMatchObject({ outcome: 'ok', severity: 'warning' });
    expect(login?.errorMessage).toMatch(/^credential expires soon: x509 credential expires \S+ \(in 1[78]\d\d s\)/);
  });

  it("names the VO and groups in the credential's description, as voms-proxy-info reads them", async () => {
    const file = await proxy('ac-groups', TWELVE_HOURS, [`/${VO}/embargo`, `/${VO}`]);
    const info = await vomsProxyInfo(file, env.lake.pki.certDir);
    const credential = await loadX509Proxy(file);
    expect(credential.voms?.map((v) => [v.vo, v.fqans])).toEqual([[info.vo, info.fqans]]);
    expect(describeCredential(credential)).toContain(`VO ${info.vo} (${info.fqans.join(', ')}) valid until `);
  });
});
