// DLaaS staging (SKAO_DLaaS): a rule "makes the data available" at a staging RSE for its lifetime
// (Rucio 41: lib/rucio/core/rule.py add_rule sets expires_at = created_at + lifetime), the staged
// copies are read there, and the analysis products land on their own RSE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { loadTrustAnchors, loadX509Proxy } from '../../src/lake/credentials/index.js';
import { parseRucioDate, RucioClient } from '../../src/lake/rucio/index.js';
import { loadTestPlan, runOutRules, runTestPlan, startTestLake, type TestLake } from './lake-fixture.js';

const WEEK = 7 * 86_400;
const PLAN = `
lake: { sandbox: true }
experiments:
  - name: SKAO
    tests:
      - name: dlaas
        scenario: stage
        auth: [token]
        params:
          source: SANDBOX-NONDET
          files: 3
          size: 20000
          stage: { expression: SANDBOX-SAFE, lifetime: ${WEEK} }
          outputs: { rse: SANDBOX-FAST, files: 2, size: 3000 }
          timeout_seconds: 60
          poll_seconds: 0.2
`;

describe('stage: data made available at a staging RSE for the rule\'s lifetime, read there, products uploaded back', () => {
  let env: TestLake;
  let results: OpResult[];
  let stagingExpiry: { rule: string; seconds: number }[] = [];

  beforeAll(async () => {
    env = await startTestLake('builtin');
    const plan = await loadTestPlan(env.lake, env.dir, PLAN);
    // Read the staging rule while it exists (the scenario removes it at the end): its expiry from the catalogue.
    const ca = await loadTrustAnchors(env.lake.pki.certDir);
    const x509 = await loadX509Proxy(env.lake.memberProxyPath);
    const rucio = new RucioClient({ rucioHost: env.lake.rucioUrl, authHost: env.lake.rucioUrl, account: 'root', ca, auth: { method: 'x509', credential: x509 } });
    const seen = new Map<string, number>();
    const running = runTestPlan(plan);
    let done = false;
    void running.finally(() => { done = true; });
    while (!done) {
      for (const q of env.lake.catalogue.admin.listRequests()) {
        if (!q.ruleId || seen.has(q.ruleId)) continue;
        const rule = await rucio.getRule(q.ruleId);
        const expires = rule.expires_at ? parseRucioDate(rule.expires_at) : null;
        const created = parseRucioDate(rule.created_at);
        if (expires && created) seen.set(q.ruleId, Math.round((expires.getTime() - created.getTime()) / 1000));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    results = (await running).results;
    stagingExpiry = [...seen].map(([rule, seconds]) => ({ rule, seconds }));
  }, 180_000);
  afterAll(async () => {
    if (env) await runOutRules(env.lake, () => true);
    await env?.stop();
  });

  it('stages every file to the staging RSE under a rule of seven days', () => {
    const replicated = results.filter((r) => r.operation === 'replicate' && r.outcome === 'ok');
    expect(replicated.map((r) => [r.srcRse, r.dstRse])).toContainEqual(['SANDBOX-NONDET', 'SANDBOX-SAFE']);
    const rule = results.find((r) => r.operation === 'rule' && r.srcRse === 'SANDBOX-NONDET' && r.outcome === 'ok');
    expect(stagingExpiry.find((e) => e.rule === rule?.ruleId)?.seconds).toBe(WEEK);
  });

  it('reads each staged file at the staging RSE and compares it', () => {
    const reads = results.filter((r) => r.operation === 'download' && r.rse === 'SANDBOX-SAFE');
    expect(reads.map((r) => [r.outcome, r.bytes])).toEqual([['ok', 20000], ['ok', 20000], ['ok', 20000]]);
    expect(results.filter((r) => r.operation === 'download' && r.rse !== 'SANDBOX-SAFE')).toEqual([]);
  });

  it('uploads the products to their own RSE, and nothing failed', () => {
    const products = results.filter((r) => r.operation === 'upload' && r.rse === 'SANDBOX-FAST');
    expect(products.map((r) => [r.outcome, r.bytes])).toEqual([['ok', 3000], ['ok', 3000]]);
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
  });
});
