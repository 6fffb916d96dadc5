// k6 load runs: run a k6 script (when a k6 binary is on PATH) with the plan's thresholds,
// and import its end-of-test summary into the results store as one run.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { newRunId } from '../engine/runner.js';
import { readK6Summary, type LoadSummary } from '../load/k6-summary.js';
import { toK6Thresholds } from '../load/k6-thresholds.js';
import type { ResolvedPlan } from '../plan/index.js';
import type { Threshold } from '../probe/threshold.js';
import { ResultsStore } from '../results/store.js';
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
}

export interface K6ImportResult {
  runId: string;
  summary: LoadSummary;
  failedThresholds: LoadSummary['thresholds'];
}

export async function importK6Summary(o: K6ImportOptions): Promise<K6ImportResult> {
  let summary: LoadSummary;
  try {
    summary = await readK6Summary(o.summaryFile);
  } catch (e) {
    throw new JobError((e as Error).message, EXIT.invalidInput);
  }
  const finishedAt = o.finishedAt ?? new Date().toISOString();
  const startedAt = o.startedAt
    ?? new Date(Date.parse(finishedAt) - Math.round(summary.durationMs ?? 0)).toISOString();
  const runId = newRunId(new Date(startedAt));
  const store = new ResultsStore(o.dbPath);
  try {
    store.saveLoadSummary({ runId, planName: o.planName, planFile: o.script, startedAt }, o.script, summary, finishedAt);
  } finally {
    store.close();
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
  /** `-e NAME=VALUE` pairs for the script (credentials belong in the environment, not here). */
  vars: Record<string, string>;
  env: Record<string, string | undefined>;
  log: (line: string) => void;
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
    const args = ['run', ...Object.entries(o.vars).flatMap(([k, v]) => ['-e', `${k}=${v}`]), o.script];
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(k6, args, {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...o.env, LAKEPROBE_K6_SUMMARY: summaryFile, LAKEPROBE_THRESHOLDS: JSON.stringify(k6Thresholds) },
      });
      child.on('error', reject);
      child.on('close', (status) => resolve(status ?? 1));
    });
    if (code !== 0 && code !== K6_THRESHOLDS_FAILED) {
      throw new JobError(`k6 exited with ${code} before writing a summary worth importing`, EXIT.setupFailed);
    }
    const imported = await importK6Summary({
      dbPath: o.dbPath, summaryFile, planName: o.plan?.name ?? basename(o.script), script: o.script, startedAt,
    });
    return { ...imported, k6Exit: code, notApplicable: notApplicable.map((n) => `${n.threshold.key} ${n.threshold.expression}: ${n.why}`) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
