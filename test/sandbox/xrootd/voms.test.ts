import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeVomsProxy, renderLsc } from '../../../src/sandbox/pki/voms.js';
import { renderAuthdb } from '../../../src/sandbox/xrootd/access-files.js';
import { renderXrootdConfig } from '../../../src/sandbox/xrootd/config-file.js';
import { runLayout } from '../../../src/sandbox/xrootd/run-dir.js';
import type { XrootdEndpoint } from '../../../src/sandbox/xrootd/index.js';
import { startXrootdFixture, type XrootdFixture } from './xrootd-fixture.js';

const ALICE = '/DC=org/DC=lakeprobe/CN=Alice Member';
const BOB = '/DC=org/DC=lakeprobe/CN=Bob Outsider';
const VO = 'lakeprobe';
const denied = (verb: string, path: string): string => `Unable to ${verb} ${path}; permission denied`;

describe('VOMS files', () => {
  it('grants the embargo to the VOMS group without a negative right that would cancel it', () => {
    const embargo = { path: '/embargo', members: [ALICE], group: '/lakeprobe/embargo' };
    const authdb = renderAuthdb({ [ALICE]: 'member', [BOB]: 'nonmember' }, embargo, false, '/lakeprobe/embargo');
    expect(authdb).toBe('u member / a\nu nonmember /embargo - / a\ng /lakeprobe/embargo /embargo a\n');
    expect(() => renderAuthdb({}, embargo, false, 'lakeprobe embargo')).toThrow(/not a slash path/);
  });

  it('enables the VOMS extractor for the VO only when a VO is given', () => {
    const layout = runLayout('/srv/run/RSE');
    const input = { name: 'RSE', root: '/srv/data', layout, rootPort: 1094, httpsPort: 8443 };
    expect(renderXrootdConfig({ ...input, vo: VO }).split('\n')).toContain(
      'http.secxtractor libXrdHttpVOMS.so vos=lakeprobe|grpopt=2',
    );
    expect(renderXrootdConfig(input)).not.toContain('secxtractor');
    expect(() => renderXrootdConfig({ ...input, vo: 'two words' })).toThrow(/plain identifier/);
  });
});

describe('xrootd endpoint: VOMS group identities', () => {
  let f: XrootdFixture;
  let e: XrootdEndpoint;
  const member = () => f.proxy(f.pki.users.member.proxyPath);
  const nonmember = () => f.proxy(f.pki.users.nonmember.proxyPath);
  let embargoGroupProxy: string;
  let voOnlyProxy: string;

  beforeAll(async () => {
    f = await startXrootdFixture('lakeprobe-xrd-voms-');
    e = await f.start('XRD-VOMS');
    const common = { pki: f.pki, user: 'nonmember' as const, vo: VO, lifetimeSeconds: 1800 };
    embargoGroupProxy = await makeVomsProxy({ ...common, fqans: ['/lakeprobe/embargo', '/lakeprobe'], out: join(f.tmp, 'bob-embargo.pem') });
    voOnlyProxy = await makeVomsProxy({ ...common, fqans: ['/lakeprobe'], out: join(f.tmp, 'bob-vo.pem') });
    expect((await f.send(e, 'PUT', '/embargo/secret.dat', { ...member(), body: 'classified' })).status).toBe(200);
    expect((await f.send(e, 'PUT', '/rucio/open.dat', { ...member(), body: 'open data' })).status).toBe(200);
  });
  afterAll(async () => {
    await f?.close();
  });

  it('writes a private proxy of the user that ends exactly after the requested lifetime', () => {
    expect(statSync(embargoGroupProxy).mode & 0o777).toBe(0o600);
    const proxy = new X509Certificate(readFileSync(embargoGroupProxy));
    expect(proxy.subject).toContain('CN=Bob Outsider');
    expect(proxy.issuer).toContain('CN=Bob Outsider');
    const remaining = new Date(proxy.validTo).getTime() - Date.now();
    expect(remaining).toBeGreaterThan(1700_000);
    expect(remaining).toBeLessThanOrEqual(1800_000);
  });

  it('trusts the sandbox host as the VO signer through vomsdir/<vo>/localhost.lsc', () => {
    const lsc = readFileSync(join(f.tmp, 'run', 'XRD-VOMS', 'vomsdir', VO, 'localhost.lsc'), 'utf8');
    expect(lsc).toBe('/DC=org/DC=lakeprobe/CN=localhost\n/DC=org/DC=lakeprobe/CN=lakeprobe sandbox CA\n');
    expect(renderLsc(f.pki.host.certPem)).toBe(lsc);
  });

  it('lets the non-member DN read and write the embargoed tree with the /lakeprobe/embargo group', async () => {
    const bob = f.proxy(embargoGroupProxy);
    expect((await f.send(e, 'GET', '/embargo/secret.dat', bob)).body).toBe('classified');
    expect((await f.send(e, 'PUT', '/embargo/by-group.dat', { ...bob, body: 'grouped' })).status).toBe(200);
    expect((await f.send(e, 'GET', '/embargo/by-group.dat', member())).body).toBe('grouped');
  });

  it('refuses the non-member DN in the embargoed tree when its VOMS proxy carries only /lakeprobe', async () => {
    const bob = f.proxy(voOnlyProxy);
    const get = await f.send(e, 'GET', '/embargo/secret.dat', bob);
    expect(get.status).toBe(403);
    expect(get.body.trim()).toBe(denied('open', '/embargo/secret.dat'));
    expect((await f.send(e, 'PUT', '/embargo/vo-only.dat', { ...bob, body: 'x' })).status).toBe(403);
    expect((await f.send(e, 'GET', '/rucio/open.dat', bob)).body).toBe('open data');
  });

  it('ignores the group when the attribute certificate is signed by a host the vomsdir does not trust', async () => {
    const alice = f.pki.users.member;
    const untrusted = { ...f.pki, host: { ...f.pki.host, certPath: alice.certPath, keyPath: alice.keyPath } };
    const forged = await makeVomsProxy({
      pki: untrusted,
      user: 'nonmember',
      vo: VO,
      fqans: ['/lakeprobe/embargo'],
      lifetimeSeconds: 600,
      out: join(f.tmp, 'bob-forged.pem'),
    });
    expect((await f.send(e, 'GET', '/embargo/secret.dat', f.proxy(forged))).status).toBe(403);
  });

  it('keeps plain proxies as before: the member DN in, the non-member DN out of the embargo', async () => {
    expect((await f.send(e, 'GET', '/embargo/secret.dat', member())).body).toBe('classified');
    const get = await f.send(e, 'GET', '/embargo/secret.dat', nonmember());
    expect(get.status).toBe(403);
    expect(get.body.trim()).toBe(denied('open', '/embargo/secret.dat'));
    const list = await f.send(e, 'PROPFIND', '/embargo/', { ...nonmember(), headers: { Depth: '1' } });
    expect(list.status).toBe(403);
    expect((await f.send(e, 'GET', '/rucio/open.dat', nonmember())).body).toBe('open data');
  });

  it('refuses to make a proxy with no groups or a group of another VO', async () => {
    const common = { pki: f.pki, user: 'nonmember' as const, vo: VO, lifetimeSeconds: 60, out: join(f.tmp, 'bad.pem') };
    await expect(makeVomsProxy({ ...common, fqans: [] })).rejects.toThrow(/at least one FQAN/);
    await expect(makeVomsProxy({ ...common, fqans: ['/atlas/embargo'] })).rejects.toThrow(/outside VO lakeprobe/);
    await expect(makeVomsProxy({ ...common, fqans: ['/lakeprobe'], lifetimeSeconds: 0 })).rejects.toThrow(/positive integer/);
  });
});
