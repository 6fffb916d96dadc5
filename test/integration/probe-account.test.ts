// The sandbox config's `catalogue.account: probe`: the member identities log in as a plain
// account under Rucio 41's generic permission policy (lib/rucio/core/permission/generic.py),
// as a probe account on a real lake does — it owns its scopes, may add rules for itself (not
// locked ones, not for others), may not delete rules (perm_del_rule: root/admin), may add
// replicas only on scratch RSEs (perm_add_replicas), and nobody may delete replicas
// (perm_delete_replicas).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../src/job.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { openLakeSession, type LakeSession } from '../../src/engine/lake-session.js';
import { DEFAULT_SANDBOX_CONFIG, parseSandboxConfig, SandboxConfigError } from '../../src/sandbox/sandbox-config.js';
import { loadTestPlan, startTestLake, type TestLake } from './lake-fixture.js';

const refusal = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'accepted', (e: unknown) => e);

describe('sandbox catalogue.account', () => {
  it('is root by default; probe is the only other value, and a wrong one names file, line and field', () => {
    expect(DEFAULT_SANDBOX_CONFIG.catalogue.account).toBe('root');
    expect(parseSandboxConfig('catalogue: { account: probe }\n', 'sbx.yaml').catalogue.account).toBe('probe');
    expect(() => parseSandboxConfig('catalogue:\n  account: admin\n', 'sbx.yaml')).toThrow(SandboxConfigError);
    expect(() => parseSandboxConfig('catalogue:\n  account: admin\n', 'sbx.yaml')).toThrow(/^sbx\.yaml:2:12: catalogue\.account: /);
  });
});

describe('the probe account under the generic policy', () => {
  let env: TestLake;
  let s: LakeSession;
  const scope = 'user.probe';
  beforeAll(async () => {
    env = await startTestLake('builtin', {
      catalogue: { ...DEFAULT_SANDBOX_CONFIG.catalogue, account: 'probe' },
      rses: [...DEFAULT_SANDBOX_CONFIG.rses, { name: 'SANDBOX-SCRATCHDISK', deterministic: true, attributes: {} }],
    });
    const plan = await loadTestPlan(env.lake, env.dir, 'lake: { sandbox: true }\nexperiments: [{ name: P, tests: [{ name: t, scenario: upload }] }]\n');
    s = await openLakeSession(plan, 'userpass');
  });
  afterAll(async () => {
    s?.close?.();
    await env?.stop();
  });

  it('every member identity logs in as the plain account probe', async () => {
    expect(await s.rucio.whoami()).toMatchObject({ account: 'probe' });
    for (const method of ['x509', 'token'] as const) {
      const plan = await loadTestPlan(env.lake, env.dir, 'lake: { sandbox: true }\nexperiments: [{ name: P, tests: [{ name: t, scenario: upload }] }]\n');
      const other = await openLakeSession(plan, method);
      try {
        expect(await other.rucio.whoami()).toMatchObject({ account: 'probe' });
      } finally {
        other.close?.();
      }
    }
  });

  it('owns its scope; may add its own rule but not delete it (perm_del_rule), nor add one for root (perm_add_rule)', async () => {
    await s.rucio.addDid(scope, 'perm.ds', { type: 'DATASET', lifetime: 600 });
    expect(await refusal(s.rucio.addDid('user.root', 'perm.ds', { type: 'DATASET', lifetime: 600 }))).toMatchObject({ exceptionClass: 'AccessDenied' });
    const [id] = await s.rucio.addRule({ dids: [{ scope, name: 'perm.ds' }], copies: 1, rseExpression: 'SANDBOX-FAST', lifetime: 600 });
    expect(await refusal(s.rucio.deleteRule(id as string, true))).toMatchObject({ status: 401, exceptionClass: 'AccessDenied' });
    expect((await s.rucio.getRule(id as string)).expires_at).not.toBeNull();
    const forRoot = await refusal(s.rucio.addRule({ dids: [{ scope, name: 'perm.ds' }], copies: 1, rseExpression: 'SANDBOX-SAFE', lifetime: 600, account: 'root' }));
    expect(forRoot).toMatchObject({ exceptionClass: 'AccessDenied' });
  });

  it('adds replicas only on a scratch RSE (perm_add_replicas); attaching with an RSE is perm_attach_dids, the scope owner\'s', async () => {
    const file = (name: string) => ({ scope, name, bytes: 10, adler32: '0000000a' });
    expect(await refusal(s.rucio.addReplicas('SANDBOX-FAST', [file('perm.f1')]))).toMatchObject({ exceptionClass: 'AccessDenied' });
    expect(await refusal(s.rucio.addReplicas('SANDBOX-SCRATCHDISK', [file('perm.f2')]))).toBe('accepted');
    await s.rucio.attachReplicas(scope, 'perm.ds', 'SANDBOX-FAST', [file('perm.f3')]);
    expect(env.lake.catalogue.admin.getReplicaState(scope, 'perm.f3', 'SANDBOX-FAST')).toBe('AVAILABLE');
  });

  it('a run says which rules stay in the lake, until when and who may delete them; its files stay with them', async () => {
    const planFile = join(env.dir, 'probe-run.yaml');
    await writeFile(planFile, `
name: probe-run
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
experiments: [{ name: E, tests: [{ name: up, scenario: upload, auth: [token], params: { files: 2, size: 2048 } }] }]
`);
    const log: string[] = [];
    const result = await runJob({
      planFile, env: env.lake.env, uid: 4_000_000, registry: builtinScenarios(),
      dbPath: join(env.dir, 'probe-run.db'), outDir: join(env.dir, 'probe-run-reports'), reporters: [], log: (l) => log.push(l), report: false,
    });
    const left = log.filter((l) => l.startsWith('left in the lake: '));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^left in the lake: rule [0-9a-f]{32} remains with its files until it expires at .+ UTC: Rucio refused account probe its deletion; only root or an account with the admin attribute may delete rules/);
    expect(result.summary.failed).toBe(0);
    const tag = `lakeprobe.${result.run.runId}.up.token.SANDBOX-FAST`;
    for (const i of [0, 1]) expect(env.lake.catalogue.admin.getReplicaState('user.probe', `${tag}.${i}`, 'SANDBOX-FAST')).toBe('AVAILABLE');
  });
});
