// A criterion its test can never judge is refused at validate: a fact the scenario does not
// record (deleted at origin of an upload), replicas on an expression none of the test's rules asks for.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlanOrThrow } from '../../src/job.js';
import { builtinScenarios } from '../../src/scenarios.js';

describe('criteria checked against the scenario and the rules of their test', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'lakeprobe-criteria-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const validate = async (tests: string): Promise<string> => {
    const file = join(dir, 'plan.yaml');
    await writeFile(file, `lake: { sandbox: true }\nrses: { names: [A, B] }\nexperiments:\n  - name: E\n    tests:\n${tests}`);
    try {
      await loadPlanOrThrow({ planFile: file, env: {}, uid: 4_000_001, registry: builtinScenarios() });
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };

  it('refuses deleted_at_origin and discoverable for an upload, which records neither', async () => {
    const text = await validate(`      - name: up
        scenario: upload
        success: { deleted_at_origin: true, discoverable: true }
`);
    expect(text).toMatch(/plan\.yaml:8:\d+: error: experiments\[0\]\.tests\[0\]\.success\.deleted_at_origin: scenario upload with these params records no deleted at origin check.*lifecycle, or replicate with move: true/);
    expect(text).toMatch(/success\.discoverable: scenario upload with these params records no discoverable check/);
  });

  it('takes deleted_at_origin where the test deletes at the origin (replicate with move), and refuses it without', async () => {
    expect(await validate('      - { name: mv, scenario: replicate, params: { move: true }, success: { deleted_at_origin: true } }\n')).toBe('');
    expect(await validate('      - { name: mv, scenario: replicate, success: { deleted_at_origin: true } }\n')).toContain('success.deleted_at_origin');
  });

  it('refuses replicas on an expression the test never asks for, naming the rules it has', async () => {
    const text = await validate(`      - name: multi
        scenario: replication
        params: { rules: [{ expression: QOS=SAFE, copies: 2 }] }
        success:
          replicas: [{ expression: QOS=SAFE, copies: 1 }, { expression: QOS=CHEAP-ANALYSIS }]
`);
    expect(text).toMatch(/plan\.yaml:10:\d+: error: experiments\[0\]\.tests\[0\]\.success\.replicas\[1\]\.expression: no rule of the test asks for "QOS=CHEAP-ANALYSIS" \(its rules: QOS=SAFE\)/);
    expect(text).not.toContain('replicas[0]');
  });
});
