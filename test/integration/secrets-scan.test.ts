// Secrets planted in every input (a password, bearer tokens in files and in the user's
// environment, the proxy's private key) reach no output of lakeprobe: not the log and
// progress lines, the reports written, JUnit, the probe summary, any text column of the
// results store, /metrics, nor the daemon's status page and metrics — including the
// paths where a secret comes from elsewhere than lakeprobe's own credential handling:
// user scenarios that log a secret or throw with one, failures of one credential that
// quote another, a k6 summary quoting them, and k6's command line.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult, RunInfo, Sink } from '../../src/engine/op-result.js';
import { loadPlanOrThrow, runJob, type JobOptions } from '../../src/job.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { probeJob } from '../../src/jobs/probe.js';
import { startDaemon } from '../../src/jobs/daemon.js';
import { importK6Summary, k6Invocation, k6Secrets, runK6 } from '../../src/jobs/k6.js';
import { ProgressSink } from '../../src/cli/progress.js';
import { runExitCode, summaryLines } from '../../src/cli/commands/run.js';
import { SANDBOX_USERNAME } from '../../src/sandbox/config.js';
import { startTestLake, STORAGE_KINDS } from './lake-fixture.js';
import { CRASH_LINE, filesUnder, storeTexts, writeK6StandIn, writeK6Summary, writeUserScenarios } from './secrets-canaries.js';
import { BIN, runCli, type CliOutcome } from '../helpers/cli-process.js';

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.each(STORAGE_KINDS)('no planted secret reaches any output (%s storage)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  beforeAll(async () => {
    env = await startTestLake(storage);
  });
  afterAll(() => env.stop());

  it('keeps every secret of the plan out of logs, crashes, reports, JUnit, the store, k6 imports, k6 argv, the status page and metrics', async () => {
    const password = 'PLANTED-pw-7f3a91c2';
    const userToken = 'PLANTED-user-bearer-token-0c9d';
    // An opaque (not JWT-shaped) token from a file: only its known value can catch it.
    const fileToken = 'PLANTED-opaque-file-token-4b8e21';
    const fileTokenPath = join(env.dir, `opaque-token-${storage}`);
    await writeFile(fileTokenPath, `${fileToken}\n`, { mode: 0o600 });
    const readOnlyToken = (await readFile(env.lake.tokens.readOnly, 'utf8')).trim();
    const memberToken = (await readFile(env.lake.tokens.member, 'utf8')).trim();
    const proxyPem = await readFile(env.lake.memberProxyPath, 'utf8');
    const keyBody = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----\n([\s\S]+?)\n-----END/.exec(proxyPem)?.[1] ?? '';
    expect(keyBody.length).toBeGreaterThan(100);
    // Whole secrets, and pieces long enough to be recognisable (the JWT signature, key lines).
    const secrets = [
      password, userToken, fileToken, readOnlyToken, memberToken,
      readOnlyToken.split('.')[2] ?? '', memberToken.split('.')[2] ?? '',
      ...keyBody.split('\n').filter((l) => l.length >= 40),
    ].filter((s) => s.length >= 16);

    const { dir } = env;
    await writeUserScenarios(dir, { password, token: fileToken, envToken: userToken });
    const planFile = join(dir, `secrets-${storage}.yaml`);
    await writeFile(planFile, `
name: secrets-scan
lake: { sandbox: true }
credentials:
  userpass: { password_env: LAKEPROBE_PLANTED_PW }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: S
    tests:
      - { name: refused-password, scenario: upload, auth: [userpass], params: { files: 1, size: 1024 } }
      - { name: proxy, scenario: upload, auth: [x509], params: { files: 1, size: 1024 } }
      - { name: member-token, scenario: upload, auth: [token], params: { files: 1, size: 1024 } }
      - { name: cross-credential, scenario: ./cross.ts, auth: [token] }
`);
    const readOnlyPlan = join(dir, `secrets-ro-${storage}.yaml`);
    await writeFile(readOnlyPlan, `
name: secrets-scan-ro
lake: { sandbox: true }
credentials: { token: { file: ${env.lake.tokens.readOnly} } }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: S
    tests:
      - { name: read-only-token, scenario: upload, auth: [token], params: { files: 1, size: 1024 } }
`);
    // Plans with the password and the opaque token file, for the user scenarios.
    const withFileToken = (name: string, experiment: string, tests: string): string => `
name: ${name}
lake: { sandbox: true }
credentials:
  userpass: { password_env: LAKEPROBE_PLANTED_PW }
  token: { file: ${fileTokenPath} }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: ${experiment}
    tests:
${tests}`;
    const userPlan = join(dir, `secrets-user-${storage}.yaml`);
    await writeFile(userPlan, withFileToken('secrets-scan-user', 'U', `      - { name: leaky-log, scenario: ./leaky-log.ts, auth: [x509] }
      - { name: crash, scenario: ./crash.ts, auth: [x509] }
      - { name: opaque-token, scenario: upload, auth: [token], params: { files: 1, size: 1024 } }
`));

    const logs: string[] = [];
    const scraped: string[] = [];
    let metricsUrl = '';
    // Scrapes /metrics at the end of the run, while the endpoint still serves.
    const scraper: Sink = {
      onResult: (_r: OpResult) => {},
      onEnd: async (_run: RunInfo) => {
        scraped.push(await (await fetch(metricsUrl)).text());
      },
    };
    const outDir = join(dir, `reports-${storage}`);
    const dbPath = join(dir, `secrets-${storage}.db`);
    const runEnv = { ...env.lake.env, LAKEPROBE_PLANTED_PW: password, BEARER_TOKEN: userToken };
    const options = async (file: string): Promise<JobOptions> => ({
      planFile: file, uid: 4_000_000, registry: builtinScenarios(), env: runEnv,
      dbPath, outDir, metricsPort: 0,
      reporters: [new ProgressSink((t) => logs.push(t), false), scraper],
      log: (line) => {
        logs.push(line);
        metricsUrl = /^metrics: (\S+)/.exec(line)?.[1] ?? metricsUrl;
      },
    });
    // The first plan as a CI probe: JUnit and the probe summary are outputs too.
    const junitFile = join(outDir, 'secrets.junit.xml');
    const probe = await probeJob({ ...(await options(planFile)), junitFile, summaryFile: join(outDir, 'secrets.probe.md') });
    for (const c of probe.checks) logs.push(`${c.suite}: ${c.name}: ${c.message}`);
    const results = [probe.job, await runJob(await options(readOnlyPlan)), await runJob(await options(userPlan))];
    for (const r of results) logs.push(...summaryLines(r), `exit ${runExitCode(r)}`);

    // The runs did meet the secrets where they could leak: a refused login, a refused write,
    // a failure quoting another credential, a scenario logging and throwing them.
    const rows = results.flatMap((r) => r.reports.flatMap((rep) => rep.report.tests.map((t) => t.test)));
    expect(rows.sort()).toEqual(['crash', 'cross-credential', 'leaky-log', 'member-token', 'opaque-token', 'proxy', 'read-only-token', 'refused-password']);
    // The sandbox's own token won over the planted BEARER_TOKEN, and the proxy worked.
    const verdicts = results[0]?.reports.flatMap((rep) => rep.report.tests) ?? [];
    expect(verdicts.filter((t) => t.failures === 0).map((t) => t.test).sort()).toEqual(['member-token', 'proxy']);
    // The log's crash line (the crash is also a failed result, on the progress lines and in the reports).
    const crashes = logs.filter((l) => l.includes('crash [x509] scenario'));
    expect(crashes).toHaveLength(1);
    // One line, where the scenario threw, no stack.
    expect(crashes[0]).toMatch(new RegExp(`U/crash \\[x509\\] scenario \\./crash\\.ts crashed at ${join(dir, 'crash.ts')}:${CRASH_LINE}: cannot log in as probe with <redacted>$`));
    expect(logs.filter((l) => /^\s+at /m.test(l))).toEqual([]);
    expect(logs.some((l) => l.includes('logging in with password <redacted> and token <redacted> (BEARER_TOKEN: <redacted>)'))).toBe(true);

    // k6: secrets reach the script through its environment, never its command line.
    // The plan with the password and the opaque token file: what k6 gets and what its summary may quote.
    const plan = (await loadPlanOrThrow({ planFile: userPlan, env: runEnv, uid: 4_000_000, registry: builtinScenarios() })).plan;
    const call = k6Invocation({
      k6: 'k6', script: 'scenarios/k6/rucio-api.ts', plan, vars: { RATE: '2' }, env: { BEARER_TOKEN: userToken }, summaryFile: '/tmp/s.json', thresholds: {},
    });
    expect(call.args).toEqual(['run', 'scenarios/k6/rucio-api.ts']);
    expect(call.env).toMatchObject({ RUCIO_PASSWORD: password, BEARER_TOKEN_FILE: fileTokenPath, RATE: '2' });
    expect(call.env.BEARER_TOKEN).toBeUndefined(); // the plan's token file, not the environment's token
    expect(() => k6Invocation({ k6: 'k6', script: 'x.ts', plan, vars: { RUCIO_PASSWORD: password }, env: {}, summaryFile: '', thresholds: {} }))
      .toThrow(/does not belong on a command line/);
    // A k6 on PATH is started with those, and what it writes is imported through the real path.
    const k6Summary = join(dir, `k6-summary-${storage}.json`);
    await writeK6Summary(k6Summary, { password, token: fileToken });
    const argvFile = join(dir, `k6-argv-${storage}`);
    const bin = join(dir, `k6-bin-${storage}`);
    await writeK6StandIn(bin, argvFile, k6Summary);
    const k6Logs: string[] = [];
    const k6Env = { PATH: bin };
    // Given on the command line, a secret is refused before k6 starts; then k6 runs with the plan.
    const refused = await runK6({ script: 'scenarios/k6/rucio-api.ts', dbPath, plan, vars: { RUCIO_PASSWORD: password }, env: k6Env, log: (l) => k6Logs.push(l) })
      .catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    const ran = await runK6({ script: 'scenarios/k6/rucio-api.ts', dbPath, plan, vars: { RATE: '2' }, env: k6Env, log: (l) => k6Logs.push(l) });
    const argv = await readFile(argvFile, 'utf8');
    expect(argv).toContain('scenarios/k6/rucio-api.ts');
    // `lakeprobe k6 import --plan`: the same summary brought from elsewhere.
    const imported = await importK6Summary({
      dbPath, summaryFile: k6Summary, planName: 'k6', script: 'rucio-api.ts', secrets: await k6Secrets(plan, k6Env),
    });
    for (const r of [ran, imported]) {
      expect(r.summary.checks.map((c) => c.name)).toContain('as <redacted>::login with <redacted>');
      logs.push(...r.summary.checks.map((c) => c.name), ...r.summary.metrics.map((m) => JSON.stringify(m)));
    }

    // The daemon runs the user scenario on a schedule (an x509 test failing with the token file's secret): its page and metrics.
    const daemonPlan = join(dir, `secrets-daemon-${storage}.yaml`);
    await writeFile(daemonPlan, withFileToken('secrets-scan-daemon', 'D', `      - { name: leaky-log, scenario: ./leaky-log.ts, auth: [x509], schedule: { cron: "*/2 * * * * *" } }
`));
    const daemonLogs: string[] = [];
    const daemon = await startDaemon({
      planFile: daemonPlan, env: runEnv, uid: 4_000_000, registry: builtinScenarios(),
      dbPath: join(dir, `daemon-${storage}.db`), port: 0, log: (l) => daemonLogs.push(l), watch: false,
    });
    let page = '';
    let daemonMetrics = '';
    try {
      page = await until('a failure on the status page', async () => {
        const html = await (await fetch(`${daemon.url}/`)).text();
        return html.includes('lost-') && html;
      });
      daemonMetrics = await (await fetch(`${daemon.url}/metrics`)).text();
    } finally {
      await daemon.stop();
    }
    expect(page).toContain('lost-&#60;redacted&#62;');

    const texts = [...storeTexts(dbPath), ...storeTexts(join(dir, `daemon-${storage}.db`))];
    expect(texts.some((t) => t.includes('CannotAuthenticate'))).toBe(true);
    expect(texts.some((t) => /403|401/.test(t) && t.includes('(token exp='))).toBe(true);
    expect(texts.some((t) => /\.outcome: ok$/.test(t))).toBe(true);
    // The token test failed quoting the userpass password, the x509 test quoting the token file's token.
    expect(texts.filter((t) => t.includes('lost-<redacted>')).length).toBeGreaterThanOrEqual(2);
    expect(texts.some((t) => t.startsWith('load_summaries.') && t.includes('login with <redacted>'))).toBe(true);
    expect(scraped).toHaveLength(3);
    expect(scraped[0]).toContain('lakeprobe_');
    expect(daemonMetrics).toContain('lakeprobe_');

    const reportTexts = await Promise.all((await filesUnder(outDir)).map(async (f) => `${f}: ${await readFile(f, 'utf8')}`));
    expect(reportTexts.some((t) => t.includes(junitFile))).toBe(true);
    const outputs: [string, string[]][] = [
      ['logs', logs], ['reports, JUnit and probe summary', reportTexts], ['results store', texts], ['metrics', scraped],
      ['k6 command line', [argv]], ['k6 log', k6Logs], ['daemon log', daemonLogs], ['status page', [page]], ['daemon metrics', [daemonMetrics]],
    ];
    const hits: string[] = [];
    for (const [where, values] of outputs) {
      for (const secret of secrets) {
        for (const v of values) if (v.includes(secret)) hits.push(`${where}: ${secret.slice(0, 6)}… in ${v.slice(0, 300)}`);
      }
    }
    expect(hits).toEqual([]);
  }, 180_000);
});


const cli = (args: string[], cwd: string, env: Record<string, string | undefined>): Promise<CliOutcome> => runCli(args, { cwd, env });

describe('the command line prints no planted secret', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('on stdout and stderr of run and probe with leaking user scenarios, nor on the command line of k6', async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-secrets-cli-'));
    const password = 'PLANTED-pw-cli-51d0e7';
    const fileToken = 'PLANTED-opaque-cli-token-93ac';
    const envToken = 'PLANTED-cli-bearer-env-e4f2';
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${fileToken}\n`, { mode: 0o600 });
    await writeUserScenarios(dir, { password, token: fileToken, envToken });
    const planFile = join(dir, 'plan.yaml');
    await writeFile(planFile, `
name: secrets-cli
lake: { sandbox: true }
credentials:
  userpass: { username: ${SANDBOX_USERNAME}, password_env: LAKEPROBE_PLANTED_PW }
  token: { file: ${tokenFile} }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: C
    tests:
      - { name: leaky-log, scenario: ./leaky-log.ts, auth: [x509] }
      - { name: crash, scenario: ./crash.ts, auth: [x509] }
      - { name: refused, scenario: upload, auth: [userpass, token], params: { files: 1, size: 1024 } }
`);
    const bin = join(dir, 'bin');
    const k6Summary = join(dir, 'k6-summary.json');
    const argvFile = join(dir, 'k6-argv');
    await writeK6Summary(k6Summary, { password, token: fileToken });
    await writeK6StandIn(bin, argvFile, k6Summary);
    const env = { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir, LAKEPROBE_PLANTED_PW: password, BEARER_TOKEN: envToken };
    const store = ['--sandbox-dir', join(dir, 'sandbox'), '--db', 'r.db', '--out', 'reports'];
    const run = await cli(['run', planFile, ...store], dir, env);
    const probe = await cli(['probe', planFile, ...store], dir, env);
    const refusedK6 = await cli(['k6', 'run', resolve('scenarios/k6/rucio-api.ts'), '--plan', planFile, '--db', 'r.db', '-e', `RUCIO_PASSWORD=${password}`], dir, env);
    // Refused before k6 starts; had it started, this is the command line it would have had.
    const refusedArgv = existsSync(argvFile) ? await readFile(argvFile, 'utf8') : '';
    const k6 = await cli(['k6', 'run', resolve('scenarios/k6/rucio-api.ts'), '--plan', planFile, '--db', 'r.db', '-e', 'RATE=2'], dir, env);
    const k6Import = await cli(['k6', 'import', k6Summary, '--plan', planFile, '--db', 'r.db'], dir, env);

    const argv = await readFile(argvFile, 'utf8');
    expect(argv).toContain('rucio-api.ts');
    const outputs = { run, probe, refusedK6, k6, k6Import };
    const planted = [password, fileToken, envToken];
    const hits = Object.entries(outputs).flatMap(([name, o]) => planted
      .filter((s) => o.stdout.includes(s) || o.stderr.includes(s)).map((s) => `${name}: ${s}`));
    for (const s of planted) if (argv.includes(s) || refusedArgv.includes(s)) hits.push(`k6 argv: ${s}`);
    const files = await filesUnder(join(dir, 'reports'));
    for (const f of [...files, join(dir, 'r.db')]) {
      const text = f.endsWith('.db') ? storeTexts(f).join('\n') : await readFile(f, 'utf8');
      for (const s of planted) if (text.includes(s)) hits.push(`${f}: ${s}`);
    }
    expect(files.some((f) => f.endsWith('.junit.xml'))).toBe(true);
    expect(hits).toEqual([]);
    expect([run.code, probe.code, refusedK6.code, k6.code, k6Import.code], run.stderr + probe.stderr + k6.stderr).toEqual([1, 1, 2, 5, 5]); // 5: the summary has a failed threshold
    expect(refusedK6.stderr).toContain('RUCIO_PASSWORD: a secret does not belong on a command line');
    const crash = run.stdout.split('\n').filter((l) => l.includes('crash [x509] scenario'));
    expect(crash).toEqual([`C/crash [x509] scenario ./crash.ts crashed at ${join(dir, 'crash.ts')}:${CRASH_LINE}: cannot log in as probe with <redacted>`]);
    expect(run.stdout).toContain('logging in with password <redacted> and token <redacted> (BEARER_TOKEN: <redacted>)');
  }, 240_000);
});
