// Inputs that carry planted secrets into the paths where they used to leak (user
// scenarios that log or throw them, a failure of one credential quoting another, a k6
// summary quoting them), and the readers of every output the secrets test scans.
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/** Every text value of every table, as one string per row and column. */
export function storeTexts(dbPath: string): string[] {
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

/**
 * The head of a user scenario module without imports (a plain object; its params are
 * checked by hand), so that loading and type-checking it needs nothing but the file.
 */
const scenarioHead = (name: string): string[] => [
  'interface Ctx {',
  '  account: string;',
  '  log(line: string): void;',
  '  rucio: { getDid(scope: string, name: string): Promise<unknown> };',
  "  op<T>(spec: { operation: 'list' }, body: () => Promise<T>): Promise<unknown>;",
  '}',
  '',
  'export default {',
  `  name: '${name}',`,
  "  description: 'written by the secrets test',",
  '  params: { safeParse: (data: unknown) => ({ success: true as const, data: data ?? {} }) },',
];

/**
 * User scenarios beside the plans, as a user might write them, handling the secrets
 * themselves (here written in; a user's would read them from the environment):
 * - leaky-log.ts logs the password, the token and BEARER_TOKEN (which the plan does not use), and fails an operation whose server
 *   answer quotes the token (an x509 session failing with the token file's secret);
 * - crash.ts throws with the password in its message, from line CRASH_LINE;
 * - cross.ts, run as a token test, fails an operation whose answer quotes the userpass password.
 */
export const CRASH_LINE = scenarioHead('crash').length + 2;

export async function writeUserScenarios(dir: string, secrets: { password: string; token: string; envToken: string }): Promise<void> {
  const pw = JSON.stringify(secrets.password);
  const token = JSON.stringify(secrets.token);
  const envToken = JSON.stringify(secrets.envToken);
  await writeFile(join(dir, 'leaky-log.ts'), [
    ...scenarioHead('leaky-log'),
    '  async run(ctx: Ctx): Promise<void> {',
    `    ctx.log(\`logging in with password \${${pw}} and token \${${token}} (BEARER_TOKEN: \${${envToken}})\`);`,
    `    await ctx.op({ operation: 'list' }, () => ctx.rucio.getDid(ctx.account, \`lost-\${${token}}\`));`,
    '  },',
    '};',
    '',
  ].join('\n'));
  await writeFile(join(dir, 'crash.ts'), [
    ...scenarioHead('crash'),
    '  async run(): Promise<void> {',
    `    throw new Error(\`cannot log in as probe with \${${pw}}\`);`,
    '  },',
    '};',
    '',
  ].join('\n'));
  await writeFile(join(dir, 'cross.ts'), [
    ...scenarioHead('cross'),
    '  async run(ctx: Ctx): Promise<void> {',
    `    await ctx.op({ operation: 'list' }, () => ctx.rucio.getDid(ctx.account, \`lost-\${${pw}}\`));`,
    '  },',
    '};',
    '',
  ].join('\n'));
}

/**
 * A k6 end-of-test summary in the shape k6 hands to handleSummary() (the storage fixture),
 * with the secrets where a script or the traffic puts them: a URL tag with the password
 * in its query, a name tag, a check name, a group name.
 */
export async function writeK6Summary(file: string, secrets: { password: string; token: string }): Promise<void> {
  const summary = JSON.parse(await readFile(resolve('test/fixtures/k6/storage-summary.json'), 'utf8')) as {
    metrics: Record<string, unknown>; root_group: { groups: { name: string; checks: { name: string }[] }[]; checks: { name: string }[] };
  };
  const trend = { type: 'trend', contains: 'time', values: { avg: 12, 'p(95)': 30, count: 3 }, thresholds: { 'p(95)<500': { ok: true } } };
  summary.metrics[`http_req_duration{url:https://rucio.example.org/auth/userpass?password=${secrets.password}}`] = trend;
  summary.metrics[`http_req_duration{name:login ${secrets.password},operation:auth}`] = trend;
  summary.metrics[`http_req_failed{url:https://se.example.org/lake/f?authz=${secrets.token}}`] = { type: 'rate', contains: 'default', values: { rate: 0 } };
  summary.root_group.checks.push({ name: `token ${secrets.token} accepted`, passes: 1, fails: 0 } as { name: string });
  const group = summary.root_group.groups[0];
  if (group) {
    group.name = `as ${secrets.password}`;
    group.checks.push({ name: `login with ${secrets.password}`, passes: 0, fails: 1 } as { name: string });
  }
  await writeFile(file, JSON.stringify(summary));
}

/**
 * A stand-in for k6 on PATH (k6 cannot be installed here): it records the command line it
 * was started with, as `ps` would show it, and writes the summary where lakeprobe asks.
 */
export async function writeK6StandIn(bin: string, argvFile: string, summaryFile: string): Promise<void> {
  await mkdir(bin, { recursive: true });
  const k6 = join(bin, 'k6');
  await writeFile(k6, `#!/bin/sh
printf '%s\\n' "$0" "$@" > '${argvFile}'
/bin/cp '${summaryFile}' "$LAKEPROBE_K6_SUMMARY"
exit 0
`);
  await chmod(k6, 0o755);
}
