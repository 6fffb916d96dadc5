import { afterEach, describe, expect, it } from 'vitest';
import { cleanupLedger } from '../../src/engine/cleanup.js';
import type { LakeSession } from '../../src/engine/lake-session.js';
import type { NewLedgerEntry } from '../../src/engine/ledger.js';
import type { AuthMethod } from '../../src/engine/op-result.js';
import { CredentialError, RucioApiError, StorageError } from '../../src/lake/errors.js';
import type { RucioClient } from '../../src/lake/rucio/index.js';
import type { StorageDriver } from '../../src/lake/storage/driver.js';
import { ResultsStore } from '../../src/results/store.js';

const PFN = 'davs://se.example:443/data/user.alice/ab/cd/lakeprobe.run-1.f0';

/** Fails the named targets with the given error; records every call it receives. */
function fakeLake(failures: Record<string, unknown> = {}) {
  const calls: string[] = [];
  const sessions: AuthMethod[] = [];
  const act = async (call: string, target: string): Promise<void> => {
    calls.push(call);
    if (target in failures) throw failures[target];
  };
  const session = async (method: AuthMethod): Promise<LakeSession> => {
    sessions.push(method);
    const rucio = {
      deleteRule: (id: string, purge?: boolean) => act(`deleteRule ${id} purge=${String(purge)}`, id),
      setDidLifetime: (scope: string, name: string, seconds: number | null) =>
        act(`setDidLifetime ${scope} ${name} ${String(seconds)}`, `${scope}:${name}`),
    } as unknown as RucioClient;
    const storage = (protocol: string) => ({
      protocol, delete: (url: string) => act(`${protocol} delete ${url}`, url),
    }) as unknown as StorageDriver;
    return { method, account: 'alice', rucio, storage, storageAs: async (p: string) => storage(p), secrets: [], identity: `${method} alice` };
  };
  return { session, calls, sessions };
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
  it('removes rules, storage files and DIDs as the identity that created them, and marks them done', async () => {
    const { ledger } = ledgerWith(
      { ...rule('rule-1'), created: true },
      { ...file(PFN), created: true },
      did('user.alice:lakeprobe.run-1.ds'),
    );
    const lake = fakeLake();
    const outcomes = await cleanupLedger(ledger, lake.session);

    expect(lake.calls).toEqual([
      'deleteRule rule-1 purge=true',
      `davs delete ${PFN}`,
      // A DID cannot be deleted by a user: a 1 s lifetime hands it to the reaper.
      'setDidLifetime user.alice lakeprobe.run-1.ds 1',
    ]);
    expect(lake.sessions).toEqual(['token', 'x509', 'userpass']);
    expect(outcomes.map((o) => [o.entry.kind, o.ok, o.message])).toEqual([
      ['rule', true, 'removed'], ['storage_file', true, 'removed'], ['did', true, 'removed'],
    ]);
    expect(ledger.pending()).toEqual([]);
  });

  it('deletes a root:// file with the root driver, a davs:// one with WebDAV', async () => {
    const rootPfn = 'root://se.example:1094//rucio/user/alice/ab/cd/f';
    const { ledger } = ledgerWith({ ...file(rootPfn), created: true }, { ...file(PFN), created: true });
    const lake = fakeLake();
    await cleanupLedger(ledger, lake.session);
    expect(lake.calls).toEqual([`root delete ${rootPfn}`, `davs delete ${PFN}`]);
  });

  it('keeps colons that belong to a DID name', async () => {
    const { ledger } = ledgerWith(did('user.alice:a:b'));
    const lake = fakeLake();
    await cleanupLedger(ledger, lake.session);
    expect(lake.calls).toEqual(['setDidLifetime user.alice a:b 1']);
  });

  it('treats a 404 as already gone and marks the entry done', async () => {
    const { ledger } = ledgerWith(rule('rule-gone'), file(PFN));
    const lake = fakeLake({
      'rule-gone': new RucioApiError(404, 'RuleNotFound', 'No replication rule found.', 'DELETE', '/rules/rule-gone'),
      [PFN]: new StorageError(404, 'DELETE', PFN, 'not found'),
    });
    const outcomes = await cleanupLedger(ledger, lake.session);
    expect(outcomes.map((o) => [o.ok, o.message])).toEqual([[true, 'already gone'], [true, 'already gone']]);
    expect(ledger.pending()).toEqual([]);
  });

  it('reports other failures with their message and leaves the entry pending, then goes on', async () => {
    const { ledger, ids } = ledgerWith(rule('rule-stuck'), rule('rule-ok'));
    const lake = fakeLake({
      'rule-stuck': new RucioApiError(500, 'DatabaseException', 'database is locked', 'DELETE', '/rules/rule-stuck'),
    });
    const outcomes = await cleanupLedger(ledger, lake.session);

    expect(outcomes.map((o) => [o.entry.target, o.ok, o.message])).toEqual([
      ['rule-stuck', false, 'DELETE /rules/rule-stuck: 500 DatabaseException: database is locked'],
      ['rule-ok', true, 'removed'],
    ]);
    expect(ledger.pending().map((e) => e.id)).toEqual([ids[0]]);
  });

  it('redacts secrets from failure messages and copes with anything thrown', async () => {
    const token = 'tok-42-very-secret';
    const { ledger } = ledgerWith(rule('rule-echo'), rule('rule-odd'), rule('rule-none'));
    const lake = fakeLake({
      'rule-echo': new Error(`401 from server: token ${token} rejected, Authorization: Bearer abc.def.ghi`),
      'rule-odd': 'connection reset by peer',
      'rule-none': undefined,
    });
    const session = async (m: AuthMethod) => ({ ...(await lake.session(m)), secrets: [token] });
    const outcomes = await cleanupLedger(ledger, session);

    expect(outcomes.map((o) => [o.ok, o.message])).toEqual([
      [false, '401 from server: token <redacted> rejected, Authorization: Bearer <redacted>'],
      [false, 'connection reset by peer'],
      [false, 'undefined'],
    ]);
    expect(ledger.pending()).toHaveLength(3);
  });

  it('leaves an entry pending when no session can be opened for its identity', async () => {
    const { ledger, ids } = ledgerWith(file(PFN));
    const outcomes = await cleanupLedger(ledger, async () => {
      throw new CredentialError('expired', '/tmp/x509up_u1000', 'proxy expired');
    });
    expect(outcomes).toMatchObject([{ ok: false, message: '/tmp/x509up_u1000: proxy expired' }]);
    expect(ledger.pending().map((e) => e.id)).toEqual(ids);
  });

  it('marks an entry with no target as never created, without touching the lake', async () => {
    const { ledger } = ledgerWith(rule(''));
    const lake = fakeLake();
    const outcomes = await cleanupLedger(ledger, lake.session);
    expect(outcomes).toMatchObject([{ ok: true, message: 'never created' }]);
    expect(lake.calls).toEqual([]);
    expect(lake.sessions).toEqual([]);
    expect(ledger.pending()).toEqual([]);
  });

  it('cleans only the given run and skips entries already done', async () => {
    const { ledger, ids } = ledgerWith(rule('rule-1'), rule('rule-2', { runId: 'run-2' }), rule('rule-3'));
    ledger.done(ids[2] as number);
    const lake = fakeLake();
    const outcomes = await cleanupLedger(ledger, lake.session, 'run-1');

    expect(lake.calls).toEqual(['deleteRule rule-1 purge=true']);
    expect(outcomes.map((o) => o.entry.id)).toEqual([ids[0]]);
    expect(ledger.pending().map((e) => e.target)).toEqual(['rule-2']);
  });

  it('has nothing to do on an empty ledger', async () => {
    const { ledger } = ledgerWith();
    const lake = fakeLake();
    expect(await cleanupLedger(ledger, lake.session)).toEqual([]);
    expect(lake.sessions).toEqual([]);
  });
});
