// `lakeprobe probe` against the sandbox: green when healthy; the documented exit code and a
// JUnit failure naming the cause with a fault on; a regression caught against a baseline;
// an unreachable lake told apart from a failing one.
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/jobs/errors.js';
import { probeJob, type ProbeResult } from '../../src/jobs/probe.js';
import { readBaseline, writeBaseline } from '../../src/probe/baseline.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { startTestLake } from './lake-fixture.js';

describe('lakeprobe probe against the sandbox', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let n = 0;
  beforeAll(async () => {
    env = await startTestLake();
  });
  afterEach(async () => {
    env.lake.faults.clear();
    await env.lake.faults.settled();
  });
  afterAll(() => env?.stop());

  const plan = (extra = '', tests = '      - { name: up, scenario: upload, auth: [x509], params: { size: 65536 } }'): string => `
name: nightly-it
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
${extra}
experiments:
  - name: NIGHTLY
    tests:
${tests}
`;

  async function probe(yaml: string, more: { baselineFile?: string; writeBaselineFile?: string; env?: Record<string, string> } = {}): Promise<ProbeResult & { junit: string; summary: string }> {
    const id = ++n;
    const planFile = join(env.dir, `probe-${id}.yaml`);
    await writeFile(planFile, yaml);
    const junitFile = join(env.dir, `out-${id}`, 'probe.junit.xml');
    const summaryFile = join(env.dir, `out-${id}`, 'probe.md');
    const result = await probeJob({
      planFile, env: { ...env.lake.env, ...more.env }, uid: 4_000_002, registry: builtinScenarios(),
      dbPath: join(env.dir, `probe-${id}.db`), outDir: join(env.dir, `out-${id}`), reporters: [], log: () => {},
      junitFile, summaryFile, baselineFile: more.baselineFile, writeBaselineFile: more.writeBaselineFile,
    });
    return { ...result, junit: await readFile(junitFile, 'utf8'), summary: await readFile(summaryFile, 'utf8') };
  }

  it('passes on a healthy sandbox, with a JUnit file of no failures, and writes a baseline', async () => {
    const baselineFile = join(env.dir, 'baseline.json');
    const r = await probe(plan('thresholds: { "failure_rate": ["rate < 0.01"], "duration{operation:upload}": ["p(95) < 60s"] }'), { writeBaselineFile: baselineFile });
    expect(r.outcome).toBe('ok');
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.junit).toMatch(/<testsuites name="lakeprobe probe nightly-it" tests="3" failures="0"/);
    expect(r.summary).toContain('— passed');
    const baseline = await readBaseline(baselineFile);
    expect(baseline.entries.find((e) => e.operation === 'upload' && e.rse === 'SANDBOX-FAST')?.count).toBe(1);
  });

  it('fails with exit 1 and a JUnit failure naming the error class and the RSE when an RSE is down', async () => {
    env.lake.faults.add({ kind: 'rse_down', rse: 'SANDBOX-SAFE' });
    await env.lake.faults.settled();
    const r = await probe(plan());
    expect(r.outcome).toBe('check_failed');
    expect(r.exitCode).toBe(EXIT.testsFailed);
    const failure = /<failure type="([^"]+)" message="([^"]*)"/.exec(r.junit);
    expect(failure?.[1]).toBe('connection_refused');
    expect(failure?.[2]).toContain('SANDBOX-SAFE');
  });

  it('fails with exit 5 when every test passes but a threshold is crossed, naming it', async () => {
    const r = await probe(plan('thresholds: { "duration{operation:upload}": ["p(95) < 0.001ms"] }'));
    expect(r.outcome).toBe('threshold_failed');
    expect(r.exitCode).toBe(EXIT.thresholdFailed);
    expect(r.junit).toMatch(/<testcase name="duration\{operation:upload\} p\(95\) &lt; 0.001ms" classname="thresholds"[^>]*>\s*<failure type="threshold_crossed" message="[^"]*threshold crossed/);
  });

  it('fails with exit 5 on a regression against a baseline, naming the metric, the baseline and the value', async () => {
    const first = await probe(plan(), { writeBaselineFile: join(env.dir, 'fast.json') });
    expect(first.outcome).toBe('ok');
    // A baseline from a night when the same uploads were a thousand times faster.
    const fast = await readBaseline(join(env.dir, 'fast.json'));
    for (const e of fast.entries) if (e.median_throughput_bps) e.median_throughput_bps *= 1000;
    await writeBaseline(join(env.dir, 'fast.json'), fast);
    const yaml = plan('regression: { throughput_drop_percent: 50, min_samples: 1 }');
    const r = await probe(yaml, { baselineFile: join(env.dir, 'fast.json') });
    expect(r.outcome).toBe('threshold_failed');
    expect(r.exitCode).toBe(EXIT.thresholdFailed);
    const regression = r.checks.find((c) => c.suite === 'regression' && c.name.includes('upload on SANDBOX-FAST'));
    expect(regression?.message).toMatch(/^median throughput of up upload on SANDBOX-FAST \(64KiB\) fell (?:99\.\d|100\.0) % \(limit 50\.0 %\): baseline [\d.]+ MB\/s, now [\d.]+ MB\/s$/);
    expect(r.junit).toContain('<failure type="regression"');
  });

  it('fails with exit 4 on an embargo violation', async () => {
    env.lake.faults.add({ kind: 'embargo_open', rse: 'SANDBOX-FAST' });
    await env.lake.faults.settled();
    const outsider = `{ outsider: { proxy: ${env.lake.pki.users.nonmember.proxyPath} } }`;
    const r = await probe(plan('', `      - { name: embargo, scenario: embargo, auth: [x509], params: ${outsider} }`));
    expect(r.outcome).toBe('critical');
    expect(r.exitCode).toBe(EXIT.critical);
    expect(r.junit).toContain('embargo_violation');
  });

  it('tells an unreachable lake (exit 6) from a failing one', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const yaml = `
name: unreachable-it
lake: { rucio_host: "https://127.0.0.1:${closed}", auth_host: "https://127.0.0.1:${closed}", account: probe, ca_cert: ${env.lake.pki.certDir} }
credentials: { userpass: { username: probe, password_env: PROBE_PASSWORD } }
rses: { names: [SITE_A] }
experiments:
  - name: NIGHTLY
    tests:
      - { name: up, scenario: upload, auth: [userpass] }
`;
    const r = await probe(yaml, { env: { PROBE_PASSWORD: 'not-used' } });
    expect(r.outcome).toBe('unreachable');
    expect(r.exitCode).toBe(EXIT.unreachable);
    expect(r.summary).toContain('unreachable');
  });
});
