// The run's exit code and summary read the results' severity: a critical result (here a
// real embargo violation on the sandbox) gives exit 4 and is named before the verdict.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type JobResult } from '../../src/job.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { runExitCode, summaryLines } from '../../src/cli/commands/run.js';
import { startTestLake } from '../integration/lake-fixture.js';

describe('run exit code and summary by severity', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let dir: string;
  beforeAll(async () => {
    env = await startTestLake('builtin');
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-exit-'));
  });
  afterEach(async () => {
    env.lake.faults.clear();
    await env.lake.faults.settled();
  });
  afterAll(async () => {
    await env.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (name: string, test: string): Promise<JobResult> => {
    const planFile = join(dir, `${name}.yaml`);
    await writeFile(planFile, `
name: ${name}
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
experiments:
  - name: E
    tests:
      - ${test}
`);
    return runJob({
      planFile, env: env.lake.env, uid: 4_000_000, registry: builtinScenarios(),
      dbPath: join(dir, `${name}.db`), outDir: join(dir, `${name}-reports`), reporters: [], log: () => {},
    });
  };

  it('exits 4 on an embargo violation and lists it before the verdict', async () => {
    env.lake.faults.add({ kind: 'embargo_open', rse: 'SANDBOX-FAST' });
    await env.lake.faults.settled();
    const outsider = `{ outsider: { proxy: ${env.lake.pki.users.nonmember.proxyPath} } }`;
    const result = await run('embargo', `{ name: embargo, scenario: embargo, auth: [x509], params: ${outsider} }`);

    // The open area lets the outsider both read and list it: each is a violation of its own.
    const criticals = result.criticals;
    expect(criticals.length).toBeGreaterThan(0);
    expect(new Set(criticals.map((r) => [r.rse, r.errorClass, r.severity].join()))).toEqual(new Set(['SANDBOX-FAST,embargo_violation,critical']));
    expect(runExitCode(result)).toBe(EXIT.critical);
    expect(EXIT.critical).toBe(4);
    const lines = summaryLines(result).filter(Boolean);
    expect(lines[0]).toBe(`CRITICAL: ${criticals.length} critical result${criticals.length === 1 ? '' : 's'}`);
    expect(lines[1]).toMatch(/^ {2}embargo_violation: E embargo access SANDBOX-FAST x509 nonmember-x509: .*could read embargoed/);
    expect(lines[1 + criticals.length]).toMatch(/— CRITICAL$/);
  });

  it('exits 1 when a test fails without a critical result, and names no criticals', async () => {
    env.lake.faults.add({ kind: 'rse_down', rse: 'SANDBOX-SAFE' });
    await env.lake.faults.settled();
    const result = await run('down', '{ name: up, scenario: upload, auth: [x509], params: { size: 2048 }, success: { max_failure_rate: 0 } }');

    expect(result.summary.failed).toBeGreaterThan(0);
    expect(result.criticals).toEqual([]);
    expect(runExitCode(result)).toBe(EXIT.testsFailed);
    const lines = summaryLines(result).filter(Boolean);
    expect(lines.some((l) => l.includes('CRITICAL'))).toBe(false);
    // The console states the report's verdict, and why: uploads to SANDBOX-FAST moved data, those to SANDBOX-SAFE failed.
    expect(result.report.verdict).toBe('Partially');
    expect(lines[0]).toMatch(/— Partially$/);
    expect(lines[1]).toMatch(/^ {2}E\/up: Partially: no operation failed: \d+ of \d+ failed/);
  });

  it('exits 0 on a clean run', async () => {
    const result = await run('clean', '{ name: up, scenario: upload, auth: [token], params: { size: 1024 } }');
    expect(result.passed).toBe(true);
    expect(runExitCode(result)).toBe(EXIT.ok);
  });
});
