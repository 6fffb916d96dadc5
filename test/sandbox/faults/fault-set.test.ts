import { describe, expect, it } from 'vitest';
import { FaultSet, FaultSpecError } from '../../../src/sandbox/faults/index.js';

const MEMBER_DN = '/DC=org/DC=lakeprobe/CN=Alice Member';
const NONMEMBER_DN = '/DC=org/DC=lakeprobe/CN=Bob Outsider';

const newSet = (seed?: number): FaultSet =>
  new FaultSet({ seed, rses: ['A', 'B'], users: { member: MEMBER_DN, nonmember: NONMEMBER_DN } });

const get = { method: 'GET', wantDigest: false };

describe('FaultSet bookkeeping', () => {
  it('adds, lists, removes and clears faults by id', () => {
    const faults = newSet();
    const down = faults.add({ kind: 'rse_down', rse: 'A' });
    const stuck = faults.add({ kind: 'transfer_stuck', rse: 'B' });
    expect(down).not.toBe(stuck);
    expect(faults.list()).toEqual([
      { id: down, spec: { kind: 'rse_down', rse: 'A' } },
      { id: stuck, spec: { kind: 'transfer_stuck', rse: 'B' } },
    ]);
    expect(faults.remove(down)).toBe(true);
    expect(faults.remove(down)).toBe(false);
    expect(faults.rseDown('A')).toBe(false);
    expect(faults.clear()).toBe(1);
    expect(faults.list()).toEqual([]);
  });

  it('refuses an RSE or a user it does not know, naming the field', () => {
    const faults = newSet();
    expect(() => faults.add({ kind: 'checksum_missing', rse: 'C' })).toThrow(/rse: unknown RSE "C" \(known: A, B\)/);
    expect(() => new FaultSet().add({ kind: 'gridmap_missing', rse: 'A', user: 'member' })).toThrow(FaultSpecError);
    expect(() => faults.add({ kind: 'rse_down' } as never)).toThrow(/rse: required/);
    expect(faults.list()).toEqual([]);
  });

  it('refuses on XRootD RSEs the faults only the builtin storage applies, naming why', () => {
    const xrootd = new FaultSet({ rses: ['A'], storage: 'xrootd' });
    for (const spec of [{ kind: 'error_rate', rse: 'A', rate: 1 }, { kind: 'checksum_missing', rse: 'A' }] as const) {
      expect(() => xrootd.add(spec)).toThrow(FaultSpecError);
      expect(() => xrootd.add(spec)).toThrow(new RegExp(`^invalid fault: kind: ${spec.kind} acts inside lakeprobe's builtin storage, and this sandbox's RSEs are XRootD servers`));
    }
    expect(xrootd.list()).toEqual([]);
    expect(() => xrootd.add({ kind: 'gridmap_missing', rse: 'A', user: 'member' })).toThrow(/user: no DN/);
    xrootd.add({ kind: 'embargo_open', rse: 'A' });
    expect(newSet().add({ kind: 'checksum_missing', rse: 'A' })).toMatch(/^f\d+$/);
  });

  it('tells listeners of every change and waits for them in settled()', async () => {
    const faults = newSet();
    const seen: boolean[] = [];
    const stop = faults.onChange(async () => {
      await new Promise((r) => setTimeout(r, 20));
      seen.push(faults.rseDown('A'));
    });
    const id = faults.add({ kind: 'rse_down', rse: 'A' });
    await faults.settled();
    expect(seen).toEqual([true]);
    faults.remove(id);
    await faults.settled();
    expect(seen).toEqual([true, false]);
    stop();
    faults.add({ kind: 'rse_down', rse: 'A' });
    await faults.settled();
    expect(seen).toEqual([true, false]);
  });

  it('reports a listener failure once, from settled()', async () => {
    const faults = newSet();
    faults.onChange(() => {
      throw new Error('listen EADDRINUSE');
    });
    faults.add({ kind: 'rse_down', rse: 'A' });
    await expect(faults.settled()).rejects.toThrow('EADDRINUSE');
    await expect(faults.settled()).resolves.toBeUndefined();
  });
});

describe('FaultSet storage questions', () => {
  it('answers per RSE', () => {
    const faults = newSet();
    faults.add({ kind: 'rse_down', rse: 'A' });
    faults.add({ kind: 'embargo_open', rse: 'B' });
    faults.add({ kind: 'transfer_stuck', rse: 'B' });
    faults.add({ kind: 'checksum_missing', rse: 'A' });
    expect([faults.rseDown('A'), faults.rseDown('B')]).toEqual([true, false]);
    expect([faults.embargoOpen('A'), faults.embargoOpen('B')]).toEqual([false, true]);
    expect([faults.transferStuck('A'), faults.transferStuck('B')]).toEqual([false, true]);
    expect([faults.checksumMissing('A'), faults.checksumMissing('B')]).toEqual([true, false]);
  });

  it('fails checksum queries only: 404 Checksum not available', () => {
    const faults = newSet();
    faults.add({ kind: 'checksum_missing', rse: 'A' });
    expect(faults.storageFault('A', { method: 'HEAD', wantDigest: true })).toEqual({ status: 404, message: 'Checksum not available' });
    expect(faults.storageFault('A', { method: 'HEAD', wantDigest: false })).toBeUndefined();
    expect(faults.storageFault('A', { method: 'PUT', wantDigest: true })).toBeUndefined();
    expect(faults.storageFault('B', { method: 'HEAD', wantDigest: true })).toBeUndefined();
  });

  it('forgets only the named user in the gridmap of that RSE', () => {
    const faults = newSet();
    faults.add({ kind: 'gridmap_missing', rse: 'A', user: 'member' });
    expect(faults.storageFault('A', { ...get, dn: MEMBER_DN })).toEqual({
      status: 403, message: `Gridmap lookup failure: Could not map ${MEMBER_DN}`,
    });
    expect(faults.storageFault('A', { ...get, dn: NONMEMBER_DN })).toBeUndefined();
    expect(faults.storageFault('B', { ...get, dn: MEMBER_DN })).toBeUndefined();
    expect(faults.storageFault('A', get)).toBeUndefined();
  });

  it('fails the chosen method with the chosen status', () => {
    const faults = newSet();
    faults.add({ kind: 'error_rate', rse: 'A', operation: 'PUT', rate: 1, status: 503 });
    expect(faults.storageFault('A', { method: 'PUT', wantDigest: false })).toEqual({ status: 503, message: 'Service Unavailable' });
    expect(faults.storageFault('A', get)).toBeUndefined();
    faults.add({ kind: 'error_rate', rse: 'A', rate: 1 });
    expect(faults.storageFault('A', get)).toEqual({ status: 500, message: 'Internal Server Error' });
  });

  it('hits about the asked share of requests, the same ones for the same seed', () => {
    const draws = (seed: number): boolean[] => {
      const faults = newSet(seed);
      faults.add({ kind: 'error_rate', rse: 'A', rate: 0.3 });
      return Array.from({ length: 2000 }, () => faults.storageFault('A', get) !== undefined);
    };
    const first = draws(7);
    const share = first.filter(Boolean).length / first.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
    expect(draws(7)).toEqual(first);
    expect(draws(8)).not.toEqual(first);
  });

  it('never hits at rate 0 and always at rate 1', () => {
    const faults = newSet();
    const never = faults.add({ kind: 'error_rate', rse: 'A', rate: 0 });
    expect(Array.from({ length: 500 }, () => faults.storageFault('A', get)).every((f) => f === undefined)).toBe(true);
    faults.remove(never);
    faults.add({ kind: 'error_rate', rse: 'A', rate: 1 });
    expect(Array.from({ length: 500 }, () => faults.storageFault('A', get)).every((f) => f?.status === 500)).toBe(true);
  });
});

describe('FaultSet catalogue questions', () => {
  it('slows and fails only /auth/* for auth faults', () => {
    const faults = newSet();
    faults.add({ kind: 'auth_slow', delayMs: 250 });
    faults.add({ kind: 'auth_fail', status: 500 });
    expect(faults.catalogueFault('/auth/userpass')).toEqual({ delayMs: 250, status: 500 });
    expect(faults.catalogueFault('/accounts/whoami')).toBeUndefined();
  });

  it("slows only one auth method's login when auth_slow names it", () => {
    const faults = newSet();
    faults.add({ kind: 'auth_slow', delayMs: 400, login: 'token' });
    expect(faults.catalogueFault('/auth/validate')).toEqual({ delayMs: 400 });
    expect(faults.catalogueFault('/auth/x509')).toBeUndefined();
    expect(faults.catalogueFault('/auth/userpass')).toBeUndefined();
    faults.add({ kind: 'auth_slow', delayMs: 300, login: 'x509' });
    expect(faults.catalogueFault('/auth/x509_proxy')).toEqual({ delayMs: 300 });
  });

  it('fails or delays every path but /ping for catalogue faults', () => {
    const faults = newSet();
    const error = faults.add({ kind: 'catalogue_error', rate: 1, status: 503 });
    expect(faults.catalogueFault('/rses/')).toEqual({ delayMs: 0, status: 503 });
    expect(faults.catalogueFault('/auth/userpass')).toEqual({ delayMs: 0, status: 503 });
    expect(faults.catalogueFault('/ping')).toBeUndefined();
    faults.remove(error);
    faults.add({ kind: 'catalogue_timeout', delayMs: 900 });
    expect(faults.catalogueFault('/rses/')).toEqual({ delayMs: 900 });
  });

  it('uses the shortest lifetime of the short_credentials faults', () => {
    const faults = newSet();
    expect(faults.shortCredentialsLifetime()).toBeUndefined();
    faults.add({ kind: 'short_credentials', lifetimeSeconds: 120 });
    faults.add({ kind: 'short_credentials', lifetimeSeconds: 30 });
    expect(faults.shortCredentialsLifetime()).toBe(30);
  });
});
