import { it } from 'vitest';
import { loadTestPlan, runTestPlan, startTestLake } from './integration/lake-fixture.js';
it('dbg', async () => {
  const env = await startTestLake('builtin');
  const yaml = `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST, SANDBOX-SAFE, SANDBOX-NONDET] }
experiments:
  - name: X
    tests:
      - { name: repl, scenario: replication, auth: [x509], params: { files: 3, size: 10000, poll_seconds: 0.2, timeout_seconds: 30, rules: [{ expression: SANDBOX-SAFE }], transitions: [{ to: { expression: SANDBOX-NONDET } }] } }
      - { name: sweep, scenario: longhaul-sweep, auth: [token], params: { sizes: [10000, 20000], size_index: 1, volume: 60000, poll_seconds: 0.2, timeout_seconds: 30 } }
      - { name: am, scenario: auth-matrix, auth: [userpass, x509, token], rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }, params: { poll_seconds: 0.2, timeout_seconds: 30 } }
      - { name: dv, scenario: download-verify, auth: [x509], params: { files: 2, size: 5000, poll_seconds: 0.2 } }
      - { name: rp, scenario: reprocess, auth: [x509], params: { runs: 2, output_rule: { expression: SANDBOX-SAFE }, poll_seconds: 0.2 } }
      - { name: lc, scenario: lifecycle, auth: [x509], params: { mode: delete_origin, destination: { expression: SANDBOX-SAFE }, poll_seconds: 0.2, grace_seconds: 30 } }
      - { name: lc2, scenario: lifecycle, auth: [x509], params: { mode: expire, source_lifetime: 2, poll_seconds: 0.2, grace_seconds: 30 } }
      - { name: ing, scenario: ingestion, auth: [x509], rses: { names: [SANDBOX-NONDET] }, params: { files: 3, size: 7000, rule: { expression: SANDBOX-SAFE }, poll_seconds: 0.2 } }
      - { name: burst, scenario: burst, auth: [x509], params: { writers: 3, readers: 2, catalogue_clients: 2, ops_per_worker: 3, size: 4096, rate_per_second: 50 } }
`;
  const t0 = Date.now();
  const { results, store, runId } = await runTestPlan(await loadTestPlan(env.lake, env.dir, yaml));
  for (const r of results) if (r.outcome === 'failed' || r.severity === 'warning') console.log(r.test, r.operation, r.rse, r.srcRse, r.dstRse, r.protocol, r.authMethod, r.outcome, r.errorClass, r.errorMessage.slice(0, 300));
  const by = new Map<string, number>(); for (const r of results) by.set(r.test, (by.get(r.test) ?? 0) + 1);
  console.log([...by.entries()], Date.now() - t0, 'ms');
  console.log('pending', store.pending(runId).map((e) => [e.kind, e.rse, e.target]));
  await env.stop();
}, 300000);
