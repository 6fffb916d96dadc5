// A test that needs RSEs names them (or an expression, or the plan names a default):
// validate never lets a run fall back to the lake's "first RSE" alphabetically.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlanOrThrow } from '../../src/job.js';
import { JobError } from '../../src/jobs/errors.js';
import { builtinScenarios } from '../../src/scenarios.js';

const test = (body: string): string => `lake: { sandbox: true }
experiments:
  - name: E
    tests:
      - name: t
${body.split('\n').map((l) => `        ${l}`).join('\n')}
`;

describe('no implicit RSE choice', () => {
  let dir = '';
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'lakeprobe-rse-choice-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const load = async (yaml: string): Promise<{ ok: true } | { ok: false; code: number; message: string }> => {
    const planFile = join(dir, `p${Math.random().toString(16).slice(2)}.yaml`);
    await writeFile(planFile, yaml);
    try {
      await loadPlanOrThrow({ planFile, env: {}, uid: 4_000_000, registry: builtinScenarios() });
      return { ok: true };
    } catch (e) {
      if (!(e instanceof JobError)) throw e;
      return { ok: false, code: e.exitCode, message: e.message };
    }
  };

  it('refuses a test whose scenario takes the selection when neither it nor the plan names RSEs, at its line', async () => {
    const r = await load(test('scenario: reprocess\nauth: [x509]\nparams: { input_files: 1, input_size: 1MB, runs: 1, output_size: 1MB }'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe(2);
    expect(r.message).toMatch(/p[0-9a-f]+\.yaml:5:\d+: error: experiments\[0\]\.tests\[0\]\.rses: scenario "reprocess" takes its RSEs/);
    expect(r.message).toContain('"first RSE" is never chosen');
  });

  it('refuses a replication without a source and without RSEs; accepts it with a source in its params', async () => {
    const without = await load(test('scenario: replication\nparams: { files: 1, size: 1MB, rules: [{ expression: QOS=SAFE }] }'));
    expect(without.ok).toBe(false);
    const named = await load(test('scenario: replication\nparams: { source: SANDBOX-FAST, files: 1, size: 1MB, rules: [{ expression: QOS=SAFE }] }'));
    expect(named).toEqual({ ok: true });
  });

  it('accepts the RSEs named on the test, by an expression, or as a plan-level default', async () => {
    const params = 'params: { input_files: 1, input_size: 1MB, runs: 1, output_size: 1MB }';
    expect(await load(test(`scenario: reprocess\nrses: { names: [SANDBOX-FAST] }\n${params}`))).toEqual({ ok: true });
    expect(await load(test(`scenario: reprocess\nrses: { expression: QOS=FAST }\n${params}`))).toEqual({ ok: true });
    expect(await load(`rses: { names: [SANDBOX-SAFE] }\n${test(`scenario: reprocess\n${params}`)}`)).toEqual({ ok: true });
  });
});
