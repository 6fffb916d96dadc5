import { afterEach, describe, expect, it } from 'vitest';
import { cleanupLedger, DID_EXPIRED, FILE_LISTED, RULE_DELETED } from '../../src/engine/cleanup.js';
import type { LakeSession } from '../../src/engine/lake-session.js';
import type { NewLedgerEntry } from '../../src/engine/ledger.js';
import type { AuthMethod } from '../../src/engine/op-result.js';
import { CredentialError, RucioApiError, StorageError } from '../../src/lake/errors.js';
import type { RucioClient } from '../../src/lake/rucio/index.js';
import type { StorageDriver } from '../../src/lake/storage/driver.js';
import { ResultsStore } from '../../src/results/store.js';

const PFN = 'davs://se.example:443/data/user.alice/ab/cd/lakeprobe.run-1.f0';

interface FakeLakeOptions {
  /** Removal of these targets throws the given value. */
  failures?: Record<string, unknown>;
  /** Targets that do not exist (every other one does). */
  missing?: string[];
  /** Identities whose every call is refused with this error (e.g. a bad token). */
  refused?: Partial<Record<AuthMethod, unknown>>;
  /** Identities the plan has credentials for. */
  methods?: AuthMethod[];
  /** RSEs on which the catalogue lists each 'scope:name'. */
  listed?: Record<string, string[]>;
  /** expires_at of every rule. */
  expiresAt?: string | null;
}

/** A lake of named targets; records every call it receives (existence checks as "check"). */
function fakeLake(opts: FakeLakeOptions = {}) {
  const { failures = {}, missing = [], refused = {}, methods = ['userpass', 'x509', 'token'], listed = {}, expiresAt = null } = opts;
  const calls: string[] = [];
  const sessions: AuthMethod[] = [];
  const session = async (method: AuthMethod): Promise<LakeSession> => {
    sessions.push(method);
    const guard = (call: string): void => {
      calls.push(call);
      if (method in refused) throw refused[method];
    };
    const check = async (target: string): Promise<void> => {
      guard(`${method} check ${target}`);
      if (missing.includes(target)) throw Object.assign(new Error(`${target} not found`), { status: 404 });
    };
    const act = async (call: string, target: string): Promise<void> => {
      guard(`${method} ${call}`);
      if (target in failures) throw failures[target];
    };
    const rucio = {
      getRule: async (id: string) => {
        await check(id);
        return { id, expires_at: expiresAt };
      },
      listReplicas: async ({ dids }: { dids: { scope: string; name: string }[] }) => {
        guard(`${method} list ${dids.map((d) => `${d.scope}:${d.name}`).join(',')}`);
        return dids.map((d) => ({ ...d, states: Object.fromEntries((listed[`${d.scope}:${d.name}`] ?? []).map((r) => [r, 'AVAILABLE'])) }));
      },
      getDid: (scope: string, name: string) => check(`${scope}:${name}`),
      deleteRule: (id: string, purge?: boolean) => act(`deleteRule ${id} purge=${String(purge)}`, id),
      setDidLifetime: (scope: string, name: string, seconds: number | null) =>
        act(`setDidLifetime ${scope} ${name} ${String(seconds)}`, `${scope}:${name}`),
    } as unknown as RucioClient;
    const storage = (protocol: string) => ({
      protocol,
      stat: async (url: string) => {
        guard(`${method} check ${url}`);
        return missing.includes(url) ? null : { size: 1, isDirectory: false };
      },
      delete: (url: string) => act(`${protocol} delete ${url}`, url),
    }) as unknown as StorageDriver;
    return { method, account: 'alice', rucio, storage, storageAs: async (p: string) => storage(p), secrets: [], identity: `${method} alice` };
  };
  return { lake: { session, methods }, calls, sessions };
}

const stores: ResultsStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function ledgerWith(...entries: (NewLedgerEntry & { created?: boolean })[]) {
  const ledger = new ResultsStore(':memory:');
  stores.push(ledger);
  const ids = entries.map(({ created, ...e }) => {
    const id = ledger.intend(e);
    if (created) ledger.created(id);
    return id;
  });
  return { ledger, ids };
}

const rule = (target: string, extra: Partial<NewLedgerEntry> = {}): NewLedgerEntry =>
  ({ runId: 'run-1', kind: 'rule', rse: 'SITE_A', target, authMethod: 'token', ...extra });
const file = (target: string, extra: Partial<NewLedgerEntry> = {}): NewLedgerEntry =>
  ({ runId: 'run-1', kind: 'storage_file', rse: 'SITE_A', target, authMethod: 'x509', ...extra });
const did = (target: string, extra: Partial<NewLedgerEntry> = {}): NewLedgerEntry =>
  ({ runId: 'run-1', kind: 'did', rse: '', target, authMethod: 'userpass', ...extra });

describe('cleanupLedger', () => {
  it('never deletes a file the catalogue lists on its RSE: the reaper does; one it does not list there is deleted', async () => {
    const other = 'davs://se.example:443/data/user.alice/ef/01/lakeprobe.run-1.f1';
    const { ledger } = ledgerWith(
      { ...file(PFN, { did: 'user.alice:lakeprobe.run-1.f0' }), created: true },
      { ...file(other, { did: 'user.alice:lakeprobe.run-1.f1' }), created: true },
    );
    const f = fakeLake({ listed: { 'user.alice:lakeprobe.run-1.f0': ['SITE_A'], 'user.alice:lakeprobe.run-1.f1': ['SITE_B'] } });
    const outcomes = await cleanupLedger(ledger, f.lake);
    expect(outcomes.map((o) => [o.status, o.message])).toEqual([['handed_over', FILE_LISTED], ['removed', 'removed']]);
    expect(f.calls.filter((c) => c.includes('delete'))).toEqual([`x509 davs delete ${other}`]);
    expect(ledger.pending()).toEqual([]);
  });

  it('a rule no credential may delete remains until it expires, said with who may delete it; the entry stays open', async () => {
    const denied = new RucioApiError(401, 'AccessDenied', 'Account alice can not remove this replication rule.', 'DELETE', '/rules/r');
    const { ledger } = ledgerWith({ ...rule('rule-kept'), created: true });
    const f = fakeLake({ methods: ['token', 'x509'], failures: { 'rule-kept': denied }, expiresAt: 'Mon, 07 Dec 2026 17:00:00 UTC' });
    const outcomes = await cleanupLedger(ledger, f.lake);
    expect(outcomes).toMatchObject([{
      status: 'remains', ok: true,
      message: 'rule rule-kept remains with its files until it expires at Mon, 07 Dec 2026 17:00:00 UTC: Rucio refused account alice its deletion; '
        + 'only root or an account with the admin attribute may delete rules (Rucio\'s generic policy, perm_del_rule)',
    }]);
    expect(f.calls.filter((c) => c.includes('deleteRule'))).toEqual(['token deleteRule rule-kept purge=true', 'x509 deleteRule rule-kept purge=true']);
    expect(ledger.pending().map((e) => e.target)).toEqual(['rule-kept']);
    // One without a lifetime never goes by itself: left behind.
    const forever = fakeLake({ methods: ['token'], failures: { 'rule-kept': denied }, expiresAt: null });
    expect(await cleanupLedger(ledger, forever.lake)).toMatchObject([{ status: 'left_behind', ok: false, message: expect.stringContaining('for good: it has no lifetime') }]);
  });

  it('leaves the entries of runs still in progress alone', async () => {
    const { ledger } = ledgerWith({ ...rule('rule-live', { runId: 'run-live' }), created: true }, { ...rule('rule-dead'), created: true });
    const f = fakeLake();
    const outcomes = await cleanupLedger(ledger, f.lake, undefined, new Set(['run-live']));
    expect(outcomes.map((o) => o.entry.target)).toEqual(['rule-dead']);
    expect(ledger.pending().map((e) => e.target)).toEqual(['rule-live']);
  });

  it('removes rules, storage files and DIDs as the identity that created them, and says what Rucio still does', async () => {
    const { ledger } = ledgerWith(
      { ...rule('rule-1'), created: true },
      { ...file(PFN), created: true },
      { ...did('user.alice:lakeprobe.run-1.ds'), created: true },
    );
    const f = fakeLake();
    const outcomes = await cleanupLedger(ledger, f.lake);

    expect(f.calls).toEqual([
      'token check rule-1', 'token deleteRule rule-1 purge=true',
      `x509 check ${PFN}`, `x509 davs delete ${PFN}`,
      // A DID cannot be deleted by a user: a 1 s lifetime hands it to the undertaker.
      'userpass check user.alice:lakeprobe.run-1.ds', 'userpass setDidLifetime user.alice lakeprobe.run-1.ds 1',
    ]);
    expect(f.sessions).toEqual(['token', 'x509', 'userpass']);
    expect(outcomes.map((o) => [o.entry.kind, o.status, o.message, o.actedAs])).toEqual([
      ['rule', 'handed_over', RULE_DELETED, 'token'],
      ['storage_file', 'removed', 'removed', 'x509'],
      ['did', 'handed_over', DID_EXPIRED, 'userpass'],
    ]);
    expect(RULE_DELETED).toBe('rule deleted; replicas are removed by Rucio later');
    expect(ledger.pending()).toEqual([]);
  });

  it('deletes a root:// file with the root driver, a davs:// one with WebDAV', async () => {
    const rootPfn = 'root://se.example:1094//rucio/user/alice/ab/cd/f';
    const { ledger } = ledgerWith({ ...file(rootPfn), created: true }, { ...file(PFN), created: true });
    const f = fakeLake();
    await cleanupLedger(ledger, f.lake);
    expect(f.calls.filter((c) => c.includes('delete'))).toEqual([`x509 root delete ${rootPfn}`, `x509 davs delete ${PFN}`]);
  });

  it('keeps colons that belong to a DID name', async () => {
    const { ledger } = ledgerWith(did('user.alice:a:b'));
    const f = fakeLake();
    await cleanupLedger(ledger, f.lake);
    expect(f.calls).toEqual(['userpass check user.alice:a:b', 'userpass setDidLifetime user.alice a:b 1']);
  });

  it('closes a pending entry whose object is not there as never created, a created one as already gone', async () => {
    const { ledger } = ledgerWith(rule('rule-never'), { ...file(PFN), created: true });
    const f = fakeLake({ missing: ['rule-never', PFN] });
    const outcomes = await cleanupLedger(ledger, f.lake);
    expect(outcomes.map((o) => [o.status, o.ok, o.message])).toEqual([
      ['never_created', true, 'never created (not found as token)'],
      ['already_gone', true, 'already gone (not found as x509)'],
    ]);
    expect(f.calls.some((c) => c.includes('delete'))).toBe(false);
    expect(ledger.pending()).toEqual([]);
  });

  it('a DID whose creation failed with 401 is checked with another working credential and closed as never created', async () => {
    const refusal = new RucioApiError(401, 'CannotAuthenticate', 'Cannot authenticate with given credentials', 'GET', '/dids/user.alice/ds');
    const { ledger } = ledgerWith(did('user.alice:ds', { authMethod: 'token' }));
    const f = fakeLake({ missing: ['user.alice:ds'], refused: { token: refusal } });
    const outcomes = await cleanupLedger(ledger, f.lake);
    expect(f.calls).toEqual(['token check user.alice:ds', 'userpass check user.alice:ds']);
    expect(outcomes).toMatchObject([{ status: 'never_created', ok: true, actedAs: 'userpass' }]);
    expect(ledger.pending()).toEqual([]);
  });

  it('uses the plan\'s credentials when the creator\'s auth method is not in the plan, and says so when none works', async () => {
    const refusal = new RucioApiError(401, 'CannotAuthenticate', 'Cannot authenticate with given credentials', 'GET', '/rules/r');
    const { ledger } = ledgerWith({ ...rule('rule-a'), created: true }, { ...rule('rule-b', { runId: 'run-2' }), created: true });
    const ok = fakeLake({ methods: ['userpass'] });
    const [first] = await cleanupLedger(ledger, ok.lake, 'run-1');
    expect(first).toMatchObject({ status: 'handed_over', actedAs: 'userpass' });

    const stuck = fakeLake({ methods: ['x509'], refused: { x509: refusal } });
    const outcomes = await cleanupLedger(ledger, stuck.lake);
    expect(outcomes).toMatchObject([{
      status: 'left_behind', ok: false,
      message: 'left behind: token: the plan has no such credentials; x509: GET /rules/r: 401 CannotAuthenticate: Cannot authenticate with given credentials',
    }]);
    expect(ledger.pending().map((e) => e.target)).toEqual(['rule-b']);
  });

  it('treats a 404 on removal as already gone (something else got there first)', async () => {
    const { ledger } = ledgerWith({ ...rule('rule-gone'), created: true }, { ...file(PFN), created: true });
    const f = fakeLake({
      failures: {
        'rule-gone': new RucioApiError(404, 'RuleNotFound', 'No replication rule found.', 'DELETE', '/rules/rule-gone'),
        [PFN]: new StorageError(404, 'DELETE', PFN, 'not found'),
      },
    });
    const outcomes = await cleanupLedger(ledger, f.lake);
    expect(outcomes.map((o) => [o.status, o.ok])).toEqual([['already_gone', true], ['already_gone', true]]);
    expect(ledger.pending()).toEqual([]);
  });

  it('reports a failed removal as left behind with why, leaves the entry pending, and goes on', async () => {
    const { ledger, ids } = ledgerWith({ ...rule('rule-stuck'), created: true }, { ...rule('rule-ok'), created: true });
    const f = fakeLake({
      methods: ['token'],
      failures: { 'rule-stuck': new RucioApiError(500, 'DatabaseException', 'database is locked', 'DELETE', '/rules/rule-stuck') },
    });
    const outcomes = await cleanupLedger(ledger, f.lake);

    expect(outcomes.map((o) => [o.entry.target, o.status, o.message])).toEqual([
      ['rule-stuck', 'left_behind', 'left behind: token: exists, but removing it failed: DELETE /rules/rule-stuck: 500 DatabaseException: database is locked'],
      ['rule-ok', 'handed_over', RULE_DELETED],
    ]);
    expect(ledger.pending().map((e) => e.id)).toEqual([ids[0]]);
  });

  it('redacts secrets from failure messages and copes with anything thrown', async () => {
    const token = 'tok-42-very-secret';
    const { ledger } = ledgerWith(rule('rule-echo'), rule('rule-odd'), rule('rule-none'));
    const f = fakeLake({
      methods: ['token'],
      failures: {
        'rule-echo': new Error(`401 from server: token ${token} rejected, Authorization: Bearer abc.def.ghi`),
        'rule-odd': 'connection reset by peer',
        'rule-none': undefined,
      },
    });
    const session = async (m: AuthMethod) => ({ ...(await f.lake.session(m)), secrets: [token] });
    const outcomes = await cleanupLedger(ledger, { session, methods: ['token'] });

    expect(outcomes.map((o) => [o.ok, o.message])).toEqual([
      [false, 'left behind: token: exists, but removing it failed: 401 from server: token <redacted> rejected, Authorization: Bearer <redacted>'],
      [false, 'left behind: token: exists, but removing it failed: connection reset by peer'],
      [false, 'left behind: token: exists, but removing it failed: undefined'],
    ]);
    expect(ledger.pending()).toHaveLength(3);
  });

  it('leaves an entry pending when no session can be opened for any identity', async () => {
    const { ledger, ids } = ledgerWith(file(PFN));
    const outcomes = await cleanupLedger(ledger, {
      methods: ['x509'],
      session: async () => { throw new CredentialError('expired', '/tmp/x509up_u1000', 'proxy expired'); },
    });
    expect(outcomes).toMatchObject([{ ok: false, status: 'left_behind', message: 'left behind: x509: /tmp/x509up_u1000: proxy expired' }]);
    expect(ledger.pending().map((e) => e.id)).toEqual(ids);
  });

  it('marks an entry with no target as never created, without touching the lake', async () => {
    const { ledger } = ledgerWith(rule(''));
    const f = fakeLake();
    const outcomes = await cleanupLedger(ledger, f.lake);
    expect(outcomes).toMatchObject([{ ok: true, status: 'never_created' }]);
    expect(f.calls).toEqual([]);
    expect(f.sessions).toEqual([]);
    expect(ledger.pending()).toEqual([]);
  });

  it('cleans only the given run and skips entries already done', async () => {
    const { ledger, ids } = ledgerWith(rule('rule-1'), rule('rule-2', { runId: 'run-2' }), rule('rule-3'));
    ledger.done(ids[2] as number);
    const f = fakeLake();
    const outcomes = await cleanupLedger(ledger, f.lake, 'run-1');

    expect(f.calls).toEqual(['token check rule-1', 'token deleteRule rule-1 purge=true']);
    expect(outcomes.map((o) => o.entry.id)).toEqual([ids[0]]);
    expect(ledger.pending().map((e) => e.target)).toEqual(['rule-2']);
  });

  it('has nothing to do on an empty ledger', async () => {
    const { ledger } = ledgerWith();
    const f = fakeLake();
    expect(await cleanupLedger(ledger, f.lake)).toEqual([]);
    expect(f.sessions).toEqual([]);
  });
});
