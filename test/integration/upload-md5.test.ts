import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { checksumStream, syntheticStream } from '../../src/lake/data/index.js';
import { loadTestPlan, runTestPlan, useTestLake } from './lake-fixture.js';

/** The file DIDs a run registered, as the sandbox catalogue stored them. */
function registeredFiles(lakeDir: string, runId: string): { name: string; md5: string | null; adler32: string | null }[] {
  const db = new Database(join(lakeDir, 'catalogue.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT name, md5, adler32 FROM dids WHERE did_type = 'FILE' AND name LIKE ? ORDER BY name")
      .all(`lakeprobe.${runId}.%`) as { name: string; md5: string | null; adler32: string | null }[];
  } finally {
    db.close();
  }
}

describe('upload scenario md5 param against the sandbox lake', () => {
  const env = useTestLake('builtin');

  it.each([
    [true, /^[0-9a-f]{32}$/],
    [false, null],
  ] as const)('md5: %s registers the files with md5 %s and adler32, and every operation succeeds', async (md5, expected) => {
    const plan = await loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: IT
    tests:
      - name: upload-md5-${md5}
        scenario: upload
        auth: [x509]
        params: { files: 2, size: 200000, lifetime: 600, md5: ${md5}, cleanup: false }
`);
    const run = await runTestPlan(plan);
    expect(run.results.filter((r) => r.outcome !== 'ok').map((r) => `${r.operation}: ${r.errorMessage}`)).toEqual([]);
    expect(run.results.filter((r) => r.operation === 'upload')).toHaveLength(2);
    const files = registeredFiles(env.lake.dir, run.runId);
    expect(files).toHaveLength(2);
    for (const f of files) {
      expect(f.adler32).toMatch(/^[0-9a-f]{8}$/);
      if (expected) expect(f.md5).toMatch(expected);
      else expect(f.md5).toBeNull();
    }
  });

  it('a large file (sums from its seed in the worker) registers the sums of the bytes it sent', async () => {
    const size = 64 * 1024 * 1024;
    const plan = await loadTestPlan(env.lake, env.dir, `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: IT
    tests:
      - name: upload-large
        scenario: upload
        auth: [x509]
        params: { files: 1, size: ${size}, lifetime: 600, download: false, cleanup: false }
`);
    const run = await runTestPlan(plan);
    expect(run.results.filter((r) => r.outcome !== 'ok').map((r) => `${r.operation}: ${r.errorMessage}`)).toEqual([]);
    const [file] = registeredFiles(env.lake.dir, run.runId);
    // The same stream hashed from its bytes (the ring path), independently of the seeded one.
    const expected = await checksumStream(syntheticStream({ seed: `${run.runId}/${file!.name}`, size }));
    expect(file).toMatchObject({ adler32: expected.adler32, md5: expected.md5 });
  });
});
