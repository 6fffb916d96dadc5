// The VOMS attribute certificate reader against real proxies made by voms-proxy-fake: the VO,
// FQANs and validity it finds are those voms-proxy-info prints for the same file; a
// certificate without the extension has none; a cut encoding is refused, never half-read.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vomsAttributes } from '../../../src/lake/credentials/voms.js';
import { ensurePki, type SandboxPki } from '../../../src/sandbox/pki/index.js';
import { makeVomsProxy } from '../../../src/sandbox/pki/voms.js';

const firstCertificate = async (file: string): Promise<X509Certificate> => new X509Certificate(await readFile(file));

describe('vomsAttributes', () => {
  let dir: string;
  let pki: SandboxPki;
  let proxy: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-voms-'));
    pki = await ensurePki(join(dir, 'pki'));
    proxy = await makeVomsProxy({
      pki, user: 'member', vo: 'lakeprobe', fqans: ['/lakeprobe/embargo', '/lakeprobe'], lifetimeSeconds: 7200, attributeLifetimeSeconds: 3000, out: join(dir, 'p.pem'),
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads VO, FQANs and the AC's validity as voms-proxy-info does", async () => {
    const info = async (...args: string[]): Promise<string> => (await promisify(execFile)('voms-proxy-info', ['-file', proxy, ...args],
      { env: { ...process.env, X509_CERT_DIR: pki.certDir }, timeout: 30_000 })).stdout.trim();
    const [found, ...more] = vomsAttributes((await firstCertificate(proxy)).raw);
    expect(more).toEqual([]);
    expect(found?.vo).toBe(await info('-vo'));
    expect(found?.fqans).toEqual((await info('-fqan')).split('\n'));
    const left = Number(await info('-actimeleft'));
    expect(Math.abs((found?.notAfter.getTime() ?? 0) - (Date.now() + left * 1000))).toBeLessThan(5_000);
    expect(found?.notBefore.getTime()).toBeLessThan(Date.now());
  });

  it('finds none in a certificate without the extension, and refuses a cut encoding', async () => {
    expect(vomsAttributes(new X509Certificate(pki.caCertPem).raw)).toEqual([]);
    const raw = (await firstCertificate(proxy)).raw;
    expect(() => vomsAttributes(raw.subarray(0, Math.floor(raw.length / 2)))).toThrow(/truncated DER/);
  });
});
