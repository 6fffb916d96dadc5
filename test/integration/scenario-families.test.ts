// The scenario families against the sandbox: what each records, and how faults show up
// (stuck transfers → rule_stuck, a long-REPLICATING rule → rule_timeout, an expiring
// proxy → a warning, then auth_expired).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { loadX509Proxy } from '../../src/lake/credentials/index.js';
import { sweepFiles, sweepSize } from '../../scenarios/longhaul-sweep.js';
import { loadTestPlan, runTestPlan, startTestLake, STORAGE_KINDS, useTestLake } from './lake-fixture.js';

type Lake = Awaited<ReturnType<typeof startTestLake>>;
const plan = (tests: string[], rses = 'SANDBOX-FAST, SANDBOX-SAFE, SANDBOX-NONDET'): string => `
lake: { sandbox: true }
rses: { names: [${rses}] }
experiments:
  - name: IT
    tests:
${tests.map((t) => `      - ${t}`).join('\n')}
`;
const runPlanText = async (env: Lake, yaml: string) => runTestPlan(await loadTestPlan(env.lake, env.dir, yaml));
const of = (rs: OpResult[], test: string, q: Partial<OpResult> = {}): OpResult[] =>
  rs.filter((r) => r.test === test && Object.entries(q).every(([k, v]) => r[k as keyof OpResult] === v));
const FAST = 'poll_seconds: 0.2, timeout_seconds: 30';
/** Per-transfer results (they carry Rucio's request id), each labelled with the protocol its request names. */
const transfersOf = (rs: OpResult[], test: string): OpResult[] => {
  const transfers = of(rs, test, { operation: 'replicate' }).filter((r) => r.requestId !== '');
  // The sandbox's transfer tool writes over HTTP (TPC): its requests' dest_url is davs:// or https://.
  for (const t of transfers) expect(['davs', 'https'], t.requestId).toContain(t.protocol);
  return transfers;
};

describe.each(STORAGE_KINDS)('replication (%s storage)', (storage) => {
  const env = useTestLake(storage);

  it('times each link and each transfer, moves the data on a QoS transition and leaves nothing behind', async () => {
    const { results, store, runId } = await runPlanText(env, plan([
      `{ name: qos, scenario: replication, auth: [x509], params: { files: 3, size: 20000, ${FAST}, rules: [{ expression: QOS=SAFE\\SANDBOX-NONDET }], `
        + 'transitions: [{ to: { expression: SANDBOX-NONDET } }] } }',
    ], 'SANDBOX-FAST'));
    expect(of(results, 'qos', { outcome: 'failed' })).toEqual([]);
    const links = of(results, 'qos', { operation: 'replicate', requestId: '' });
    expect(links.map((r) => [r.dstRse, r.bytes])).toEqual([['SANDBOX-SAFE', 60000], ['SANDBOX-NONDET', 60000]]);
    const transfers = transfersOf(results, 'qos');
    expect(transfers).toHaveLength(6);
    for (const t of transfers) expect(t).toMatchObject({ bytes: 20000, sizeClass: '16KiB' });
    expect(transfers.filter((t) => t.dstRse === 'SANDBOX-SAFE').map((t) => t.srcRse)).toEqual(Array(3).fill('SANDBOX-FAST'));
    expect(new Set(transfers.map((t) => t.requestId)).size).toBe(6);
    // The transition cut the SAFE rule and waited until the copies left SANDBOX-SAFE.
    expect(of(results, 'qos', { operation: 'delete', rse: 'SANDBOX-SAFE', protocol: 'rucio' })[0]).toMatchObject({ outcome: 'ok', ruleId: '' });
    expect(store.pending(runId)).toEqual([]);
  });

  it('a destination that fails every transfer makes the rule STUCK: rule_stuck with the transfer error', async () => {
    env.lake.faults.add({ kind: 'rse_down', rse: 'SANDBOX-SAFE' });
    await env.lake.faults.settled();
    const { results } = await runPlanText(env, plan([
      `{ name: stuck, scenario: replication, auth: [x509], params: { files: 2, size: 4096, ${FAST}, verify: false, rules: [{ expression: SANDBOX-SAFE }] } }`,
    ], 'SANDBOX-FAST'));
    const link = of(results, 'stuck', { operation: 'replicate', requestId: '' })[0];
    expect(link).toMatchObject({ outcome: 'failed', errorClass: 'rule_stuck', dstRse: 'SANDBOX-SAFE' });
    expect(link?.errorMessage).toMatch(/STUCK: .+/);
    const transfers = transfersOf(results, 'stuck');
    expect(transfers.map((t) => t.errorClass)).toEqual(['rule_stuck', 'rule_stuck']);
  });

  it('a held transfer keeps the rule REPLICATING past its timeout: rule_timeout naming the locks', async () => {
    env.lake.faults.add({ kind: 'transfer_stuck', rse: 'SANDBOX-SAFE' });
    const { results } = await runPlanText(env, plan([
      '{ name: held, scenario: replication, auth: [token], params: { files: 1, size: 4096, poll_seconds: 0.2, timeout_seconds: 2, rules: [{ expression: SANDBOX-SAFE }] } }',
    ], 'SANDBOX-FAST'));
    const link = of(results, 'held', { operation: 'replicate', requestId: '' })[0];
    expect(link).toMatchObject({ outcome: 'failed', errorClass: 'rule_timeout' });
    expect(link?.errorMessage).toMatch(/locks on SANDBOX-SAFE not OK after \d+ s \(limit 2 s\)/);
  });
});

describe('the other families (builtin storage)', () => {
  let env: Lake;
  let results: OpResult[];
  let pending: unknown[];
  beforeAll(async () => {
    env = await startTestLake('builtin');
    const run = await runPlanText(env, plan([
      `{ name: sweep, scenario: longhaul-sweep, auth: [token], params: { sizes: [10000, 20000], size_index: 1, volume: 60000, ${FAST} } }`,
      `{ name: dv, scenario: download-verify, auth: [x509], params: { files: 2, size: 5000, ${FAST} } }`,
      `{ name: rp, scenario: reprocess, auth: [x509], params: { runs: 3, input_files: 2, output_rule: { expression: SANDBOX-SAFE }, ${FAST} } }`,
      `{ name: lc, scenario: lifecycle, auth: [x509], params: { mode: delete_origin, destination: { expression: SANDBOX-SAFE }, ${FAST}, grace_seconds: 30 } }`,
      `{ name: ing, scenario: ingestion, auth: [x509], rses: { names: [SANDBOX-NONDET] }, params: { files: 3, size: 7000, rule: { expression: SANDBOX-SAFE }, ${FAST} } }`,
      '{ name: burst, scenario: burst, auth: [x509], params: { writers: 4, readers: 2, catalogue_clients: 2, ops_per_worker: 3, size: 4096, rate_per_second: 100 } }',
    ]));
    results = run.results;
    pending = run.store.pending(run.runId);
  });
  afterAll(() => env.stop());

  it('nothing fails and the ledger is empty afterwards', () => {
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
    expect(pending).toEqual([]);
  });

  it('longhaul-sweep: the cycle picks the size, the file count keeps the volume, transfers carry size class and link', () => {
    expect([0, 1, 2, 3].map((i) => sweepSize({ sizes: [50, 500, 5000], size_index: i }))).toEqual([50, 500, 5000, 50]);
    expect(sweepSize({ sizes: [50], size: 7, size_index: 0 })).toBe(7);
    expect([50e6, 500e6, 5e9].map((s) => sweepFiles(50e9, s))).toEqual([1000, 100, 10]);
    const transfers = transfersOf(results, 'sweep');
    expect(transfers.map((t) => [t.srcRse, t.dstRse, t.bytes, t.sizeClass])).toEqual(
      [...Array(6)].map((_, i) => ['SANDBOX-FAST', i < 3 ? 'SANDBOX-SAFE' : 'SANDBOX-NONDET', 20000, '16KiB']),
    );
  });

  it('download-verify reads every replica on every RSE it was spread to', () => {
    expect(of(results, 'dv', { operation: 'download' }).map((r) => r.rse).sort()).toEqual(
      ['SANDBOX-FAST', 'SANDBOX-FAST', 'SANDBOX-NONDET', 'SANDBOX-NONDET', 'SANDBOX-SAFE', 'SANDBOX-SAFE'],
    );
  });

  it('reprocess: one download and one derived upload per run, the output rule replicated', () => {
    expect(of(results, 'rp', { operation: 'download' })).toHaveLength(3);
    expect(of(results, 'rp', { operation: 'upload' })).toHaveLength(2 + 3);
    expect(of(results, 'rp', { operation: 'replicate', requestId: '', dstRse: 'SANDBOX-SAFE' })[0]?.bytes).toBe(3 * 256 * 1024);
  });

  it('lifecycle delete_origin: the origin copy is gone after replication', () => {
    const gone = of(results, 'lc', { operation: 'delete', rse: 'SANDBOX-FAST' });
    expect(gone[0]?.outcome).toBe('ok');
  });

  it('ingestion registers files where they are, in datasets under a container, and downloads by container', () => {
    expect(of(results, 'ing', { operation: 'register', rse: 'SANDBOX-NONDET' })).toHaveLength(3);
    expect(of(results, 'ing', { operation: 'download' })).toHaveLength(3);
  });

  it('burst: every worker kind ran, bounded by its count', () => {
    expect(of(results, 'burst', { operation: 'register', rse: 'SANDBOX-FAST' })).toHaveLength(1 + 4 * 3);
    expect(of(results, 'burst', { operation: 'download' })).toHaveLength(2 * 3);
    // The RSE's description, 2 catalogue clients × 3, and the replica listing that releases the files at the end.
    expect(of(results, 'burst', { operation: 'list', rse: 'SANDBOX-FAST' }).length).toBe(1 + 2 * 3 + 1);
  });
});

describe('auth-matrix with an expiring proxy (builtin storage)', () => {
  let env: Lake;
  beforeAll(async () => {
    env = await startTestLake('builtin');
  });
  afterAll(() => env.stop());

  it('runs every method side by side; a proxy about to expire is a warning, once expired it is auth_expired', async () => {
    const yaml = plan([`{ name: am, scenario: auth-matrix, auth: [userpass, x509, token], params: { ${FAST}, warn_seconds: 3600 } }`], 'SANDBOX-FAST, SANDBOX-SAFE');
    const all = (await runPlanText(env, yaml)).results;
    expect(all.filter((r) => r.outcome === 'failed')).toEqual([]);
    for (const m of ['userpass', 'x509', 'token']) {
      expect(new Set(of(all, 'am', { authMethod: m as OpResult['authMethod'] }).map((r) => r.operation))).toEqual(
        new Set(['auth', 'list', 'register', 'upload', 'rule', 'download', 'replicate', 'delete']),
      );
    }
    // RSEs from an expression: the runner's listing resolves it, the scenario does not list again.
    const byExpression = yaml.replace('userpass, x509, token', 'x509').replace('params:', "rses: { expression: 'SANDBOX-FAST|SANDBOX-SAFE' }, params:");
    const listed = (await runPlanText(env, byExpression)).results;
    expect(listed.filter((r) => r.operation === 'auth')).toHaveLength(1);
    expect(listed.filter((r) => r.operation === 'list' && r.rse === '')).toHaveLength(1);
    env.lake.faults.add({ kind: 'short_credentials', lifetimeSeconds: 15 });
    await env.lake.faults.settled();
    const proxy = await loadX509Proxy(env.lake.memberProxyPath, { allowExpired: true });
    const soon = (await runPlanText(env, yaml.replace('userpass, x509, token', 'x509'))).results;
    // One login per test and method, and one RSE listing (the plan names its RSEs: the scenario's own).
    const login = soon.filter((r) => r.operation === 'auth');
    expect(login.map((r) => [r.outcome, r.severity])).toEqual([['ok', 'warning']]);
    expect(login[0]?.errorMessage).toMatch(/x509 credential expires .* \(in \d+ s\)/);
    expect(soon.filter((r) => r.operation === 'list' && r.rse === '')).toHaveLength(1);
    while (Date.now() <= proxy.notAfter.getTime()) await new Promise((r) => setTimeout(r, 200));
    const expired = (await runPlanText(env, yaml.replace('userpass, x509, token', 'x509'))).results;
    expect(expired[0]).toMatchObject({ operation: 'auth', outcome: 'failed', errorClass: 'auth_expired' });
  }, 120_000);
});
