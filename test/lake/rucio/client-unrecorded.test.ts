// Endpoints the recording does not cover: answers are built from the REST reference
// (status, content type and body shape as the Flask views produce them).
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { RucioClient, type ReplicaFile } from '../../../src/lake/rucio/index.js';
import { API, AUTH, RECORDED_TOKEN, replayOffline } from './fixtures.js';

const CREATED = ['Created', { 'Content-Type': 'text/html; charset=utf-8' }] as const;

function client(): RucioClient {
  return new RucioClient({
    rucioHost: API, authHost: AUTH, account: 'root', ca: [],
    auth: { method: 'userpass', username: 'ddmlab', password: 'secret' }, now: () => new Date('2026-11-25T00:04:23Z'),
  });
}

function api(): nock.Scope {
  return nock(API, { reqheaders: { 'X-Rucio-Auth-Token': RECORDED_TOKEN } });
}

replayOffline({ loggedIn: true });

describe('DID lifetime', () => {
  it('sets and clears expired_at through the lifetime meta key', async () => {
    const set = api().post('/dids/test/dataset1/meta/lifetime', { value: 86400 }).reply(201, ...CREATED);
    const clear = api().post('/dids/test/dataset1/meta/lifetime', { value: null }).reply(201, ...CREATED);
    const c = client();
    await c.setDidLifetime('test', 'dataset1', 86400);
    await c.setDidLifetime('test', 'dataset1', null);
    expect(set.isDone() && clear.isDone()).toBe(true);
  });
});

describe('replica states', () => {
  it('marks replicas available with PUT /replicas and one-letter states', async () => {
    const put = api()
      .put('/replicas', { rse: 'MOCK-A', files: [{ scope: 'test', name: 'file1', state: 'A', bytes: 1000, adler32: '52590737' }] })
      .reply(200, '', { 'Content-Type': 'text/html; charset=utf-8' });
    await client().updateReplicaStates('MOCK-A', [{ scope: 'test', name: 'file1', state: 'A', bytes: 1000, adler32: '52590737' }]);
    expect(put.isDone()).toBe(true);
  });
});

describe('bulk limits', () => {
  it('registers replicas in chunks of 1000', async () => {
    const files: ReplicaFile[] = Array.from({ length: 2500 }, (_, i) => ({ scope: 'test', name: `f${i}`, bytes: 1, adler32: '00020002' }));
    const sizes: number[] = [];
    api().post('/replicas').times(3).reply(201, (_uri, body) => {
      sizes.push((body as { files: unknown[] }).files.length);
      return 'Created';
    });
    await client().addReplicas('MOCK-A', files);
    expect(sizes).toEqual([1000, 1000, 500]);
  });

  it('attaches in chunks of 1000', async () => {
    const sizes: number[] = [];
    api().post('/dids/test/dataset1/dids').times(2).reply(201, (_uri, body) => {
      sizes.push((body as { dids: unknown[] }).dids.length);
      return 'Created';
    });
    await client().attachDids('test', 'dataset1', Array.from({ length: 1001 }, (_, i) => ({ scope: 'test', name: `f${i}` })));
    expect(sizes).toEqual([1000, 1]);
  });
});

describe('account limits and scopes', () => {
  it('reads the local limit: bytes, none, or unlimited (Python renders it as a bare Infinity)', async () => {
    api().get('/accounts/root/limits/local/MOCK-A').reply(200, '{"MOCK-A": 1000000000000}', { 'Content-Type': 'application/json' });
    api().get('/accounts/root/limits/local/MOCK-B').reply(200, '{"MOCK-B": null}', { 'Content-Type': 'application/json' });
    api().get('/accounts/root/limits/local/MOCK-C').reply(200, '{"MOCK-C": Infinity}', { 'Content-Type': 'application/json' });
    const c = client();
    await expect(c.getAccountLimit('root', 'MOCK-A')).resolves.toBe(1_000_000_000_000);
    await expect(c.getAccountLimit('root', 'MOCK-B')).resolves.toBeNull();
    await expect(c.getAccountLimit('root', 'MOCK-C')).resolves.toBe(Number.POSITIVE_INFINITY);
  });

  it("lists an account's scopes, and none when Rucio answers 404 ScopeNotFound", async () => {
    api().get('/accounts/root/scopes/').reply(200, '["test"]', { 'Content-Type': 'application/json' });
    api().get('/accounts/jdoe/scopes/').reply(404, '{"ExceptionClass": "ScopeNotFound", "ExceptionMessage": "no scopes found for account ID \'jdoe\'."}', {
      'Content-Type': 'application/octet-stream', ExceptionClass: 'ScopeNotFound',
    });
    api().get('/accounts/ghost/scopes/').reply(404, '{"ExceptionClass": "AccountNotFound", "ExceptionMessage": "Account ghost does not exist"}', {
      'Content-Type': 'application/octet-stream', ExceptionClass: 'AccountNotFound',
    });
    const c = client();
    await expect(c.listAccountScopes('root')).resolves.toEqual(['test']);
    await expect(c.listAccountScopes('jdoe')).resolves.toEqual([]);
    await expect(c.listAccountScopes('ghost')).rejects.toMatchObject({ status: 404, exceptionClass: 'AccountNotFound' });
  });
});

describe('base URL', () => {
  it('keeps a path prefix of the configured host', async () => {
    nock('https://gateway.test').get('/rucio/ping').reply(200, '{"version":"41.0.0"}\n');
    const c = new RucioClient({
      rucioHost: 'https://gateway.test/rucio/', authHost: AUTH, account: 'root', ca: [],
      auth: { method: 'userpass', username: 'ddmlab', password: 'secret' },
    });
    await expect(c.ping()).resolves.toEqual({ version: '41.0.0' });
  });
});
