import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runJob } from '../../src/job.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { METRICS } from '../../src/metrics/catalogue.js';
import { PUSHGATEWAY, startPushgateway, type TestPushgateway } from '../helpers/pushgateway.js';
import { describeWithTools } from '../helpers/tools.js';
import { startTestLake } from './lake-fixture.js';

describeWithTools([PUSHGATEWAY], 'metrics reach a real Pushgateway', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let gateway: TestPushgateway | undefined;
  let gatewayUrl: string;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-metrics-'));
    gateway = await startPushgateway(dir);
    gatewayUrl = gateway.url;
    env = await startTestLake();
  });
  afterAll(async () => {
    await gateway?.stop();
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts from a Pushgateway of its own, holding no group pushed elsewhere', async () => {
    const status = await (await fetch(`${gatewayUrl}/api/v1/status`)).json() as { data: { flags: Record<string, string> } };
    expect(status.data.flags['persistence.file']).toBe(join(dir, 'pushgateway.data'));
    expect(await (await fetch(`${gatewayUrl}/api/v1/metrics`)).json()).toEqual({ status: 'success', data: [] });
  });

  it('pushes the run metrics, labelled per RSE, operation and auth method', async () => {
    const planFile = join(dir, 'plan.yaml');
    await writeFile(planFile, `
name: metrics-it
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST, SANDBOX-NONDET] }
experiments:
  - name: METRICS
    tests:
      - { name: up, scenario: upload, auth: [x509, token], params: { size: 2048 } }
`);
    const result = await runJob({
      planFile, env: env.lake.env, uid: 4_000_001, registry: builtinScenarios(),
      dbPath: join(dir, 'r.db'), outDir: join(dir, 'reports'), metricsPort: 0, pushgateway: gatewayUrl, agent: 'agent-1',
      reporters: [], log: () => {},
    });
    expect(result.summary.failed).toBe(0);
    expect(result.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${METRICS.operations.name}{`)
      && l.includes('operation="upload"') && l.includes('rse="SANDBOX-NONDET"') && l.includes('auth_method="token"'));
    expect(line).toBeDefined();
    expect(line).toContain('job="lakeprobe"');
    expect(line).toContain('plan="metrics-it"');
    expect(line).toContain('agent="agent-1"');
    expect(line).not.toContain(result.run.runId);
    expect(line).toContain('outcome="ok"');
    expect(line).toMatch(/ 1$/);
    for (const key of ['operations', 'operationDuration', 'transferredBytes', 'testSuccess', 'testLastRun', 'runFailures'] as const) {
      expect(text).toContain(`# TYPE ${METRICS[key].name} `);
    }
    expect(text).toMatch(new RegExp(`${METRICS.transferredBytes.name}\\{[^}]*operation="upload"[^}]*rse="SANDBOX-FAST"[^}]*\\} 2048`));
  });
});
