import { describe, expect, it } from 'vitest';
import { lfnPath, pathUnder, pfnFor } from '../../../src/sandbox/catalogue/lfn2pfn.js';
import type { Protocol } from '../../../src/sandbox/catalogue/rse-store.js';

const domains: Protocol['domains'] = {
  lan: { read: 1, write: 1, delete: 1 },
  wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 },
};
const proto = (p: Partial<Protocol>): Protocol => ({
  scheme: 'https', hostname: 'localhost', port: 8443, prefix: '/data', impl: 'rucio.rse.protocols.gfal.Default',
  domains, extended_attributes: null, ...p,
});

describe('lfn2pfn', () => {
  it('builds hash paths from md5(scope:name), as recorded from Rucio 41.0.0', () => {
    expect(lfnPath('test', 'file1', 'hash')).toBe('test/80/25/file1');
    expect(lfnPath('test', 'file2', 'hash')).toBe('test/f3/14/file2');
    expect(lfnPath('test', 'f3', 'hash')).toBe('test/b4/74/f3');
  });

  it('turns dots into slashes only in user and group scopes, keeping the name as is', () => {
    expect(lfnPath('user.jdoe', 'file1.txt', 'hash')).toBe('user/jdoe/dc/2c/file1.txt');
    expect(lfnPath('mc16_13TeV', 'EVNT.12345._000001.pool.root.1', 'hash')).toBe('mc16_13TeV/81/ac/EVNT.12345._000001.pool.root.1');
    expect(lfnPath('data', 'a/b/c.dat', 'hash')).toBe('data/a5/bc/a/b/c.dat');
    expect(lfnPath('group.phys', 'x', 'identity')).toBe('group/phys/x');
  });

  it('writes the port except for posix, and for gfal when it is 0', () => {
    expect(pfnFor(proto({}), 'test/80/25/file1')).toBe('https://localhost:8443/data/test/80/25/file1');
    expect(pfnFor(proto({ scheme: 'mock', port: 0, prefix: '/mock', impl: 'rucio.rse.protocols.mock.Default' }), 'test/b4/74/f3'))
      .toBe('mock://localhost:0/mock/test/b4/74/f3');
    expect(pfnFor(proto({ scheme: 'file', port: 0, prefix: 'srv', impl: 'rucio.rse.protocols.posix.Default' }), 'a/b'))
      .toBe('file://localhost/srv/a/b');
    expect(pfnFor(proto({ scheme: 'root', port: 1094, prefix: '//eos/x', impl: 'rucio.rse.protocols.xrootd.Default' }), 'p'))
      .toBe('root://localhost:1094//eos/x/p');
  });

  it('finds the path of a PFN under a protocol prefix', () => {
    expect(pathUnder(proto({}), 'https://localhost:8443/data/some/where')).toBe('some/where');
    expect(pathUnder(proto({}), 'https://elsewhere:8443/data/some/where')).toBeNull();
  });
});
