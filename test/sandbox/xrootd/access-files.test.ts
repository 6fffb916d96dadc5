import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { renderAuthdb, renderGridmap, renderScitokensConfig } from '../../../src/sandbox/xrootd/access-files.js';
import { renderXrootdConfig } from '../../../src/sandbox/xrootd/config-file.js';
import { keyCachePath, seedKeyCache } from '../../../src/sandbox/xrootd/key-cache.js';
import { runLayout } from '../../../src/sandbox/xrootd/run-dir.js';

const ALICE = '/DC=org/DC=lakeprobe/CN=Alice Member';
const BOB = '/DC=org/DC=lakeprobe/CN=Bob Outsider';
const embargo = { path: '/embargo', members: [ALICE], group: '/lakeprobe/embargo' };

describe('xrootd access files', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lakeprobe-xrd-files-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('writes the gridmap as quoted DNs followed by the user name', () => {
    expect(renderGridmap({ [ALICE]: 'member', [BOB]: 'nonmember' })).toBe(
      `"${ALICE}" member\n"${BOB}" nonmember\n`,
    );
  });

  it('refuses gridmap entries that would corrupt the file', () => {
    expect(() => renderGridmap({ [ALICE]: 'two words' })).toThrow(/not a plain identifier/);
    expect(() => renderGridmap({ 'CN=comma,form': 'x' })).toThrow(/not a slash-form DN/);
  });

  it('keeps non-members out of the embargoed tree while the embargo is closed', () => {
    const authdb = renderAuthdb({ [ALICE]: 'member', [BOB]: 'nonmember' }, embargo, false);
    expect(authdb).toBe('u member / a\nu nonmember /embargo -a / a\n');
  });

  it('gives every mapped user the whole namespace once the embargo is open', () => {
    const authdb = renderAuthdb({ [ALICE]: 'member', [BOB]: 'nonmember' }, embargo, true);
    expect(authdb).toBe('u member / a\nu nonmember / a\n');
  });

  it('trusts exactly the sandbox issuer and lets token-less requests through to the authdb', () => {
    const cfg = renderScitokensConfig('https://localhost:4443');
    expect(cfg).toContain('issuer = https://localhost:4443\n');
    expect(cfg).toContain('audience = https://wlcg.cern.ch/jwt/v1/any, rucio\n');
    expect(cfg).toContain('onmissing = passthrough\n');
    expect(cfg).toContain('base_path = /\n');
  });

  it('configures both protocols, token and x509 authorization and third-party copy', () => {
    const layout = runLayout('/srv/run/RSE');
    const cfg = renderXrootdConfig({ name: 'RSE', root: '/srv/data', layout, rootPort: 1094, httpsPort: 8443 });
    for (const line of [
      'all.export /',
      'oss.localroot /srv/data',
      'xrd.port 1094',
      'xrd.protocol XrdHttp:8443 libXrdHttp.so',
      'xrd.tlsca certdir /srv/run/RSE/certificates',
      'http.gridmap required /srv/run/RSE/gridmap',
      'http.header2cgi Authorization authz',
      'http.exthandler xrdtpc libXrdHttpTPC.so',
      'xrootd.chksum max 4 adler32 md5',
      'ofs.authorize 1',
      'acc.authdb /srv/run/RSE/authdb',
      'ofs.authlib ++ libXrdAccSciTokens.so config=/srv/run/RSE/scitokens.cfg',
    ]) {
      expect(cfg.split('\n')).toContain(line);
    }
  });

  it('refuses paths with blanks, which xrootd would split', () => {
    const layout = runLayout('/srv/run dir/RSE');
    expect(() => renderXrootdConfig({ name: 'RSE', root: '/srv/data', layout, rootPort: 1, httpsPort: 2 })).toThrow(/blanks/);
  });

  it('seeds the scitokens-cpp key cache with the issuer keys', async () => {
    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }] };
    const owner = { name: 'self', uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const before = Math.floor(Date.now() / 1000);
    const path = await seedKeyCache(join(tmp, 'cache'), 'https://localhost:4443', jwks, owner);
    expect(path).toBe(keyCachePath(join(tmp, 'cache')));
    expect(path.endsWith('/scitokens/scitokens_cpp.sqllite')).toBe(true);
    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT issuer, keys FROM keycache').all() as { issuer: string; keys: string }[];
    db.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.issuer).toBe('https://localhost:4443');
    const keys = JSON.parse(rows[0]?.keys ?? '{}') as { jwks: unknown; next_update: number; expires: number };
    expect(keys.jwks).toEqual(jwks);
    expect(keys.expires).toBeGreaterThan(before + 4 * 24 * 3600);
    expect(keys.next_update).toBeGreaterThan(before + 600);
  });
});
