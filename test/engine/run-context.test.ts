import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { CleanupLedger } from '../../src/engine/ledger.js';
import type { OpResult } from '../../src/engine/op-result.js';
import { RunContext, recordOp, type RunIdentity } from '../../src/engine/run-context.js';
import {
  ChecksumMismatchError, CredentialError, EmbargoViolationError, RucioApiError, StorageError,
} from '../../src/lake/errors.js';
import type { RucioClient } from '../../src/lake/rucio/index.js';
import type { StorageDriver } from '../../src/lake/storage/driver.js';

const identity: RunIdentity = {
  runId: 'run-1', experiment: 'ska', test: 'upload-1g', scenario: 'upload',
  authMethod: 'token', identityRole: 'member', account: 'alice',
};

const T0 = Date.parse('2024-03-01T10:00:00.000Z');

/** A clock that returns the given instants in turn. */
function clock(...instants: number[]): () => number {
  let i = 0;
  return () => {
    const t = instants[Math.min(i, instants.length - 1)] as number;
    i++;
    return t;
  };
}

function recorder(secrets: string[] = [], now?: () => number) {
  const emitted: OpResult[] = [];
  const deps = { identity, secrets, now, emit: async (r: OpResult) => { emitted.push(r); } };
  return { deps, emitted };
}

describe('recordOp on success', () => {
  it('records one ok result with the identity, the spec, the timing and the value', async () => {
    const { deps, emitted } = recorder([], clock(T0, T0 + 250.5));
    const outcome = await recordOp(deps, { operation: 'upload', rse: 'SITE_A', protocol: 'davs', bytes: 1024 ** 2 }, async () => 'done');

    expect(outcome).toEqual({ ok: true, value: 'done', result: emitted[0] });
    expect(emitted).toEqual([{
      runId: 'run-1', experiment: 'ska', test: 'upload-1g', scenario: 'upload', operation: 'upload',
      rse: 'SITE_A', srcRse: '', dstRse: '', protocol: 'davs', authMethod: 'token', identityRole: 'member',
      bytes: 1_048_576, sizeClass: '1MiB', start: '2024-03-01T10:00:00.000Z', durationMs: 250.5,
      outcome: 'ok', severity: 'info', errorClass: null, errorMessage: '', ruleId: '', requestId: '',
    }]);
  });

  it('defaults to the catalogue protocol, no RSE and no bytes', async () => {
    const { deps, emitted } = recorder();
    await recordOp(deps, { operation: 'list' }, async () => []);
    expect(emitted[0]).toMatchObject({ protocol: 'rucio', rse: '', srcRse: '', dstRse: '', bytes: 0, sizeClass: '0B' });
  });

  it('takes the RSE from the destination of a transfer when none is given', async () => {
    const { deps, emitted } = recorder();
    await recordOp(deps, { operation: 'replicate', srcRse: 'SITE_A', dstRse: 'SITE_B' }, async () => undefined);
    expect(emitted[0]).toMatchObject({ rse: 'SITE_B', srcRse: 'SITE_A', dstRse: 'SITE_B' });
  });

  it('lets the body correct the bytes and attach the rule and request ids', async () => {
    const { deps, emitted } = recorder();
    await recordOp(deps, { operation: 'replicate', dstRse: 'SITE_B', bytes: 100 }, async (rec) => {
      rec.bytes(5_000_000_000);
      rec.ruleId('a1b2c3d4');
      rec.requestId('req-9');
    });
    expect(emitted[0]).toMatchObject({ bytes: 5_000_000_000, sizeClass: '4GiB', ruleId: 'a1b2c3d4', requestId: 'req-9' });
  });

  it('records a warning as severity warning with its redacted message, still ok', async () => {
    const { deps, emitted } = recorder(['s3cr3t-token']);
    await recordOp(deps, { operation: 'auth' }, async (rec) => {
      rec.warn('proxy expires in 2 h (s3cr3t-token)');
    });
    expect(emitted[0]).toMatchObject({ outcome: 'ok', severity: 'warning', errorClass: null });
    expect(emitted[0]?.errorMessage).toContain('proxy expires in 2 h');
    expect(emitted[0]?.errorMessage).not.toContain('s3cr3t-token');
  });

  it('gives an embargo violation and a checksum mismatch severity critical, other failures error', async () => {
    const { deps, emitted } = recorder();
    const fail = (error: Error) => recordOp(deps, { operation: 'access' }, async () => {
      throw error;
    });
    await fail(new EmbargoViolationError('davs://se/embargo/f', 'nonmember'));
    await fail(new ChecksumMismatchError('adler32', '01020304', '0a0b0c0d', 'SITE_A'));
    await fail(new Error('no quota left on SITE_A'));
    expect(emitted.map((r) => [r.errorClass, r.severity])).toEqual([
      ['embargo_violation', 'critical'], ['checksum_mismatch', 'critical'], ['quota', 'error'],
    ]);
  });

  it('measures a real duration with the default clock', async () => {
    const { deps, emitted } = recorder();
    const before = Date.now();
    await recordOp(deps, { operation: 'access' }, () => delay(30));
    const [r] = emitted;
    expect(r?.durationMs).toBeGreaterThanOrEqual(25);
    expect(r?.durationMs).toBeLessThan(5000);
    expect(Date.parse(r?.start ?? '')).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(r?.start ?? '')).toBeLessThanOrEqual(Date.now());
  });

  it('never records a negative duration when the clock steps back, and keeps microsecond precision', async () => {
    const back = recorder([], clock(T0, T0 - 10));
    await recordOp(back.deps, { operation: 'list' }, async () => 1);
    expect(back.emitted[0]?.durationMs).toBe(0);

    const fine = recorder([], clock(1000, 1000.1234567));
    await recordOp(fine.deps, { operation: 'list' }, async () => 1);
    expect(fine.emitted[0]?.durationMs).toBe(0.123);
  });
});

describe('recordOp on failure', () => {
  it('classifies a Rucio InsufficientAccountLimit as quota and returns the error', async () => {
    const { deps, emitted } = recorder([], clock(T0, T0 + 42));
    const err = new RucioApiError(409, 'InsufficientAccountLimit', 'there is no quota left on SITE_A', 'POST', '/rules/');
    const outcome = await recordOp(deps, { operation: 'rule', rse: 'SITE_A' }, async () => { throw err; });

    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error).toBe(err);
    expect(emitted).toEqual([outcome.result]);
    expect(outcome.result).toMatchObject({
      outcome: 'failed', errorClass: 'quota', durationMs: 42, operation: 'rule', rse: 'SITE_A',
      errorMessage: 'POST /rules/: 409 InsufficientAccountLimit: there is no quota left on SITE_A',
    });
  });

  it('classifies an expired credential as auth_expired', async () => {
    const { deps, emitted } = recorder();
    await recordOp(deps, { operation: 'auth' }, async () => {
      throw new CredentialError('expired', '/tmp/x509up_u1000', 'proxy expired at 2024-03-01T09:00:00Z');
    });
    expect(emitted[0]).toMatchObject({
      outcome: 'failed', errorClass: 'auth_expired', errorMessage: '/tmp/x509up_u1000: proxy expired at 2024-03-01T09:00:00Z',
    });
  });

  it('classifies a storage 403 as auth_denied', async () => {
    const { deps, emitted } = recorder();
    await recordOp(deps, { operation: 'upload', rse: 'SITE_A', protocol: 'davs' }, async () => {
      throw new StorageError(403, 'PUT', 'https://se.example/f', 'permission denied');
    });
    expect(emitted[0]?.errorClass).toBe('auth_denied');
  });

  it('removes the session secrets from the recorded message', async () => {
    const password = 'hunter2-Sup3r!';
    const { deps, emitted } = recorder([password]);
    await recordOp(deps, { operation: 'auth' }, async () => {
      throw new Error(`login as alice with ${password} failed: wrong password`);
    });
    const [r] = emitted;
    expect(r?.errorClass).toBe('auth_invalid');
    expect(r?.errorMessage).not.toContain(password);
    expect(r?.errorMessage).toBe('login as alice with <redacted> failed: wrong password');
  });

  it('records anything thrown, not only errors, without throwing itself', async () => {
    const { deps, emitted } = recorder();
    const fromString = await recordOp(deps, { operation: 'list' }, () => Promise.reject('connection refused'));
    const fromUndefined = await recordOp(deps, { operation: 'list' }, () => Promise.reject(undefined));
    const fromSync = await recordOp(deps, { operation: 'list' }, () => { throw new Error('no such file'); });
    expect([fromString.ok, fromUndefined.ok, fromSync.ok]).toEqual([false, false, false]);
    expect(emitted.map((r) => r.errorClass)).toEqual(['connection_refused', 'unknown', 'not_found']);
  });

  it('keeps facts attached before the failure', async () => {
    const { deps, emitted } = recorder();
    await recordOp(deps, { operation: 'rule', rse: 'SITE_A' }, async (rec) => {
      rec.ruleId('r-1');
      throw new Error('rule r-1 is STUCK');
    });
    expect(emitted[0]).toMatchObject({ ruleId: 'r-1', errorClass: 'rule_stuck' });
  });
});

describe('recordOp emission', () => {
  it('emits exactly once per operation, and before op() resolves', async () => {
    const order: string[] = [];
    const deps = {
      identity, secrets: [],
      emit: async (r: OpResult) => {
        await delay(20);
        order.push(`emitted ${r.outcome}`);
      },
    };
    const ok = await recordOp(deps, { operation: 'list' }, async () => 1);
    order.push(`resolved ${ok.result.outcome}`);
    const failed = await recordOp(deps, { operation: 'list' }, async () => { throw new Error('x'); });
    order.push(`resolved ${failed.result.outcome}`);
    expect(order).toEqual(['emitted ok', 'resolved ok', 'emitted failed', 'resolved failed']);
  });
});

describe('RunContext', () => {
  const driver = { protocol: 'davs' } as StorageDriver;
  const rucio = {} as RucioClient;
  const ledger = {} as CleanupLedger;

  function context(emitted: OpResult[]) {
    const asked: string[] = [];
    const ctx = new RunContext({
      identity, rucio, ledger, rses: ['SITE_A', 'SITE_B'], secrets: ['tok-secret-value'],
      signal: new AbortController().signal, log: () => {},
      storage: (p) => { asked.push(p); return driver; },
      emit: async (r) => { emitted.push(r); },
    });
    return { ctx, asked };
  }

  it('exposes the identity, the clients and the selected RSEs', () => {
    const { ctx, asked } = context([]);
    expect([ctx.runId, ctx.experiment, ctx.test, ctx.scenario, ctx.authMethod, ctx.identityRole, ctx.account])
      .toEqual(['run-1', 'ska', 'upload-1g', 'upload', 'token', 'member', 'alice']);
    expect(ctx.rucio).toBe(rucio);
    expect(ctx.ledger).toBe(ledger);
    expect(ctx.rses).toEqual(['SITE_A', 'SITE_B']);
    expect(ctx.storage('davs')).toBe(driver);
    expect(asked).toEqual(['davs']);
  });

  it('records each op() with the session secrets redacted', async () => {
    const emitted: OpResult[] = [];
    const { ctx } = context(emitted);
    const ok = await ctx.op({ operation: 'download', rse: 'SITE_B', protocol: 'davs', bytes: 2048 }, async () => 7);
    const bad = await ctx.op({ operation: 'delete', rse: 'SITE_B' }, async () => {
      throw new Error('server echoed tok-secret-value: 401 unauthorized');
    });
    expect(ok.ok && ok.value).toBe(7);
    expect(emitted.map((r) => [r.operation, r.outcome, r.sizeClass])).toEqual([['download', 'ok', '2KiB'], ['delete', 'failed', '0B']]);
    expect(bad.result.errorMessage).toBe('server echoed <redacted>: 401 unauthorized');
  });
});
