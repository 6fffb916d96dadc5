import { decodeJwt } from 'jose';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XROOTD_TOKEN_CACHE_SECONDS } from '../../../src/sandbox/xrootd/index.js';
import type { XrootdEndpoint } from '../../../src/sandbox/xrootd/index.js';
import { bearer, MEMBER_SCOPE, startXrootdFixture, type XrootdFixture } from './xrootd-fixture.js';

// XRootD 5.5.3's SciTokens plugin caches the authorization it derives from a token for
// XROOTD_TOKEN_CACHE_SECONDS after the request that first presented it, whatever the
// token's exp (see src/sandbox/xrootd/token-cache.ts). These tests pin both sides of that.

/** Waits for the wall clock to pass `epochMs` (the condition is time itself: a token's exp). */
async function clockPasses(epochMs: number): Promise<void> {
  while (Date.now() <= epochMs) await sleep(Math.min(250, Math.max(1, epochMs - Date.now() + 1)));
}

const expMs = (token: string): number => (decodeJwt(token).exp as number) * 1000;

describe('xrootd endpoint: expired bearer tokens', () => {
  let f: XrootdFixture;
  let e: XrootdEndpoint;

  beforeAll(async () => {
    f = await startXrootdFixture('lakeprobe-xrd-exp-');
    e = await f.start('XRD-EXPIRY');
    const member = f.proxy(f.pki.users.member.proxyPath);
    expect((await f.send(e, 'PUT', '/rucio/open.dat', { ...member, body: 'open data' })).status).toBe(200);
  });
  afterAll(async () => {
    await f?.close();
  });

  it('refuses with 403 a token presented for the first time after its exp', async () => {
    const token = await f.mint('member', MEMBER_SCOPE, { lifetimeSeconds: 2 });
    // One second beyond exp: scitokens-cpp compares whole seconds with no leeway.
    await clockPasses(expMs(token) + 1000);
    const reply = await f.send(e, 'GET', '/rucio/open.dat', bearer(token));
    expect(reply.status).toBe(403);
    expect(reply.body.trim()).toBe('Unable to open /rucio/open.dat; permission denied');
  });

  it(`accepts a token it already authorized until ${XROOTD_TOKEN_CACHE_SECONDS} s after that first request, past exp, then refuses it`, async () => {
    const token = await f.mint('member', MEMBER_SCOPE, { lifetimeSeconds: 3 });
    const firstSent = Date.now();
    expect((await f.send(e, 'GET', '/rucio/open.dat', bearer(token))).status).toBe(200);
    const firstAnswered = Date.now();

    await clockPasses(expMs(token) + 1500);
    const lateSent = Date.now();
    const late = await f.send(e, 'GET', '/rucio/open.dat', bearer(token));
    // Only meaningful while the cache entry certainly lives (a stalled machine may be past it).
    if (lateSent < firstSent + (XROOTD_TOKEN_CACHE_SECONDS - 1) * 1000) {
      expect(late.status).toBe(200);
      expect(late.body).toBe('open data');
    }

    // The entry lives 60 s from the first request (monotonic whole seconds, rounded): past
    // that bound the token is parsed again and refused as expired.
    await clockPasses(firstAnswered + (XROOTD_TOKEN_CACHE_SECONDS + 2) * 1000);
    const after = await f.send(e, 'GET', '/rucio/open.dat', bearer(token));
    expect(after.status).toBe(403);
  }, 120_000);
});
