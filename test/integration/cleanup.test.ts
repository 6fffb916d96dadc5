// `lakeprobe cleanup` against the sandbox lake: entries a crashed or refused run left in the
// ledger are checked with any working credential of the plan and closed, and each says what
// was done, on both storage kinds.
import { Readable } from 'node:stream';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupLedger, RULE_DELETED, type CleanupLake } from '../../src/engine/cleanup.js';
import { configuredAuthMethods, openLakeSession, type LakeSession } from '../../src/engine/lake-session.js';
import type { AuthMethod } from '../../src/engine/op-result.js';
import type { ResolvedPlan } from '../../src/plan/index.js';
import { ResultsStore } from '../../src/results/store.js';
import { loadTestPlan, startTestLake, STORAGE_KINDS } from './lake-fixture.js';

function lakeOf(plan: ResolvedPlan): CleanupLake & { close(): Promise<void> } {
  const sessions = new Map<AuthMethod, Promise<LakeSession>>();
  return {
    methods: configuredAuthMethods(plan),
    session: (m) => {
      let s = sessions.get(m);
      if (!s) sessions.set(m, (s = openLakeSession(plan, m)));
      return s;
    },
    close: async () => {
      for (const s of sessions.values()) (await s.catch(() => null))?.rucio.close();
    },
  };
}

describe.each(STORAGE_KINDS)('cleanup against the sandbox lake (%s storage)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let plan: ResolvedPlan;
  let foreignToken: string;
  beforeAll(async () => {
    env = await startTestLake(storage);
    // A token the catalogue refuses: issued for another audience.
    foreignToken = join(env.dir, 'foreign-aud.jwt');
    await writeFile(foreignToken, await env.lake.issuer.mint({ sub: 'member', aud: 'other-service', scope: 'openid storage.read:/' }));
    plan = await loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true }
credentials: { token: { file: ${foreignToken} } }
experiments: [{ name: C, tests: [{ name: t, scenario: upload }] }]
`);
  });
  afterAll(() => env.stop());

  it('closes a dataset whose creation was refused as never created, using another credential, and ends', async () => {
    const store = new ResultsStore(':memory:');
    const lake = lakeOf(plan);
    try {
      const token = await lake.session('token');
      const name = `lakeprobe.cleanup-401.${storage}`;
      const id = store.intend({ runId: 'r1', kind: 'did', rse: '', target: `user.root:${name}`, authMethod: 'token' });
      const refused = await token.rucio.addDid('user.root', name, { type: 'DATASET', lifetime: 60 }).catch((e: unknown) => e);
      // Refused at the token's validation, as Rucio 41 refuses it (500 CannotAuthenticate, flaskapi/v1/auth.py Validate).
      expect(refused).toMatchObject({ exceptionClass: 'CannotAuthenticate' });

      const outcomes = await cleanupLedger(store, lake);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ status: 'never_created', ok: true, actedAs: 'userpass' });
      expect(outcomes[0]?.entry.id).toBe(id);
      // The next cleanup has nothing left to do.
      expect(store.pending()).toEqual([]);
      expect(await cleanupLedger(store, lake)).toEqual([]);
    } finally {
      await lake.close();
      store.close();
    }
  });

  it('removes what a crashed run left (a rule, a storage file, a dataset) and says rule deletion is soft', async () => {
    const store = new ResultsStore(':memory:');
    const lake = lakeOf(plan);
    try {
      const x509 = await lake.session('x509');
      const rse = await x509.rucio.getRse('SANDBOX-FAST');
      const proto = rse.protocols.find((p) => p.scheme === (storage === 'xrootd' ? 'root' : 'davs')) ?? rse.protocols[0];
      if (!proto) throw new Error('SANDBOX-FAST has no protocol');
      const ds = `lakeprobe.cleanup-crash.${storage}`;
      const dsId = store.intend({ runId: 'r2', kind: 'did', rse: '', target: `user.root:${ds}`, authMethod: 'x509' });
      await x509.rucio.addDid('user.root', ds, { type: 'DATASET', lifetime: 3600 });
      store.created(dsId);
      const ruleId = store.intend({ runId: 'r2', kind: 'rule', rse: 'SANDBOX-FAST', target: '', authMethod: 'x509' });
      const [rule] = await x509.rucio.addRule({ dids: [{ scope: 'user.root', name: ds }], copies: 1, rseExpression: 'SANDBOX-FAST', lifetime: 3600 });
      store.created(ruleId, rule);
      const pfn = `${proto.scheme}://${proto.hostname}:${proto.port}${proto.prefix.replace(/\/$/, '')}/user/root/cleanup-crash-${storage}`;
      const fileId = store.intend({ runId: 'r2', kind: 'storage_file', rse: 'SANDBOX-FAST', target: pfn, authMethod: 'x509' });
      const driver = x509.storage(proto.scheme === 'root' ? 'root' : 'davs');
      await driver.put(pfn, Readable.from([Buffer.from('left behind')]), 11);
      store.created(fileId);

      const outcomes = await cleanupLedger(store, lake, 'r2');
      expect(outcomes.map((o) => [o.entry.kind, o.status])).toEqual([
        ['did', 'handed_over'], ['rule', 'handed_over'], ['storage_file', 'removed'],
      ]);
      expect(outcomes[1]?.message).toBe(RULE_DELETED);
      expect(await driver.stat(pfn)).toBeNull();
      expect(store.pending('r2')).toEqual([]);
    } finally {
      await lake.close();
      store.close();
    }
  });
});
