import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki, makeProxy, verifyClientChain, type SandboxPki } from '../../../src/sandbox/pki/index.js';
import { certificatesDer } from './chain-helpers.js';

const HOUR = 3_600_000;

describe('verifyClientChain', () => {
  let root: string;
  let pki: SandboxPki;
  let otherPki: SandboxPki;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lakeprobe-chain-'));
    pki = await ensurePki(join(root, 'main'));
    otherPki = await ensurePki(join(root, 'other'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const chainOf = (path: string): Buffer[] => certificatesDer(path);

  it('accepts a proxy chain and returns the end-entity DN', () => {
    const result = verifyClientChain(chainOf(pki.users.member.proxyPath), [pki.caCertPem]);
    expect(result).toEqual({ ok: true, dn: '/DC=org/DC=lakeprobe/CN=Alice Member', isProxy: true });
  });

  it('accepts a plain user certificate', () => {
    const result = verifyClientChain(chainOf(pki.users.nonmember.certPath), [pki.caCertPem]);
    expect(result).toEqual({ ok: true, dn: '/DC=org/DC=lakeprobe/CN=Bob Outsider', isProxy: false });
  });

  it('accepts a chain that also carries the trusted CA', () => {
    const chain = [...chainOf(pki.users.member.proxyPath), new X509Certificate(pki.caCertPem).raw];
    expect(verifyClientChain(chain, [pki.caCertPem])).toMatchObject({ ok: true, isProxy: true });
  });

  it('reports an expired proxy as expired', () => {
    const result = verifyClientChain(chainOf(pki.users.member.expiredProxyPath), [pki.caCertPem]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.expired).toBe(true);
    expect(result.reason).toMatch(/^proxy certificate \/DC=org\/DC=lakeprobe\/CN=Alice Member\/CN=\d+ expired at /);
  });

  it('checks validity against the given time', () => {
    const chain = chainOf(pki.users.member.proxyPath);
    const result = verifyClientChain(chain, [pki.caCertPem], new Date(Date.now() + 13 * HOUR));
    expect(result).toMatchObject({ ok: false, expired: true });
  });

  it('refuses a chain from another CA without calling it expired', () => {
    const result = verifyClientChain(chainOf(otherPki.users.member.proxyPath), [pki.caCertPem]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.expired).toBeUndefined();
    expect(result.reason).toContain('not issued by a trusted CA');
  });

  it('refuses a proxy signed with a key other than the user key', async () => {
    const userCert = readFileSync(pki.users.member.certPath, 'utf8');
    const wrongKey = readFileSync(pki.users.nonmember.keyPath, 'utf8');
    const forged = await makeProxy(userCert, wrongKey, {
      notBefore: new Date(Date.now() - HOUR),
      notAfter: new Date(Date.now() + HOUR),
    });
    const forgedPath = join(root, 'forged.pem');
    writeFileSync(forgedPath, forged);
    const result = verifyClientChain(chainOf(forgedPath), [pki.caCertPem]);
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.reason).toContain('is not signed by /DC=org/DC=lakeprobe/CN=Alice Member');
  });

  it('refuses a proxy presented without the user certificate', () => {
    const [proxyOnly] = chainOf(pki.users.member.proxyPath);
    const result = verifyClientChain([proxyOnly as Buffer], [pki.caCertPem]);
    expect(result.ok).toBe(false);
  });

  it('refuses an empty chain', () => {
    expect(verifyClientChain([], [pki.caCertPem])).toEqual({ ok: false, reason: 'no client certificate presented' });
  });
});
