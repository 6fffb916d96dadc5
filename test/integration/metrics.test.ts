import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../src/job.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { METRICS } from '../../src/metrics/catalogue.js';
import { startTestLake } from './lake-fixture.js';

const PUSHGATEWAY = '/usr/bin/prometheus-pushgateway';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

describe('metrics reach a real Pushgateway', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let gateway: ChildProcess;
  let gatewayUrl: string;
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(PUSHGATEWAY)) throw new Error(`${PUSHGATEWAY} missing: run scripts/install-debian-packages.sh`);
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-metrics-'));
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    gateway = spawn(PUSHGATEWAY, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], { stdio: 'ignore' });
    await waitFor(`${gatewayUrl}/-/ready`);
    env = await startTestLake();
  });
  afterAll(async () => {
    gateway?.kill('SIGTERM');
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
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
