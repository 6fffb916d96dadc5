import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, type CliOutcome } from '../helpers/cli-process.js';

// The built CLI, as a user runs it (npm test builds it first).

const lakeprobe = (args: string[], env: Record<string, string> = {}): Promise<CliOutcome> => runCli(args, { env: { ...process.env, ...env } });

describe('lakeprobe command line', () => {
  let dir: string;
  /** A one-test upload plan on the sandbox, naming `sandboxConfig` (relative to the plan) when given. */
  const plan = async (name: string, sandboxConfig?: string): Promise<string> => {
    const path = join(dir, name);
    const lake = sandboxConfig ? `{ sandbox: true, sandbox_config: ${sandboxConfig} }` : '{ sandbox: true }';
    await writeFile(path, `lake: ${lake}\nrses: { names: [SANDBOX-SAFE] }\nexperiments:\n  - name: ONE\n    tests:\n      - { name: up, scenario: upload, auth: [token], params: { size: 4096 } }\n`);
    return path;
  };
  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-cli-'));
  });
  afterAll(async () => {
    await lakeprobe(['sandbox', 'down', '--sandbox-dir', join(dir, 'sandbox')]);
    await rm(dir, { recursive: true, force: true });
  });

  it('validate reports every problem with file:line:col and exits 2', async () => {
    const r = await lakeprobe(['validate', 'test/fixtures/plans/problems.yaml']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines).toContain('test/fixtures/plans/problems.yaml:15:9: error: experiments[0].tests[0].scenario: unknown scenario "uplaod" (known: auth-matrix, burst, cache-read, download-verify, embargo, ingestion, lifecycle, longhaul-sweep, replicate, replication, reprocess, rse-audit, stage, upload)');
  });

  it('validate accepts every shipped plan and exits 0', async () => {
    const r = await lakeprobe(['validate', 'probes/sandbox.yaml']);
    expect(r.stdout).toContain('probes/sandbox.yaml: valid (1 experiments, 1 tests)');
    expect(r.code).toBe(0);
    const longHaul = await lakeprobe(['validate', 'probes/long-haul.yaml']);
    expect(longHaul.stdout).toContain('probes/long-haul.yaml: valid (1 experiments, 2 tests)');
  });

  it('bare lakeprobe lists every command on one line each and the two newcomer commands, exit 2', async () => {
    const r = await lakeprobe([]);
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe('lakeprobe: name a command (nothing was run; exit 2).');
    for (const command of ['validate [plan]', 'run <plan>', 'report', 'sandbox <command>', 'demo [plan]', 'cleanup <plan>']) {
      const line = lines.find((l) => l.startsWith(`  lakeprobe ${command} `));
      expect(line, command).toBeDefined();
      // The description is on the same line.
      expect((line as string).slice(`  lakeprobe ${command}`.length).trim().length).toBeGreaterThan(10);
    }
    expect(r.stderr).toContain('  npm ci && npm run demo ');
    expect(r.stderr).toContain('  npm test ');
    expect(r.stdout).toBe('');
  });

  it('validate without a plan says what it needs, exit 2', async () => {
    const r = await lakeprobe(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('validate needs a plan: lakeprobe validate <plan.yaml>');
    expect(r.stderr).toContain('lakeprobe validate probes/sandbox.yaml');
    expect(r.stderr).not.toMatch(/Not enough non-option arguments/);
  });

  it('names the sandbox folder --sandbox-dir everywhere; --dir stays accepted but out of help', async () => {
    for (const args of [['run'], ['demo'], ['cleanup'], ['sandbox', 'up'], ['sandbox', 'status'], ['sandbox', 'down'], ['sandbox', 'fault', 'list']]) {
      const help = await lakeprobe([...args, '--help']);
      expect(help.stdout, args.join(' ')).toContain('--sandbox-dir');
      expect(help.stdout, args.join(' ')).not.toMatch(/--dir\b/);
    }
    const old = await lakeprobe(['sandbox', 'status', '--dir', join(dir, 'nowhere')]);
    expect(old.stdout).toContain('sandbox not running');
    expect(old.code).toBe(3);
    const both = await lakeprobe(['sandbox', 'status', '--dir', join(dir, 'a'), '--sandbox-dir', join(dir, 'b')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('name different folders');
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
    expect(md).toContain('Verdict: **Completed**.');
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

  it("takes the results store from the plan's results.db (relative to the plan) when neither --db nor LAKEPROBE_DB says", async () => {
    const folder = join(dir, 'plans');
    await mkdir(folder, { recursive: true });
    const demo = await readFile('probes/sandbox.yaml', 'utf8');
    const planFile = join(folder, 'stored.yaml');
    await writeFile(planFile, `${demo}\nresults: { db: ../demo.db }\n`);
    const fromPlan = await lakeprobe(['report', '--plan', planFile, '--out', join(dir, 'from-plan')]);
    expect(fromPlan.stderr).toBe('');
    expect(fromPlan.code).toBe(0);
    expect(fromPlan.stdout).toMatch(/SANDBOX: .*from-plan.*SANDBOX\.md \(Completed\)/);
    // LAKEPROBE_DB, then --db, win over the plan.
    const env = await lakeprobe(['report', '--plan', planFile, '--out', join(dir, 'from-env')], { LAKEPROBE_DB: join(dir, 'elsewhere.db') });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain(`no results store at ${join(dir, 'elsewhere.db')}`);
    const given = await lakeprobe(['report', '--plan', planFile, '--db', join(dir, 'given.db'), '--out', join(dir, 'given')], { LAKEPROBE_DB: join(dir, 'demo.db') });
    expect(given.code).toBe(2);
    expect(given.stderr).toContain(`no results store at ${join(dir, 'given.db')}`);
    // A password in the plan would be stored with every run: refused, naming the place.
    const secret = join(folder, 'secret.yaml');
    await writeFile(secret, `${demo}\nresults:\n  db: postgresql://probe:hunter2@db.example.org/challenge\n`);
    const refused = await lakeprobe(['validate', secret]);
    expect(refused.code).toBe(2);
    const line = demo.split('\n').length + 2;
    expect(refused.stderr).toContain(`${secret}:${line}:3: error: results.db: a password does not belong in the plan`);
    expect(refused.stderr).not.toContain('hunter2');
  });

  it('report of a time window writes only the formats asked for, into --out/--name', async () => {
    const r = await lakeprobe(['report', '--db', join(dir, 'demo.db'), '--out', join(dir, 'win'), '--name', 'week',
      '--from', '2000-01-01', '--to', '2999-01-01', '--format', 'md,junit']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`report folder: ${join(dir, 'win', 'week')}`);
    const junit = await readFile(join(dir, 'win', 'week', 'junit.xml'), 'utf8');
    expect(junit).toContain('<testcase name="upload-small" classname="SANDBOX"');
    expect(existsSync(join(dir, 'win', 'week', 'SANDBOX.md'))).toBe(true);
    expect(existsSync(join(dir, 'win', 'week', 'SANDBOX.html'))).toBe(false);
  });

  it('report refuses an unknown format, a bad time and --run with --from (exit 2)', async () => {
    const db = ['--db', join(dir, 'demo.db'), '--out', join(dir, 'bad')];
    const format = await lakeprobe(['report', ...db, '--format', 'md,pdf']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format: unknown format "pdf"; use md, html, csv, json, junit');
    const time = await lakeprobe(['report', ...db, '--from', 'last tuesday']);
    expect(time.code).toBe(2);
    expect(time.stderr).toContain('--from "last tuesday" is not a time');
    const both = await lakeprobe(['report', ...db, '--run', 'x', '--from', '2026-01-01']);
    expect(both.code).toBe(2);
  });

  it('sandbox up prints the env snippet, status sees it, a run uses it, down stops it', async () => {
    const sbx = join(dir, 'sandbox');
    const config = join(dir, 'lake.yaml');
    await writeFile(config, LAKE_CONFIG);
    const up = await lakeprobe(['sandbox', 'up', '--config', config, '--sandbox-dir', sbx]);
    expect(up.code).toBe(0);
    for (const key of ['RUCIO_CONFIG', 'X509_USER_PROXY', 'X509_CERT_DIR', 'BEARER_TOKEN_FILE']) expect(up.stdout).toContain(`export ${key}=`);
    expect(up.stdout).toContain('RSE SANDBOX-NONDET: https://localhost:');
    // The state records which config the lake was started with.
    const state = JSON.parse(await readFile(join(sbx, 'state.json'), 'utf8')) as { config?: { path: string; sha256: string } };
    expect(state.config?.path).toBe(config);
    expect(state.config?.sha256).toBe(createHash('sha256').update(LAKE_CONFIG).digest('hex'));
    const status = await lakeprobe(['sandbox', 'status', '--dir', sbx]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('sandbox running');
    expect(status.stdout).toContain(`started with: config ${config}\n`);

    const run = await lakeprobe(['run', await plan('one.yaml'), '--sandbox-dir', sbx, '--db', join(dir, 'one.db'), '--out', join(dir, 'one')]);
    expect(run.stdout).toContain('lake: running sandbox');
    // No sandbox_config in the plan: reusing is harmless, and said.
    expect(run.stdout).toContain(`note: reusing the sandbox running in ${sbx} (pid `);
    expect(run.stdout).toContain(`it runs config ${config}`);
    expect(run.code).toBe(0);

    const same = await lakeprobe(['run', await plan('same.yaml', 'lake.yaml'), '--sandbox-dir', sbx, '--db', join(dir, 'one.db'), '--out', join(dir, 'one')]);
    expect(same.stdout).toContain('lake: running sandbox');
    expect(same.stdout).not.toContain('note:');
    expect(same.code).toBe(0);

    await writeFile(join(dir, 'other.yaml'), 'rses:\n  - { name: AARNET-DISK }\n');
    const other = await lakeprobe(['run', await plan('other-plan.yaml', 'other.yaml'), '--sandbox-dir', sbx, '--db', join(dir, 'one.db'), '--out', join(dir, 'one')]);
    expect(other.code).toBe(3);
    expect(other.stderr).toContain(`the sandbox running in ${sbx} (pid ${up.stdout.match(/pid (\d+)/)?.[1]}) does not fit: it was started with config ${config}, not ${join(dir, 'other.yaml')}; RSEs it lacks: AARNET-DISK`);
    expect(other.stderr).toContain(`stop it first: lakeprobe sandbox down --sandbox-dir ${sbx}\nthen run again`);
    expect(other.stdout).not.toContain('lake: running sandbox');

    const upOther = await lakeprobe(['sandbox', 'up', '--config', join(dir, 'other.yaml'), '--sandbox-dir', sbx]);
    expect(upOther.code).toBe(3);
    expect(upOther.stderr).toContain(`stop it first: lakeprobe sandbox down --sandbox-dir ${sbx}`);
    const upAgain = await lakeprobe(['sandbox', 'up', '--config', config, '--sandbox-dir', sbx]);
    expect(upAgain.code).toBe(0);
    expect(upAgain.stdout).toContain('sandbox already running');
    // A second lake in the same folder is refused, not started over the first one's state.
    const serveAgain = await lakeprobe(['sandbox', 'serve', '--sandbox-dir', sbx]);
    expect(serveAgain.code).toBe(3);
    expect(serveAgain.stderr).toContain(`a sandbox already runs in ${sbx} (pid `);
    expect((await lakeprobe(['sandbox', 'status', '--sandbox-dir', sbx])).code).toBe(0);

    // The same file, edited since the sandbox started from it.
    await writeFile(config, `${LAKE_CONFIG}transfers: { poll_ms: 200 }\n`);
    const edited = await lakeprobe(['run', join(dir, 'same.yaml'), '--sandbox-dir', sbx, '--db', join(dir, 'one.db'), '--out', join(dir, 'one')]);
    expect(edited.code).toBe(3);
    expect(edited.stderr).toContain('(the file changed since the sandbox started)');

    const down = await lakeprobe(['sandbox', 'down', '--sandbox-dir', sbx]);
    expect(down.stdout).toContain('sandbox stopped');
    const after = await lakeprobe(['sandbox', 'status', '--sandbox-dir', sbx]);
    expect(after.code).toBe(3);
  });
});

/** The sandbox's default RSEs, from a config file. */
const LAKE_CONFIG = [
  'rses:',
  '  - { name: SANDBOX-FAST, attributes: { QOS: FAST } }',
  '  - { name: SANDBOX-SAFE, attributes: { QOS: SAFE } }',
  '  - { name: SANDBOX-NONDET, deterministic: false }',
  '',
].join('\n');
