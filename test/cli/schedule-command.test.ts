import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

async function capture(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { stdout += String(chunk); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { stderr += String(chunk); return true; });
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('lakeprobe schedule', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'lakeprobe-schedule-cli-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('prints the next fire times with offsets and cycle values, in time order', async () => {
    const plan = join(dir, 'p.yaml');
    await writeFile(plan, `name: s
lake: { sandbox: true }
rses: { expression: "*" }
experiments:
  - name: SKAO
    tests:
      - name: sweep
        scenario: replicate
        params: { size: 1MiB }
        schedule: { cron: "0 * * * *", offset_seconds: 120, cycle: { param: size, values: [50MB, 500MB, 5GB] } }
      - name: probe
        scenario: upload
        schedule: { cron: "30 * * * *" }
      - name: manual
        scenario: upload
`);
    const r = await capture(['schedule', plan, '--count', '2', '--from', '2026-03-02T00:00:00Z']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      '2026-03-02T00:02:00.000Z  SKAO/sweep  (cron 2026-03-02T00:00:00.000Z +120s, size=50MB)',
      '2026-03-02T00:30:00.000Z  SKAO/probe',
      '2026-03-02T01:02:00.000Z  SKAO/sweep  (cron 2026-03-02T01:00:00.000Z +120s, size=500MB)',
      '2026-03-02T01:30:00.000Z  SKAO/probe',
    ]);
  });

  it('refuses a --count out of bounds and a --from that is not a time', async () => {
    const plan = join(dir, 'q.yaml');
    await writeFile(plan, 'lake: { sandbox: true }\nrses: { expression: "*" }\nexperiments: [ { name: E, tests: [ { name: t, scenario: upload } ] } ]\n');
    expect((await capture(['schedule', plan, '--count', '1000'])).stderr).toContain('--count must be between 1 and 100');
    const bad = await capture(['schedule', plan, '--from', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from: "yesterday" is not an ISO-8601 time');
    expect((await capture(['schedule', plan])).stdout).toContain('no test of the plan has a schedule');
  });
});
