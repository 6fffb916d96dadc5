// CMS_Cache: XRootD's proxy file cache (XCache, libXrdPss + libXrdPfc) as a sandbox cache RSE in front of
// an XRootD RSE, read through by the cache-read scenario. The scenario's hits and misses come from the
// cache's own summary statistics (XrdPss's count of files opened at the origin, kXR_query stats); this
// test recounts them from the cache's on-disk accounting instead: every read is an access record in the
// file's .cinfo (xrdpfc_print), with the bytes it had to fetch from the origin (B_miss).
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { buildChallengeReport } from '../../src/report/challenge.js';
import { MetricsSink } from '../../src/metrics/registry.js';
import { loadTestPlan, runTestPlan, startTestLake, type TestLake } from './lake-fixture.js';

const run = promisify(execFile);
const FILES = 2;
const READS = 3;

const PLAN = `
lake: { sandbox: true }
experiments:
  - name: CMS
    tests:
      - name: cache
        scenario: cache-read
        auth: [x509]
        params: { rse: SITE-ORIGIN, cache: SITE-XCACHE, files: ${FILES}, size: 300000, reads: ${READS} }
`;

/**
 * The cache's own account of each cached file (its .cinfo, read by xrdpfc_print): one access record
 * per read, and the record that created the cache copy — attached in the second the .cinfo was
 * created — is the read that had to fetch from the origin (a miss); the later ones found it cached.
 * (B_miss cannot tell: blocks the first read waits for while prefetch fetches them count as hits.)
 */
async function cinfoReads(root: string): Promise<Map<string, ('hit' | 'miss')[]>> {
  const out = new Map<string, ('hit' | 'miss')[]>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.name.endsWith('.cinfo')) {
        const { stdout } = await run('xrdpfc_print', [path]);
        const created = /created \w+ \w+ +\d+ (\d\d):(\d\d):(\d\d)/.exec(stdout)?.slice(1).join('');
        // "Record Attach Detach Duration N_ios N_mrg B_hit[kB] B_miss[kB] B_bypass[kB]" rows; Attach is YYMMDD:HHMMSS.
        const attached = stdout.split('\n').map((l) => /^\d+\s+\d{6}:(\d{6})\s/.exec(l.trim())?.[1]).filter((t): t is string => !!t);
        out.set(e.name.replace(/\.cinfo$/, ''), attached.map((t, i) => (i === 0 && t === created ? 'miss' : 'hit')));
      }
    }
  };
  await walk(root);
  return out;
}

describe('reads through an XCache RSE: hits and misses as the cache counts them', () => {
  let env: TestLake;
  let results: OpResult[];
  let accesses: Map<string, ('hit' | 'miss')[]>;

  beforeAll(async () => {
    env = await startTestLake('xrootd', {
      rses: [
        { name: 'SITE-ORIGIN', deterministic: true, attributes: { QOS: 'FAST' } },
        { name: 'SITE-XCACHE', deterministic: true, attributes: {}, cache_of: 'SITE-ORIGIN' },
      ],
    });
    results = (await runTestPlan(await loadTestPlan(env.lake, env.dir, PLAN))).results;
    const cache = env.lake.rses.find((r) => r.name === 'SITE-XCACHE');
    accesses = await cinfoReads(cache?.root ?? '');
  }, 180_000);
  afterAll(() => env?.stop());

  it('reads every file through the cache and gets what was written, nothing failed', () => {
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
    const reads = results.filter((r) => r.operation === 'download');
    expect(reads).toHaveLength(FILES * READS);
    expect(new Set(reads.map((r) => `${r.rse} ${r.protocol} ${r.bytes}`))).toEqual(new Set(['SITE-XCACHE root 300000']));
  });

  it('records one miss then hits per file, as the cache\'s on-disk access records recount them', () => {
    const facts = results.filter((r) => r.check?.kind === 'cache');
    expect(facts).toHaveLength(FILES * READS);
    // Independent recount from the cache's on-disk access records.
    expect(accesses.size).toBe(FILES);
    for (const [name, reads] of accesses) {
      expect(reads, name).toEqual(['miss', ...Array<string>(READS - 1).fill('hit')]);
      const recorded = facts.filter((r) => r.check?.target.endsWith(`:${name}`)).map((r) => r.check?.cache);
      expect(recorded, name).toEqual(reads);
    }
    expect(facts.filter((r) => r.check?.cache === 'miss')).toHaveLength(FILES);
  });

  it('shows them in the report and as lakeprobe_cache_reads_total', async () => {
    const report = buildChallengeReport({ name: 'cache', results, runs: [], plans: new Map() });
    expect(report.experiments[0]?.cache).toEqual([{ test: 'cache', rse: 'SITE-XCACHE', reads: FILES * READS, hits: FILES * (READS - 1), misses: FILES }]);
    const sink = new MetricsSink();
    for (const r of results) sink.onResult(r);
    const text = await sink.metrics();
    expect(text).toContain(`lakeprobe_cache_reads_total{experiment="CMS",test="cache",rse="SITE-XCACHE",result="hit"} ${FILES * (READS - 1)}`);
    expect(text).toContain(`lakeprobe_cache_reads_total{experiment="CMS",test="cache",rse="SITE-XCACHE",result="miss"} ${FILES}`);
  });
});
