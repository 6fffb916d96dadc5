// Secrets planted in every input (a password, bearer tokens in a file and in the user's
// environment, the proxy's private key) reach no output of a run against the sandbox:
// not the log and progress lines, the reports written, any text column of the results
// store, nor /metrics — including the failures that quote servers (a refused password,
// a token the storage refuses).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult, RunInfo, Sink } from '../../src/engine/op-result.js';
import { runJob } from '../../src/job.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { ProgressSink } from '../../src/cli/progress.js';
import { runExitCode, summaryLines } from '../../src/cli/commands/run.js';
import { startTestLake, STORAGE_KINDS } from './lake-fixture.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/** Every text value of every table, as one string per row and column. */
function storeTexts(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    const texts: string[] = [];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
        for (const [column, value] of Object.entries(row)) if (typeof value === 'string') texts.push(`${name}.${column}: ${value}`);
      }
    }
    return texts;
  } finally {
    db.close();
  }
}

describe.each(STORAGE_KINDS)('no planted secret reaches any output (%s storage)', (storage) => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  beforeAll(async () => {
    env = await startTestLake(storage);
  });
  afterAll(() => env.stop());

  it('keeps the password, the tokens and the proxy key out of logs, reports, the results store and /metrics', async () => {
    const password = 'PLANTED-pw-7f3a91c2';
    const userToken = 'PLANTED-user-bearer-token-0c9d';
    const readOnlyToken = (await readFile(env.lake.tokens.readOnly, 'utf8')).trim();
    const memberToken = (await readFile(env.lake.tokens.member, 'utf8')).trim();
    const proxyPem = await readFile(env.lake.memberProxyPath, 'utf8');
    const keyBody = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----\n([\s\S]+?)\n-----END/.exec(proxyPem)?.[1] ?? '';
    expect(keyBody.length).toBeGreaterThan(100);
    // Whole secrets, and pieces long enough to be recognisable (the JWT signature, key lines).
    const secrets = [
      password, userToken, readOnlyToken, memberToken,
      readOnlyToken.split('.')[2] ?? '', memberToken.split('.')[2] ?? '',
      ...keyBody.split('\n').filter((l) => l.length >= 40),
    ].filter((s) => s.length >= 16);

    const planFile = join(env.dir, `secrets-${storage}.yaml`);
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
`);
    const readOnlyPlan = join(env.dir, `secrets-ro-${storage}.yaml`);
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
    const outDir = join(env.dir, `reports-${storage}`);
    const dbPath = join(env.dir, `secrets-${storage}.db`);
    const run = (file: string) => runJob({
      planFile: file, uid: 4_000_000, registry: builtinScenarios(),
      env: { ...env.lake.env, LAKEPROBE_PLANTED_PW: password, BEARER_TOKEN: userToken },
      dbPath, outDir, metricsPort: 0,
      reporters: [new ProgressSink((t) => logs.push(t), false), scraper],
      log: (line) => {
        logs.push(line);
        metricsUrl = /^metrics: (\S+)/.exec(line)?.[1] ?? metricsUrl;
      },
    });
    const results = [await run(planFile), await run(readOnlyPlan)];
    for (const r of results) logs.push(...summaryLines(r), `exit ${runExitCode(r)}`);

    // The run did meet the secrets where they could leak: a refused login, a refused write.
    const rows = results.flatMap((r) => r.reports.flatMap((rep) => rep.report.tests.map((t) => t.test)));
    expect(rows.sort()).toEqual(['member-token', 'proxy', 'read-only-token', 'refused-password']);
    // The sandbox's own token won over the planted BEARER_TOKEN, and the proxy worked.
    const verdicts = results[0]?.reports.flatMap((rep) => rep.report.tests) ?? [];
    expect(verdicts.filter((t) => t.failures === 0).map((t) => t.test).sort()).toEqual(['member-token', 'proxy']);
    const texts = storeTexts(dbPath);
    expect(texts.some((t) => t.includes('CannotAuthenticate'))).toBe(true);
    expect(texts.some((t) => /403|401/.test(t) && t.includes('(token exp='))).toBe(true);
    expect(texts.some((t) => /\.outcome: ok$/.test(t))).toBe(true);
    expect(scraped).toHaveLength(2);
    expect(scraped[0]).toContain('lakeprobe_');

    const reportTexts = await Promise.all((await filesUnder(outDir)).map(async (f) => `${f}: ${await readFile(f, 'utf8')}`));
    expect(reportTexts.length).toBeGreaterThan(0);
    const outputs: [string, string[]][] = [['logs', logs], ['reports', reportTexts], ['results store', texts], ['metrics', scraped]];
    for (const [where, values] of outputs) {
      for (const secret of secrets) {
        const leak = values.find((v) => v.includes(secret));
        expect(leak, `${where} contains a planted secret (${secret.slice(0, 6)}…)`).toBeUndefined();
      }
    }
  });
});
