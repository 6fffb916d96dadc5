// k6 load runs: run a k6 script (when a k6 binary is on PATH) with the plan's thresholds,
// and import its end-of-test summary into the results store as one run.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { newRunId } from '../engine/runner.js';
import { redact } from '../engine/redact.js';
import { planSecrets } from '../engine/secrets.js';
import { tokenFileSecretValues } from '../lake/credentials/index.js';
import { readK6Summary, redactLoadSummary, type LoadSummary } from '../load/k6-summary.js';
import { toK6Thresholds } from '../load/k6-thresholds.js';
import type { ResolvedPlan } from '../plan/index.js';
import type { Threshold } from '../probe/threshold.js';
import { openResultsStore } from '../results/open.js';
import { EXIT, JobError } from './errors.js';

/** k6's exit status when a threshold failed. */
const K6_THRESHOLDS_FAILED = 99;

export interface K6ImportOptions {
  dbPath: string;
  summaryFile: string;
  planName: string;
  script: string;
  startedAt?: string;
  finishedAt?: string;
  /** Every secret the summary may quote (a tag `url:…?password=…`, a check name): removed before it is stored. */
  secrets?: readonly string[];
}

export interface K6ImportResult {
  runId: string;
  summary: LoadSummary;
  failedThresholds: LoadSummary['thresholds'];
}

export async function importK6Summary(o: K6ImportOptions): Promise<K6ImportResult> {
  let summary: LoadSummary;
  try {
    const secrets = o.secrets ?? [];
    summary = redactLoadSummary(await readK6Summary(o.summaryFile), (text) => redact(text, secrets));
  } catch (e) {
    throw new JobError((e as Error).message, EXIT.invalidInput);
  }
  const finishedAt = o.finishedAt ?? new Date().toISOString();
  const startedAt = o.startedAt
    ?? new Date(Date.parse(finishedAt) - Math.round(summary.durationMs ?? 0)).toISOString();
  const runId = newRunId(new Date(startedAt));
  const opened = openResultsStore(o.dbPath);
  try {
    opened.store.saveLoadSummary({ runId, planName: o.planName, planFile: o.script, startedAt }, o.script, summary, finishedAt);
  } finally {
    await opened.close();
  }
  return { runId, summary, failedThresholds: summary.thresholds.filter((t) => !t.ok) };
}

/** The k6 binary on PATH, or undefined. */
export async function findK6(path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'k6');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface K6RunOptions {
  script: string;
  dbPath: string;
  plan?: ResolvedPlan;
  /** NAME=VALUE pairs for the script, handed over in k6's environment; never a secret (see SECRET_VAR). */
  vars: Record<string, string>;
  env: Record<string, string | undefined>;
  log: (line: string) => void;
}

/** Variables that hold a secret (a path to one, NAME_FILE, is not one): given only through the environment or the plan. */
export const SECRET_VAR = /PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|PRIVATE_KEY|COOKIE|AUTHZ/i;
const isSecretVar = (name: string): boolean => SECRET_VAR.test(name) && !/_FILE$/i.test(name);

/** The variables the k6 scripts read (scenarios/k6/) from the plan's lake and credentials. */
function planVars(plan: ResolvedPlan | undefined): Record<string, string> {
  if (!plan) return {};
  const { lake, credentials: c } = plan;
  const vars: Record<string, string | undefined> = {
    RUCIO_HOST: lake.rucioHost, RUCIO_AUTH_HOST: lake.authHost ?? lake.rucioHost, RUCIO_ACCOUNT: lake.account,
    RUCIO_USERNAME: c.userpass?.username, RUCIO_PASSWORD: c.userpass?.password,
    // A token lakeprobe obtains from an issuer is not handed to k6: k6 gets a token file or value only.
    ...(c.token && !('issued' in c.token) ? ('file' in c.token ? { BEARER_TOKEN_FILE: c.token.file } : { BEARER_TOKEN: c.token.value }) : {}),
  };
  return Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => Boolean(e[1])));
}

/**
 * The k6 command line and environment. Everything the script needs goes in the
 * environment (k6 passes it to the script as __ENV): a command line is visible to every
 * user of the machine (ps, /proc), so it names only the script.
 */
export function k6Invocation(o: {
  k6: string; script: string; plan?: ResolvedPlan; vars: Record<string, string>; env: Record<string, string | undefined>;
  summaryFile: string; thresholds: Record<string, string[]>;
}): { command: string; args: string[]; env: Record<string, string | undefined> } {
  const secret = Object.keys(o.vars).filter(isSecretVar);
  if (secret.length) {
    throw new JobError(`-e ${secret.join(', ')}: a secret does not belong on a command line (ps shows it to every user); `
      + 'set it in the environment, or in the plan (--plan hands its credentials to k6)', EXIT.invalidInput);
  }
  // The plan's token is the one the script uses: one of the environment would win over its file.
  const base = { ...o.env };
  if (o.plan?.credentials.token) for (const name of ['BEARER_TOKEN', 'BEARER_TOKEN_FILE']) delete base[name];
  return {
    command: o.k6,
    args: ['run', o.script],
    env: {
      ...base, ...planVars(o.plan), ...o.vars,
      LAKEPROBE_K6_SUMMARY: o.summaryFile, LAKEPROBE_THRESHOLDS: JSON.stringify(o.thresholds),
    },
  };
}

/** The secrets in k6's environment: values of secret variables, and the tokens their *_TOKEN_FILE files hold. */
export async function k6EnvSecrets(env: Record<string, string | undefined>): Promise<string[]> {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (isSecretVar(name)) out.push(value);
    else if (/TOKEN_FILE$/i.test(name)) out.push(...(await tokenFileSecretValues(value)));
  }
  return out;
}

/** Every secret a k6 summary could quote: the plan's and those of the environment given to k6. */
export async function k6Secrets(plan: ResolvedPlan | undefined, env: Record<string, string | undefined>): Promise<string[]> {
  return [...(plan ? await planSecrets(plan) : []), ...(await k6EnvSecrets(env))];
}

export interface K6RunResult extends K6ImportResult {
  k6Exit: number;
  notApplicable: string[];
}

/** Runs the script with k6, the plan's thresholds handed over, then imports the summary. */
export async function runK6(o: K6RunOptions): Promise<K6RunResult> {
  const k6 = await findK6(o.env.PATH);
  if (!k6) {
    throw new JobError('k6 is not on PATH (it is not packaged in Debian): install it from the k6 project, '
      + 'or run the script elsewhere and bring its summary here with `lakeprobe k6 import`', EXIT.setupFailed);
  }
  const thresholds: Threshold[] = o.plan
    ? [...(o.plan.thresholds ?? []), ...o.plan.experiments.flatMap((e) => e.tests.flatMap((t) => t.thresholds ?? []))]
    : [];
  const { k6: k6Thresholds, notApplicable } = toK6Thresholds(thresholds);
  const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-k6-'));
  const summaryFile = join(dir, 'summary.json');
  const startedAt = new Date().toISOString();
  try {
    const call = k6Invocation({ k6, script: o.script, plan: o.plan, vars: o.vars, env: o.env, summaryFile, thresholds: k6Thresholds });
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(call.command, call.args, { stdio: ['ignore', 'inherit', 'inherit'], env: call.env });
      child.on('error', reject);
      child.on('close', (status) => resolve(status ?? 1));
    });
    if (code !== 0 && code !== K6_THRESHOLDS_FAILED) {
      throw new JobError(`k6 exited with ${code} before writing a summary worth importing`, EXIT.setupFailed);
    }
    const imported = await importK6Summary({
      dbPath: o.dbPath, summaryFile, planName: o.plan?.name ?? basename(o.script), script: o.script, startedAt,
      secrets: await k6Secrets(o.plan, call.env),
    });
    return { ...imported, k6Exit: code, notApplicable: notApplicable.map((n) => `${n.threshold.key} ${n.threshold.expression}: ${n.why}`) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
