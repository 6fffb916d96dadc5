// The lake never harmed, measured: at no time during or after a run — every scenario, with
// rule deletion refused, killed with SIGKILL mid-run, cleaned up, and removed by the lake's own
// judge-cleaner and reaper — does the catalogue list a replica AVAILABLE whose file is missing.
// The probe account is a plain account under Rucio 41's generic permission policy
// (lib/rucio/core/permission/generic.py: perm_del_rule is root/admin only, perm_delete_replicas
// refuses everyone); rule deletion is soft (core/rule.py delete_rule), and the reaper marks
// replicas BEING_DELETED before it deletes their files (core/replica.py
// list_and_mark_unlocked_replicas, daemons/reaper/reaper.py). Both storage kinds.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupLedger } from '../../src/engine/cleanup.js';
import { catalogueAuthMethods, openLakeSession } from '../../src/engine/lake-session.js';
import type { OpResult } from '../../src/engine/op-result.js';
import { DEFAULT_SANDBOX_CONFIG } from '../../src/sandbox/sandbox-config.js';
import { loadTestPlan, runOutRules, runTestPlan, startTestLake, STORAGE_KINDS, type TestLake } from './lake-fixture.js';

const BIN = resolve('dist/src/cli/bin.js');
const FAST = 'poll_seconds: 0.2, timeout_seconds: 30';

interface Row { scope: string; name: string; rse: string }

/** Reads the catalogue's own tables (read-only), so nothing the runs made is missed. */
function query<T>(env: TestLake, sql: string, ...args: unknown[]): T[] {
  const db = new Database(join(env.dir, 'catalogue.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

/** The file behind a replica's first PFN, on the RSE's own disk. */
function diskFile(env: TestLake, r: Row): string | undefined {
  const pfn = env.lake.catalogue.admin.listReplicas(r.scope, r.name).find((x) => x.rse === r.rse)?.pfns[0];
  const root = env.lake.rses.find((x) => x.name === r.rse)?.root;
  return pfn && root ? join(root, decodeURIComponent(new URL(pfn).pathname)) : undefined;
}

/** AVAILABLE replicas whose file is missing, each checked twice so a replica reaped meanwhile does not count. */
function availableWithoutFile(env: TestLake, like = '%'): string[] {
  const rows = query<Row>(env, `SELECT p.scope, p.name, r.name AS rse FROM replicas p JOIN rses r ON r.id = p.rse_id
                                WHERE p.state = 'A' AND p.name LIKE ?`, like);
  return rows.filter((r) => {
    const file = diskFile(env, r);
    if (file !== undefined && existsSync(file)) return false;
    return env.lake.catalogue.admin.getReplicaState(r.scope, r.name, r.rse) === 'AVAILABLE' && !(file !== undefined && existsSync(file));
  }).map((r) => `${r.rse} ${r.scope}:${r.name}`);
}

/** Polls the catalogue every 100 ms while a run goes on; collects every AVAILABLE replica seen without its file. */
function watch(env: TestLake): { stop(): Promise<{ polls: number; violations: string[] }> } {
  const violations = new Set<string>();
  let polls = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const v of availableWithoutFile(env)) violations.add(v);
      polls++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { polls, violations: [...violations] };
    },
  };
}

/** Files under the RSEs' folders whose name holds `tag`. */
async function filesOnDisk(env: TestLake, tag: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.name.includes(tag)) found.push(path);
    }
  };
  for (const rse of env.lake.rses) await walk(rse.root);
  return found;
}

/** Files of `tag` on disk that no replica row points at: data nobody will ever remove. */
async function unlistedFiles(env: TestLake, tag: string): Promise<string[]> {
  const listed = new Set(query<Row>(env, `SELECT p.scope, p.name, r.name AS rse FROM replicas p JOIN rses r ON r.id = p.rse_id
                                          WHERE p.name LIKE ?`, `%${tag}%`).map((r) => diskFile(env, r)));
  return (await filesOnDisk(env, tag)).filter((f) => !listed.has(f) && !f.includes('/embargo/'));
}

const rulesOf = (env: TestLake, account: string, tag: string): { id: string; expires_at: number | null }[] =>
  query(env, 'SELECT id, expires_at FROM rules WHERE account = ? AND name LIKE ?', account, `%${tag}%`);
const didsOf = (env: TestLake, tag: string): { did_type: string }[] => query(env, 'SELECT did_type FROM dids WHERE name LIKE ?', `%${tag}%`);

function figures(label: string, f: Record<string, number>): void {
  console.log(`${label}: ${Object.entries(f).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

describe.each(STORAGE_KINDS)('no replica listed AVAILABLE without its file, probe account under the generic policy (%s storage)', (storage) => {
  let env: TestLake;
  beforeAll(async () => {
    env = await startTestLake(storage, { catalogue: { ...DEFAULT_SANDBOX_CONFIG.catalogue, account: 'probe' } });
  });
  afterAll(() => env?.stop());

  it('every scenario runs as the plain account: rules it may not delete stay with their files, cleanup says until when, the lake removes them later', async () => {
    const plan = await loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
experiments:
  - name: IT
    tests:
      - { name: up, scenario: upload, auth: [token], params: { files: 4, size: 20000, batch: 2 } }
      - { name: rep, scenario: replicate, auth: [token], params: { files: 2, size: 20000, ${FAST}, pairs: [{ from: SANDBOX-FAST, to: SANDBOX-SAFE }] } }
      - { name: am, scenario: auth-matrix, auth: [token], params: { schemes: [davs], ${FAST} } }
      - { name: emb, scenario: embargo, auth: [x509], params: { scope: embargoed, outsider: { token_file: ${env.lake.tokens.nonmember} } } }
      - { name: qos, scenario: replication, auth: [x509], params: { files: 2, size: 20000, ${FAST}, rules: [{ expression: SANDBOX-SAFE }] } }
      - { name: sweep, scenario: longhaul-sweep, auth: [token], params: { links: [{ from: SANDBOX-FAST, to: SANDBOX-SAFE }], sizes: [10000], volume: 20000, ${FAST} } }
      - { name: dv, scenario: download-verify, auth: [x509], params: { files: 2, size: 5000, ${FAST} } }
      - { name: rp, scenario: reprocess, auth: [x509], params: { runs: 2, input_files: 2, output_rule: { expression: SANDBOX-SAFE }, ${FAST} } }
      - { name: lc, scenario: lifecycle, auth: [x509], params: { mode: expire, files: 2, size: 5000, source_lifetime: 2, grace_seconds: 20, ${FAST} } }
      - { name: ing, scenario: ingestion, auth: [x509], rses: { names: [SANDBOX-NONDET] }, params: { files: 2, size: 7000, rule: { expression: SANDBOX-SAFE }, ${FAST} } }
      - { name: burst, scenario: burst, auth: [x509], params: { writers: 2, readers: 2, catalogue_clients: 1, ops_per_worker: 2, size: 4096, rate_per_second: 100 } }
`);
    expect(plan.lake.account).toBe('probe');
    const watcher = watch(env);
    const { results, store, runId } = await runTestPlan(plan);
    const during = await watcher.stop();
    const tag = `lakeprobe.${runId}.`;
    // Every scenario ran and recorded results as the plain account.
    expect(new Set(results.map((r: OpResult) => r.scenario))).toEqual(new Set(plan.experiments[0]?.tests.map((t) => t.scenario)));
    expect(during.polls).toBeGreaterThan(10);
    expect(during.violations).toEqual([]);
    expect(availableWithoutFile(env)).toEqual([]);

    // Rucio refused every rule deletion: each is a warning naming the rule, its expiry and who may delete it.
    const refused = results.filter((r) => r.operation === 'delete' && r.severity === 'warning' && r.ruleId);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.errorMessage).toMatch(/^rule [0-9a-f]{32} remains with its files until it expires at .+ UTC: Rucio refused account probe its deletion; only root or an account with the admin attribute may delete rules/);
    }
    const rulesLeft = rulesOf(env, 'probe', tag);
    expect(rulesLeft.length).toBeGreaterThanOrEqual(refused.length);
    expect(rulesLeft.every((r) => r.expires_at !== null)).toBe(true);
    // Nothing lakeprobe wrote is on storage without a replica row pointing at it.
    expect(await unlistedFiles(env, tag)).toEqual([]);
    const filesAfterRun = (await filesOnDisk(env, tag)).filter((f) => !f.includes('/embargo/')).length;

    // cleanup: the rules remain (the ledger keeps them), nothing else is open, nothing listed is deleted.
    const session = (m: 'userpass' | 'x509' | 'token') => openLakeSession(plan, m);
    const outcomes = await cleanupLedger(store, { session, methods: catalogueAuthMethods(plan) }, runId);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    const remains = outcomes.filter((o) => o.status === 'remains');
    expect(remains.map((o) => o.entry.kind)).toEqual(remains.map(() => 'rule'));
    expect(new Set(remains.map((o) => o.entry.target))).toEqual(new Set(refused.map((r) => r.ruleId)));
    expect(store.pending(runId).map((e) => e.kind)).toEqual(remains.map(() => 'rule'));
    expect(availableWithoutFile(env)).toEqual([]);
    expect((await filesOnDisk(env, tag)).filter((f) => !f.includes('/embargo/'))).toHaveLength(filesAfterRun);

    // The lake removes them when they expire: judge-cleaner, then the reaper (watched while it works).
    const reaping = watch(env);
    await runOutRules(env.lake, () => env.lake.catalogue.admin.replicasToReap().length === 0);
    const afterReaper = await reaping.stop();
    expect(afterReaper.violations).toEqual([]);
    expect(rulesOf(env, 'probe', tag)).toEqual([]);
    expect(query(env, 'SELECT 1 FROM replicas WHERE name LIKE ?', `%${tag}%`)).toEqual([]);
    expect(await filesOnDisk(env, tag).then((f) => f.filter((x) => !x.includes('/embargo/')))).toEqual([]);
    // Datasets went with their lifetimes (undertaker), files with their last replica (core/replica.py delete_replicas).
    expect(didsOf(env, tag)).toEqual([]);
    figures(`${storage} every scenario`, {
      polls: during.polls + afterReaper.polls, available_without_file_during: during.violations.length,
      available_without_file_after: availableWithoutFile(env).length, refused_rule_deletions: refused.length,
      rules_left_after_run: rulesLeft.length, files_kept_after_run: filesAfterRun, cleanup_remains: remains.length,
      dids_after_reaper: didsOf(env, tag).length, files_after_reaper: 0,
    });
  }, 300_000);

  it('a run killed with SIGKILL, then `lakeprobe cleanup`: marked interrupted, unregistered files removed, listed ones left to Rucio', async () => {
    expect(existsSync(BIN), 'npm run build first').toBe(true);
    const planFile = join(env.dir, 'killed.yaml');
    const db = join(env.dir, `killed-${storage}.db`);
    await writeFile(planFile, `
rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
experiments:
  - name: K
    tests:
      - { name: up, scenario: upload, auth: [token], concurrency: 2, params: { files: 200, size: 50000, batch: 20, lifetime: 600 } }
`);
    const cli = (args: string[]) => spawn(process.execPath, [BIN, ...args], {
      cwd: env.dir, env: { ...process.env, ...env.lake.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const watcher = watch(env);
    const child = cli(['run', planFile, '--db', db, '--out', join(env.dir, 'reports'), '--no-report']);
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    // Kill it once batches are registered and some files on storage wait for their batch: between 2 and 15 of a
    // batch of 20, so no batch can fill and register in the moment between this check and the kill.
    const count = (operation: string): number => {
      if (!existsSync(db)) return 0;
      const store = new Database(db, { readonly: true });
      try {
        return (store.prepare("SELECT COUNT(*) AS n FROM op_results WHERE operation = ? AND outcome = 'ok'").get(operation) as { n: number }).n;
      } catch {
        return 0;
      } finally {
        store.close();
      }
    };
    // Two of the register results are the datasets; each other one registers a batch of 20 (the RSEs' files are uploaded one RSE after the other).
    const waiting = (): number => count('upload') - 20 * (count('register') - 2);
    const ready = (): boolean => count('register') >= 4 && waiting() >= 2 && waiting() <= 15;
    for (let i = 0; i < 1200 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(ready(), output).toBe(true);
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    const runId = (new Database(db, { readonly: true }).prepare('SELECT run_id FROM runs').get() as { run_id: string }).run_id;
    const tag = `lakeprobe.${runId}.`;
    const unlistedAfterKill = (await unlistedFiles(env, tag)).length;
    expect(unlistedAfterKill).toBeGreaterThan(0);

    const clean = cli(['cleanup', planFile, '--db', db]);
    let cleanOut = '';
    clean.stdout.on('data', (d: Buffer) => { cleanOut += d.toString(); });
    clean.stderr.on('data', (d: Buffer) => { cleanOut += d.toString(); });
    const cleanCode = await new Promise<number | null>((done) => clean.on('exit', (code) => done(code)));
    const during = await watcher.stop();
    expect(cleanCode, cleanOut).toBe(0);
    expect(cleanOut).toContain(`run ${runId} never finished: marked interrupted`);
    const store = new Database(db, { readonly: true });
    expect(store.prepare('SELECT state FROM runs WHERE run_id = ?').get(runId)).toEqual({ state: 'interrupted' });
    store.close();
    // The dataset rules the probe account may not delete remain, said with their expiry and who may delete them.
    const remaining = cleanOut.split('\n').filter((l) => l.startsWith('REMAINS'));
    expect(remaining.length).toBeGreaterThan(0);
    for (const l of remaining) expect(l).toMatch(/remains with its files until it expires at .+: Rucio refused account probe its deletion; only root or an account with the admin attribute may delete rules/);
    expect(cleanOut).not.toMatch(/LEFT BEHIND|admin can remove/);
    expect(during.violations).toEqual([]);
    expect(availableWithoutFile(env)).toEqual([]);
    // Files uploaded but never registered are gone; registered ones stay with their rules.
    expect(await unlistedFiles(env, tag)).toEqual([]);
    const kept = (await filesOnDisk(env, tag)).length;
    expect(kept).toBe(query(env, 'SELECT 1 FROM replicas WHERE name LIKE ?', `%${tag}%`).length);
    figures(`${storage} killed + cleanup`, {
      polls: during.polls, available_without_file: during.violations.length, unlisted_files_after_kill: unlistedAfterKill,
      unlisted_files_after_cleanup: 0, rules_remaining: remaining.length, files_kept_with_rules: kept, dids: didsOf(env, tag).length,
    });
  }, 300_000);
});
