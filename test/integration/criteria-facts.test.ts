// The logbook's criteria judged from what the scenarios really did on the sandbox: metadata set
// and the datasets found by the client's search (Rucio: lib/rucio/web/rest/flaskapi/v1/dids.py
// Meta.post and Search.get), the origin emptied after replication (a source rule cut to one second:
// lib/rucio/core/rule.py update_rule, then the judge-cleaner and the reaper), replicas with their
// copies on the asked expression, and the scale factor beside each scaled target.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type JobResult } from '../../src/job.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { startTestLake } from './lake-fixture.js';

const FAST = 'poll_seconds: 0.2, timeout_seconds: 60';

describe('criteria that need facts, recorded by the scenarios that do the work', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let dir: string;
  let result: JobResult;

  beforeAll(async () => {
    env = await startTestLake('builtin');
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-facts-'));
    const planFile = join(dir, 'facts.yaml');
    await writeFile(planFile, `
name: facts
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST, SANDBOX-SAFE] }
experiments:
  - name: R3B
    tests:
      - name: ing
        scenario: ingestion
        auth: [token]
        rses: { names: [SANDBOX-NONDET] }
        params: { files: 4, size: 7000, datasets: 2, metadata: { datatype: RAW, run_number: 42 }, rule: { expression: SANDBOX-SAFE }, ${FAST} }
        success: { max_failure_rate: 0, metadata: true, discoverable: true, replicas: [{ expression: SANDBOX-SAFE }], min_files: 4 }
      - name: rep
        scenario: replication
        auth: [token]
        params: { source: SANDBOX-FAST, files: 2, size: 5000, metadata: { project: r3b, datatype: SIM }, rules: [{ expression: SANDBOX-SAFE }], ${FAST} }
        success: { max_failure_rate: 0, metadata: true, discoverable: true, replicas: [{ expression: SANDBOX-SAFE }] }
      - name: lc
        scenario: lifecycle
        auth: [token]
        params: { mode: delete_origin, files: 4, size: 4096, destination: { expression: SANDBOX-SAFE }, ${FAST}, grace_seconds: 60 }
        success: { max_failure_rate: 0, deleted_at_origin: true, replicas: [{ expression: SANDBOX-SAFE }], max_rule_seconds: 120, min_files: 4 }
`);
    result = await runJob({
      planFile, env: env.lake.env, uid: 4_000_003, registry: builtinScenarios(), scale: 0.5, report: false,
      dbPath: join(dir, 'facts.db'), outDir: join(dir, 'reports'), reporters: [], log: () => {},
    });
  }, 240_000);
  afterAll(async () => {
    await env.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const test = (name: string) => result.report.experiments[0]?.tests.find((t) => t.test === name);

  it('sets metadata on every dataset, reads it back, and finds them all by the client\'s search', () => {
    const t = test('ing');
    const byText = Object.fromEntries((t?.criteria ?? []).map((c) => [c.text, c]));
    expect(byText['metadata set and read back']).toMatchObject({ status: 'met', actual: '1 of 1 checks held' });
    // The container listing (download by container) and the metadata search: two discoverable checks.
    expect(byText['discoverable by the client\'s listing']).toMatchObject({ status: 'met', actual: '2 of 2 checks held' });
    expect(byText['1 copy on SANDBOX-SAFE']).toMatchObject({ status: 'met' });
    // --scale 0.5: 4 files become 2, and so does the criterion, with the full-scale target beside it.
    expect(byText['2 files replicated']).toMatchObject({ status: 'met', fullScale: '4 files replicated' });
    expect(t?.verdict).toBe('Completed');
  });

  it('sets metadata on the replicated dataset and finds it by the client\'s metadata search (R3B)', () => {
    const t = test('rep');
    const byText = Object.fromEntries((t?.criteria ?? []).map((c) => [c.text, c]));
    expect(byText['metadata set and read back']).toMatchObject({ status: 'met', actual: '1 of 1 checks held' });
    expect(byText['discoverable by the client\'s listing']).toMatchObject({ status: 'met', actual: '1 of 1 checks held' });
    expect(t?.verdict).toBe('Completed');
  });

  it('checks that the origin was emptied after replication, and every rule placed its copy in time', () => {
    const t = test('lc');
    const byText = Object.fromEntries((t?.criteria ?? []).map((c) => [c.text, c]));
    expect(byText['deleted at the origin']).toMatchObject({ status: 'met', actual: '1 of 1 checks held' });
    expect(byText['1 copy on SANDBOX-SAFE']).toMatchObject({ status: 'met', actual: '1 of 1 rule with 1 OK copy (on SANDBOX-SAFE)' });
    expect(byText['no rule stuck or replicating beyond 120 s']?.status).toBe('met');
    expect(t?.verdict).toBe('Completed');
    expect(result.report.verdict).toBe('Completed');
  });
});
