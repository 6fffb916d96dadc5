import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { RucioClient, buildPfn, isLocalLfn2PfnAlgorithm, lfn2pfnPath, type RseProtocol } from '../../../src/lake/rucio/index.js';
import { API, AUTH, RECORDED_TOKEN, loadExchange, replay } from './fixtures.js';

const recordedRse = JSON.parse(loadExchange('rse-settings').response.body) as { protocols: RseProtocol[] };
const httpsGfal = recordedRse.protocols[0] as RseProtocol;

function protocol(overrides: Partial<RseProtocol>): RseProtocol {
  return { ...httpsGfal, ...overrides };
}

afterEach(() => {
  nock.cleanAll();
});

describe('lfn2pfnPath', () => {
  it.each([
    ['test', 'file1', 'test/80/25/file1'],
    ['test', 'file2', 'test/f3/14/file2'],
    ['test', 'f3', 'test/b4/74/f3'],
    ['user.jdoe', 'file1.txt', 'user/jdoe/dc/2c/file1.txt'],
    ['mc16_13TeV', 'EVNT.12345._000001.pool.root.1', 'mc16_13TeV/81/ac/EVNT.12345._000001.pool.root.1'],
    ['data', 'a/b/c.dat', 'data/a5/bc/a/b/c.dat'],
  ])('hash: %s:%s → %s', (scope, name, path) => {
    expect(lfn2pfnPath(scope, name, 'hash')).toBe(path);
  });

  it('hashes the scope with its dots but turns them into slashes for user and group scopes', () => {
    expect(lfn2pfnPath('group.phys.top', 'x', 'hash')).toMatch(/^group\/phys\/top\/[0-9a-f]{2}\/[0-9a-f]{2}\/x$/);
    expect(lfn2pfnPath('mc16.a', 'x', 'hash')).toMatch(/^mc16\.a\//);
  });

  it('identity: scope directory and name, no hash', () => {
    expect(lfn2pfnPath('user.jdoe', 'file1.txt', 'identity')).toBe('user/jdoe/file1.txt');
    expect(lfn2pfnPath('test', 'file1', 'identity')).toBe('test/file1');
  });

  it('knows which algorithms it can compute locally', () => {
    expect(['hash', 'identity', 'atlas_custom'].map(isLocalLfn2PfnAlgorithm)).toEqual([true, true, false]);
  });
});

describe('buildPfn', () => {
  it("reproduces the server's PFNs for the recorded gfal https protocol", () => {
    expect(buildPfn(httpsGfal, lfn2pfnPath('test', 'file1', 'hash'))).toBe('https://localhost:8443/data/test/80/25/file1');
    expect(buildPfn(httpsGfal, lfn2pfnPath('test', 'file2', 'hash'))).toBe('https://localhost:8443/data/test/f3/14/file2');
  });

  it('always writes the port for generic protocols, even 0 and 443', () => {
    const mock = protocol({ scheme: 'mock', port: 0, prefix: '/mock', impl: 'rucio.rse.protocols.mock.Default' });
    expect(buildPfn(mock, 'test/b4/74/f3')).toBe('mock://localhost:0/mock/test/b4/74/f3');
    const davs = protocol({ scheme: 'davs', hostname: 'eos.example.org', port: 443, prefix: 'eos/lake', impl: 'rucio.rse.protocols.webdav.Default' });
    expect(buildPfn(davs, 'test/80/25/file1')).toBe('davs://eos.example.org:443/eos/lake/test/80/25/file1');
  });

  it("keeps an xrootd '//' prefix", () => {
    const root = protocol({ scheme: 'root', hostname: 'eos.example.org', port: 1094, prefix: '//eos/lake/', impl: 'rucio.rse.protocols.xrootd.Default' });
    expect(buildPfn(root, 'test/80/25/file1')).toBe('root://eos.example.org:1094//eos/lake/test/80/25/file1');
  });

  it('omits the port for posix', () => {
    const posix = protocol({ scheme: 'file', hostname: 'localhost', port: 0, prefix: '/srv/lake', impl: 'rucio.rse.protocols.posix.Default' });
    expect(buildPfn(posix, 'test/80/25/file1')).toBe('file://localhost/srv/lake/test/80/25/file1');
  });

  it('gfal: omits port 0, inserts web_service_path and strips a leading slash from the path', () => {
    const srm = protocol({ scheme: 'srm', hostname: 'se.example.org', port: 8446, prefix: '/pnfs/lake', extended_attributes: { web_service_path: '/srm/managerv2?SFN=' } });
    expect(buildPfn(srm, '/test/80/25/file1')).toBe('srm://se.example.org:8446/srm/managerv2?SFN=/pnfs/lake/test/80/25/file1');
    expect(buildPfn(protocol({ port: 0 }), 'test/80/25/file1')).toBe('https://localhost/data/test/80/25/file1');
    expect(buildPfn(httpsGfal, 'https://other.example.org/x')).toBe('https://other.example.org/x');
  });
});

describe('server-side lfn2pfn', () => {
  it('asks GET /rses/<rse>/lfns2pfns with one lfn per DID and the scheme pinned', async () => {
    nock.disableNetConnect();
    replay('auth-userpass');
    // Answer shape per the REST reference (§4.2): {"scope:name": "pfn"}.
    const lfns = nock(API, { reqheaders: { 'X-Rucio-Auth-Token': RECORDED_TOKEN } })
      .get('/rses/MOCK-A/lfns2pfns?lfn=test%3Afile1&lfn=user.jdoe%3Afile1.txt&scheme=https')
      .reply(200, { 'test:file1': 'https://localhost:8443/data/test/80/25/file1', 'user.jdoe:file1.txt': 'https://localhost:8443/data/user/jdoe/dc/2c/file1.txt' });
    const c = new RucioClient({
      rucioHost: API, authHost: AUTH, account: 'root', ca: [],
      auth: { method: 'userpass', username: 'ddmlab', password: 'secret' }, now: () => new Date('2026-11-25T00:04:23Z'),
    });
    const pfns = await c.lfnsToPfns('MOCK-A', [{ scope: 'test', name: 'file1' }, { scope: 'user.jdoe', name: 'file1.txt' }], 'https');
    expect(pfns['test:file1']).toBe('https://localhost:8443/data/test/80/25/file1');
    expect(lfns.isDone()).toBe(true);
    nock.enableNetConnect();
  });
});
