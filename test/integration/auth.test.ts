import { Readable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/engine/classify.js';
import { loadBearerToken, loadTrustAnchors, loadX509Proxy } from '../../src/lake/credentials/index.js';
import { DavsDriver } from '../../src/lake/storage/davs.js';
import type { StorageAuth } from '../../src/lake/storage/driver.js';
import { loadTestPlan, runTestPlan, startTestLake, STORAGE_KINDS } from './lake-fixture.js';

const uploadPlan = (credentials: string, auth: string): string => `
lake: { sandbox: true }
credentials: ${credentials}
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: IT
    tests:
      - name: auth
        scenario: upload
        auth: [${auth}]
        params: { files: 1, size: 1024 }
`;

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the operation to fail');
}

describe.each(STORAGE_KINDS)('authentication and authorization against the sandbox lake (%s storage)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let ca: string[];

  beforeAll(async () => {
    env = await startTestLake(storage);
    ca = await loadTrustAnchors(env.lake.pki.certDir);
  });
  afterAll(() => env.stop());

  const embargoUrl = (name: string): string => `${env.lake.rses[0]?.url}/embargo/${name}`;
  const x509Auth = async (proxy: string, allowExpired = false): Promise<StorageAuth> =>
    ({ x509: await loadX509Proxy(proxy, { allowExpired }), ca });
  const tokenAuth = async (file: string): Promise<StorageAuth> => ({ token: await loadBearerToken({ file }), ca });

  it('classifies a write with a read-only token as auth_denied, and the run goes on', async () => {
    const plan = await loadTestPlan(env.lake, env.dir, uploadPlan(`{ token: { file: ${env.lake.tokens.readOnly} } }`, 'token'));
    const { results } = await runTestPlan(plan);
    expect(results.find((r) => r.operation === 'auth')).toMatchObject({ outcome: 'ok' });
    const upload = results.find((r) => r.operation === 'upload');
    expect(upload).toMatchObject({ outcome: 'failed', errorClass: 'auth_denied', rse: 'SANDBOX-FAST' });
    expect(upload?.errorMessage).toMatch(/403/);
  });

  it('classifies an expired proxy as auth_expired before contacting the lake', async () => {
    const plan = await loadTestPlan(env.lake, env.dir, uploadPlan(`{ x509: { proxy: ${env.lake.pki.users.member.expiredProxyPath} } }`, 'x509'));
    const { results } = await runTestPlan(plan);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ operation: 'auth', outcome: 'failed', errorClass: 'auth_expired' });
  });

  it('classifies the storage refusing an expired proxy as auth_expired', async () => {
    const driver = new DavsDriver(await x509Auth(env.lake.pki.users.member.expiredProxyPath, true));
    const err = await errorOf(driver.put(`${env.lake.rses[0]?.url}/rucio/expired-probe`, Readable.from([Buffer.from('x')]), 1));
    expect(classify(err).errorClass).toBe('auth_expired');
  });

  it('lets the embargo member read /embargo and refuses the non-member (x509 and token)', async () => {
    const member = new DavsDriver(await x509Auth(env.lake.pki.users.member.proxyPath));
    const body = Buffer.from('embargoed observation');
    await member.put(embargoUrl('obs-1'), Readable.from([body]), body.length);
    const read = await member.get(embargoUrl('obs-1'));
    const chunks: Buffer[] = [];
    for await (const c of read) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('embargoed observation');

    const outsiderX509 = new DavsDriver(await x509Auth(env.lake.pki.users.nonmember.proxyPath));
    const denied = await errorOf(outsiderX509.get(embargoUrl('obs-1')));
    expect(classify(denied).errorClass).toBe('auth_denied');
    expect((denied as { status: number }).status).toBe(403);

    const outsiderToken = new DavsDriver(await tokenAuth(env.lake.tokens.nonmember));
    const deniedToken = await errorOf(outsiderToken.get(embargoUrl('obs-1')));
    expect(classify(deniedToken).errorClass).toBe('auth_denied');

    // The non-member can still read outside the embargo area.
    await member.put(`${env.lake.rses[0]?.url}/rucio/public-1`, Readable.from([body]), body.length);
    expect(await outsiderX509.stat(`${env.lake.rses[0]?.url}/rucio/public-1`)).toMatchObject({ size: body.length });
  });

  it('refuses a wrong password at the catalogue as auth_invalid', async () => {
    const cfg = await readFile(env.lake.rucioCfgPath, 'utf8');
    const bad = cfg.replace(/^password = .*$/m, 'password = wrong-password');
    const { writeFile } = await import('node:fs/promises');
    const badCfg = `${env.dir}/bad-rucio.cfg`;
    await writeFile(badCfg, bad);
    const plan = await loadTestPlan(env.lake, env.dir, uploadPlan('{}', 'userpass'), { RUCIO_CONFIG: badCfg });
    const { results } = await runTestPlan(plan);
    expect(results[0]).toMatchObject({ operation: 'auth', outcome: 'failed', errorClass: 'auth_invalid' });
    expect(results[0]?.errorMessage).toContain('CannotAuthenticate');
    expect(results[0]?.errorMessage).not.toContain('wrong-password');
  });
});
