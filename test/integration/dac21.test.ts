// The whole DAC21 challenge plan, scaled down as the README says, run by the built CLI
// against the sandbox the plan declares, started in a folder of its own.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runCli, type CliOutcome } from '../helpers/cli-process.js';

const PLAN = resolve('probes/dac21.yaml');
const EXPERIMENTS = ['LAKE', 'FAIR', 'KM3NeT', 'CTA', 'MAGIC', 'SKAO', 'CMS', 'LSST', 'ATLAS', 'LOFAR', 'EGO-VIRGO'];

const run = (args: string[], cwd: string): Promise<CliOutcome> => runCli(args, { cwd });

describe('the DAC21 plan, scaled', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the README\'s rehearsal command against its own sandbox in any --sandbox-dir: exit 0, nothing failed, nothing left behind', async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
    // The README and the plan's header give one rehearsal command; that is the one run here.
    const readme = /^ {4}(lakeprobe run probes\/dac21\.yaml .*)$/m.exec(await readFile(resolve('README.md'), 'utf8'))?.[1];
    const header = /^# {3}(lakeprobe run probes\/dac21\.yaml .*)$/m.exec(await readFile(PLAN, 'utf8'))?.[1];
    expect(readme).toBe('lakeprobe run probes/dac21.yaml --scale 0.0001');
    expect(header).toBe(readme);
    const args = (readme as string).split(' ').slice(1).map((a) => (a === 'probes/dac21.yaml' ? PLAN : a));
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-dac21-'));
    // Not the default .lakeprobe/sandbox: the outsider's credentials must come from this sandbox by role.
    const sandboxDir = join(dir, 'elsewhere', 'lake');
    const started = Date.now();
    const { code, stdout, stderr } = await run([...args, '--sandbox-dir', sandboxDir, '--db', 'results.db', '--out', 'reports'], dir);
    const seconds = (Date.now() - started) / 1000;
    expect(stderr).toBe('');
    const summary = /^run \S+: (\d+) operations, (\d+) failed/m.exec(stdout);
    expect(summary, stdout.slice(-2000)).not.toBeNull();
    process.stdout.write(`DAC21 rehearsal: ${summary?.[1]} operations, ${summary?.[2]} failed, ${seconds.toFixed(0)} s wall\n`);
    expect(existsSync(join(dir, '.lakeprobe'))).toBe(false);
    const db = new Database(join(dir, 'results.db'), { readonly: true });
    try {
      const byExperiment = db.prepare('SELECT experiment, COUNT(*) AS n FROM op_results GROUP BY experiment').all() as { experiment: string; n: number }[];
      expect(byExperiment.map((r) => r.experiment).sort()).toEqual([...EXPERIMENTS].sort());
      const tests = db.prepare('SELECT COUNT(DISTINCT experiment || \'/\' || test) AS n FROM op_results').get() as { n: number };
      expect(tests.n).toBe(38);
      const failures = db.prepare('SELECT test, operation, error_class, error_message FROM op_results WHERE outcome = \'failed\'').all();
      expect(failures).toEqual([]);
      // The embargo checks were decided: the outsider logged in and was refused, with x509 and with a token.
      const outsider = db.prepare('SELECT identity_role AS role, COUNT(*) AS n FROM op_results WHERE test = \'embargo\' AND identity_role LIKE \'nonmember-%\' GROUP BY identity_role').all() as { role: string; n: number }[];
      expect(outsider.map((r) => r.role).sort()).toEqual(['nonmember-token', 'nonmember-x509']);
      expect(outsider.reduce((n, r) => n + r.n, 0)).toBeGreaterThanOrEqual(24);
      // CMS xcprotocol wrote over root:// and read over https on the XRootD storage the sandbox declares.
      const xc = db.prepare('SELECT DISTINCT operation, protocol FROM op_results WHERE test = \'xcprotocol\' AND operation IN (\'upload\', \'download\')').all() as { operation: string; protocol: string }[];
      expect(xc).toContainEqual({ operation: 'upload', protocol: 'root' });
      expect(xc).toContainEqual({ operation: 'download', protocol: 'davs' });
      // Each test ran where the logbook ran it.
      const where = (sql: string, test: string): string[] =>
        (db.prepare(sql).all(test) as { v: string }[]).map((r) => r.v).sort();
      const used = (test: string, ops: string): string[] =>
        where(`SELECT DISTINCT rse AS v FROM op_results WHERE test = ? AND operation IN (${ops}) AND rse != ''`, test);
      const replicatedTo = (test: string): string[] =>
        where('SELECT DISTINCT dst_rse AS v FROM op_results WHERE test = ? AND operation = \'replicate\' AND dst_rse != \'\'', test);
      for (const test of ['cbm-simulation', 'mcbm-reconstruction', 'panda-reconstruction']) {
        expect(used(test, '\'upload\', \'download\''), test).toEqual(['FAIR-ROOT']);
      }
      expect(replicatedTo('panda-reconstruction')).toEqual(['PIC-DCACHE']);
      expect(replicatedTo('end-to-end')).toEqual(['MANCHESTER']);
      expect(where('SELECT DISTINCT src_rse || \'>\' || dst_rse AS v FROM op_results WHERE test = ? AND operation = \'replicate\' AND dst_rse != \'\'', 'longhaul-sweep'))
        .toEqual(['AARNET-ND>LANCASTER', 'AARNET-ND>MANCHESTER', 'IDIA-ND>LANCASTER', 'IDIA-ND>MANCHESTER']);
      expect(used('km3net001-ingest-replicate', '\'upload\'')).toEqual(['KM3NET-SHORE-ND']);
      expect(used('cta004-analysis', '\'download\'')).toEqual(['LAPP-DCACHE']);
      expect(replicatedTo('multiplication')).toContain('LAPP-DCACHE');
      expect(used('uc1-ingest-replicate', '\'delete\'')).toContain('LOFAR-ND');
      // The logbook tests added with their own metrics: each measured where the logbook ran it.
      // PANDA simulation: FAIR-ROOT + one QOS=SAFE + one QOS=FAST other than FAIR-ROOT (3 replicas).
      const panda = replicatedTo('panda-simulation');
      expect(panda.filter((r) => ['EULAKE-1', 'SARA-DCACHE', 'IN2P3-CC-DCACHE'].includes(r))).toHaveLength(1);
      expect(panda.filter((r) => ['CNAF-STORM', 'MANCHESTER'].includes(r))).toHaveLength(1);
      expect(panda).toHaveLength(2);
      expect(used('panda-simulation', '\'upload\'')).toEqual(['FAIR-ROOT']);
      expect(replicatedTo('dlaas')).toEqual(['EULAKE-1']);
      expect(used('dlaas', '\'download\'')).toEqual(['EULAKE-1']);
      expect(used('dlaas', '\'upload\'')).toEqual(['CNAF-STORM', 'DESY-DCACHE']);
      expect(used('km3net003-upload', '\'upload\'')).toEqual(['SARA-DCACHE']);
      const r3b = db.prepare('SELECT check_fact AS v FROM op_results WHERE test = ? AND check_fact LIKE ? AND outcome = \'ok\'').all('r3b-ingestion', '%"kind":"metadata"%');
      expect(r3b).toHaveLength(1);
      const cache = db.prepare('SELECT check_fact AS v FROM op_results WHERE test = \'cache\' AND rse = \'CNAF-XCACHE\' AND check_fact LIKE \'%"kind":"cache"%\'').all() as { v: string }[];
      const outcomes = cache.map((r) => (JSON.parse(r.v) as { cache: string }).cache);
      process.stdout.write(`DAC21 cache: ${outcomes.filter((o) => o === 'hit').length} hits, ${outcomes.filter((o) => o === 'miss').length} misses\n`);
      expect(outcomes.filter((o) => o === 'miss').length).toBe(outcomes.length / 2);
      const audit = db.prepare('SELECT COUNT(*) AS n FROM op_results WHERE test = \'rse-audit\' AND outcome = \'ok\'').get() as { n: number };
      expect(audit.n).toBeGreaterThan(15 * 3);
      const pending = db.prepare('SELECT COUNT(*) AS n FROM ledger WHERE state != \'done\'').get() as { n: number };
      expect(pending.n, JSON.stringify(db.prepare('SELECT * FROM ledger WHERE state != \'done\'').all())).toBe(0);
    } finally {
      db.close();
    }
    expect(code, stdout.split('\n').filter((l) => !/^(ok|progress)\b/.test(l)).slice(-40).join('\n')).toBe(0);
    expect((await readdir(join(dir, 'reports'))).length).toBe(1);
  }, 600_000);
});
