// A transfer's protocol is the one Rucio records for it: the scheme of the request's
// dest_url, which the conveyor sets when it submits the transfer (Rucio 41
// lib/rucio/core/transfer.py, mark_submitting: 'dest_url': transfer.dest_url).
import { describe, expect, it } from 'vitest';
import { transferProtocol } from '../../../src/lake/rucio/index.js';
import type { RequestInfo } from '../../../src/lake/rucio/index.js';
import { loadExchange } from './fixtures.js';

const queued = JSON.parse(loadExchange('request-queued').response.body) as RequestInfo;

describe('transferProtocol', () => {
  it('is unknown for a request not yet submitted (the real Rucio 41 record has dest_url null)', () => {
    expect(queued.state).toBe('QUEUED');
    expect(queued.dest_url).toBeNull();
    expect(transferProtocol(queued)).toBe('unknown');
    expect(transferProtocol(null)).toBe('unknown');
  });

  it('is the scheme of the destination URL the request names, whatever it is', () => {
    const submitted = (url: string): RequestInfo => ({ ...queued, state: 'SUBMITTED', dest_url: url });
    expect(transferProtocol(submitted('root://xrd.example.org:1094//data/test/80/25/file1'))).toBe('root');
    expect(transferProtocol(submitted('davs://dav.example.org:443/data/test/80/25/file1'))).toBe('davs');
    expect(transferProtocol(submitted('srm://se.example.org:8443/srm/managerv2?SFN=/data/file1'))).toBe('srm');
    expect(transferProtocol(submitted('mock://localhost/data/file1'))).toBe('mock');
  });

  it('stays a bounded label for anything that is not a URL scheme', () => {
    expect(transferProtocol({ ...queued, dest_url: '/data/file1' })).toBe('unknown');
    expect(transferProtocol({ ...queued, dest_url: `${'x'.repeat(40)}://host/file` })).toBe('unknown');
  });
});
