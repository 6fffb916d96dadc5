// A permission refusal names the service that refused and the operation, with that service's
// remedy. The sandbox catalogue under Rucio 41's generic policy (lib/rucio/core/permission/
// generic.py: perm_del_rule — root or admin only; perm_add_rule — not for another account;
// perm_set_metadata — root, admin or the scope's owner; AccessDenied comes as 401 from DELETE
// /rules/{id} and as 500 where the view lets it through, lib/rucio/web/rest/flaskapi/v1/{rules,dids}.py)
// refuses the plain account probe: catalogue_denied, the Rucio administrators' remedy. A storage
// refusing a read-only token's write is auth_denied, the site's remedy. Both storage kinds.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/engine/classify.js';
import { openLakeSession, type LakeSession } from '../../src/engine/lake-session.js';
import { ERROR_CLASSES } from '../../src/engine/taxonomy.js';
import { DEFAULT_SANDBOX_CONFIG } from '../../src/sandbox/sandbox-config.js';
import { loadTestPlan, startTestLake, STORAGE_KINDS, type TestLake } from './lake-fixture.js';

const refusal = (p: Promise<unknown>): Promise<unknown> => p.then(() => expect.fail('expected a refusal'), (e: unknown) => e);
const PLAN = 'lake: { sandbox: true }\nexperiments: [{ name: P, tests: [{ name: t, scenario: upload }] }]\n';

describe.each(STORAGE_KINDS)('who refused, and what (%s storage, catalogue account probe)', (storage) => {
  let env: TestLake;
  let s: LakeSession;
  const scope = 'user.probe';
  beforeAll(async () => {
    env = await startTestLake(storage, { catalogue: { ...DEFAULT_SANDBOX_CONFIG.catalogue, account: 'probe' } });
    s = await openLakeSession(await loadTestPlan(env.lake, env.dir, PLAN), 'x509');
  });
  afterAll(async () => {
    s?.close?.();
    await env?.stop();
  });

  it('the catalogue refusing delete rule, add rule for root and set metadata: catalogue_denied, naming the operation', async () => {
    await s.rucio.addDid(scope, `who.${storage}`, { type: 'DATASET', lifetime: 600 });
    const [id] = await s.rucio.addRule({ dids: [{ scope, name: `who.${storage}` }], copies: 1, rseExpression: 'SANDBOX-FAST', lifetime: 600 });
    const refusals = [
      [await refusal(s.rucio.deleteRule(id as string)), `DELETE /rules/${id}: 401 AccessDenied: the catalogue refused this account "delete rule": Account probe`],
      [await refusal(s.rucio.addRule({ dids: [{ scope, name: `who.${storage}` }], copies: 1, rseExpression: 'SANDBOX-SAFE', lifetime: 600, account: 'root' })),
        'POST /rules/: 500 AccessDenied: the catalogue refused this account "add rule": Account probe can not add replication rule'],
      [await refusal(s.rucio.setDidMeta('user.root', 'anything', { project: 'x' })),
        'POST /dids/user.root/anything/meta: 500 AccessDenied: the catalogue refused this account "set metadata": Account probe can not add metadata'],
    ] as const;
    for (const [error, says] of refusals) {
      const { errorClass, message } = classify(error, s.secrets);
      expect(errorClass).toBe('catalogue_denied');
      expect(message.slice(0, says.length)).toBe(says);
      // No bearer-token facts on a refusal that is about the account's permissions.
      expect(message).not.toContain('(token');
    }
    expect(ERROR_CLASSES.catalogue_denied.meaning).toMatch(/^the catalogue \(Rucio\) refused this account/);
    expect(ERROR_CLASSES.catalogue_denied.remedy).toMatch(/^ask the Rucio administrators for the permission/);
    expect(ERROR_CLASSES.catalogue_denied.remedy).not.toMatch(/storage\.\*|scope|token/);
  });

  it("the storage refusing a read-only token's write: auth_denied, naming the storage URL and the write, with the site's remedy", async () => {
    const plan = await loadTestPlan(env.lake, env.dir, `lake: { sandbox: true }\ncredentials: { token: { file: ${env.lake.tokens.readOnly} } }\n`
      + 'experiments: [{ name: P, tests: [{ name: t, scenario: upload }] }]\n');
    const reader = await openLakeSession(plan, 'token');
    try {
      const url = `${env.lake.rses[0]?.url}/rucio/user.probe/who-storage-${storage}`;
      const error = await refusal(reader.storage('davs').put(url, Readable.from([Buffer.from('probe')]), 5));
      const { errorClass, message } = classify(error, reader.secrets);
      expect(errorClass).toBe('auth_denied');
      expect(message).toMatch(new RegExp(`^PUT ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 403 `));
      expect(ERROR_CLASSES.auth_denied.remedy).toMatch(/^ask the site for rights on that path/);
      expect(ERROR_CLASSES.auth_denied.remedy).not.toMatch(/Rucio/);
    } finally {
      reader.close?.();
    }
  });
});
