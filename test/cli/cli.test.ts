import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built CLI, as a user runs it (npm test builds it first).
const BIN = resolve('dist/src/cli/bin.js');

function lakeprobe(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

describe('lakeprobe command line', () => {
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-cli-'));
  });
  afterAll(async () => {
    await lakeprobe(['sandbox', 'down', '--dir', join(dir, 'sandbox')]);
    await rm(dir, { recursive: true, force: true });
  });

  it('validate reports every problem with file:line:col and exits 2', async () => {
    const r = await lakeprobe(['validate', 'test/fixtures/plans/problems.yaml']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines).toContain('test/fixtures/plans/problems.yaml:15:9: error: experiments[0].tests[0].scenario: unknown scenario "uplaod" (known: auth-matrix, burst, download-verify, embargo, ingestion, lifecycle, longhaul-sweep, replicate, replication, reprocess, upload)');
  });

  it('validate accepts every shipped plan and exits 0', async () => {
    const r = await lakeprobe(['validate', 'probes/sandbox.yaml']);
    expect(r.stdout).toContain('probes/sandbox.yaml: valid (1 experiments, 1 tests)');
    expect(r.code).toBe(0);
    const longHaul = await lakeprobe(['validate', 'probes/long-haul.yaml']);
    expect(longHaul.stdout).toContain('probes/long-haul.yaml: valid (1 experiments, 2 tests)');
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const r = await lakeprobe(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown argument|Unknown command/i);
  });

  it('demo runs the plan against a sandbox it starts, prints the report path, and stops it', async () => {
    const out = join(dir, 'reports');
    const r = await lakeprobe(['demo', '--db', join(dir, 'demo.db'), '--out', out, '--sandbox-dir', join(dir, 'demo-sandbox')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = /Open the report: (\S+\.md)/.exec(r.stdout)?.[1];
    expect(report).toBeDefined();
    const md = await readFile(report as string, 'utf8');
    expect(md).toContain('Verdict: **PASSED**');
    for (const rse of ['SANDBOX-FAST', 'SANDBOX-SAFE', 'SANDBOX-NONDET']) {
      expect(md).toMatch(new RegExp(`\\| ${rse} \\| ok \\(\\d+ ops\\) \\| ok \\(\\d+ ops\\) \\| ok \\(\\d+ ops\\) \\|`));
    }
    expect(md).toContain('| RSE | token | userpass | x509 |');
    const csv = await readFile((report as string).replace(/\.md$/, '.csv'), 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^run_id,experiment,rse,operation,auth_method,protocol,count,failures,p50_ms,p95_ms/);
    // The sandbox started for the demo is gone afterwards.
    expect(existsSync(join(dir, 'demo-sandbox', 'state.json'))).toBe(false);
  });

  it('report rewrites the latest run from the results store', async () => {
    const r = await lakeprobe(['report', '--db', join(dir, 'demo.db'), '--out', join(dir, 'again')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SANDBOX: .*again.*SANDBOX\.md/);
  });

  it('sandbox up prints the env snippet, status sees it, a run uses it, down stops it', async () => {
    const sbx = join(dir, 'sandbox');
    const up = await lakeprobe(['sandbox', 'up', '--dir', sbx]);
    expect(up.code).toBe(0);
    for (const key of ['RUCIO_CONFIG', 'X509_USER_PROXY', 'X509_CERT_DIR', 'BEARER_TOKEN_FILE']) expect(up.stdout).toContain(`export ${key}=`);
    expect(up.stdout).toContain('RSE SANDBOX-NONDET: https://localhost:');
    const status = await lakeprobe(['sandbox', 'status', '--dir', sbx]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('sandbox running');

    const plan = join(dir, 'one.yaml');
    await writeFile(plan, 'lake: { sandbox: true }\nrses: { names: [SANDBOX-SAFE] }\nexperiments:\n  - name: ONE\n    tests:\n      - { name: up, scenario: upload, auth: [token], params: { size: 4096 } }\n');
    const run = await lakeprobe(['run', plan, '--sandbox-dir', sbx, '--db', join(dir, 'one.db'), '--out', join(dir, 'one')]);
    expect(run.stdout).toContain('lake: running sandbox');
    expect(run.code).toBe(0);

    const down = await lakeprobe(['sandbox', 'down', '--dir', sbx]);
    expect(down.stdout).toContain('sandbox stopped');
    const after = await lakeprobe(['sandbox', 'status', '--dir', sbx]);
    expect(after.code).toBe(3);
  });
});
