import { describe, expect, it } from 'vitest';
import { NoProtocolError, selectProtocol, type RseInfo, type RseProtocol } from '../../../src/lake/rucio/index.js';
import { loadExchange } from './fixtures.js';

const recorded = JSON.parse(loadExchange('rse-settings').response.body) as RseInfo;

function withProtocols(protocols: RseProtocol[]): RseInfo {
  return { ...recorded, protocols };
}

function proto(scheme: string, wan: Partial<RseProtocol['domains']['wan']>): RseProtocol {
  const base = recorded.protocols[0] as RseProtocol;
  return { ...base, scheme, domains: { lan: base.domains.lan, wan: { read: null, write: null, delete: null, ...wan } } };
}

describe('selectProtocol', () => {
  it('picks the recorded https protocol for writing', () => {
    expect(selectProtocol(recorded, 'write', ['davs', 'https'])).toMatchObject({ scheme: 'https', port: 8443, prefix: '/data' });
  });

  it('prefers the lowest priority, with 0 the highest, and skips null (unsupported)', () => {
    const rse = withProtocols([proto('https', { write: 2 }), proto('davs', { write: 0 }), proto('root', { write: null, read: 1 })]);
    expect(selectProtocol(rse, 'write', ['https', 'davs', 'root']).scheme).toBe('davs');
    expect(selectProtocol(rse, 'read', ['https', 'davs', 'root']).scheme).toBe('root');
  });

  it('throws NoProtocolError when no allowed scheme supports the operation', () => {
    const rse = withProtocols([proto('root', { write: 1 })]);
    expect(() => selectProtocol(rse, 'write', ['davs', 'https'])).toThrow(NoProtocolError);
  });
});
