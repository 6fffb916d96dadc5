// Full-scale rule timeouts and source lifetimes follow from the volume and the link: a rule
// of 2 TB over a 10 Gb/s link needs 1600 s, so a 600 s timeout is refused at its line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlanOrThrow } from '../../src/job.js';
import { JobError } from '../../src/jobs/errors.js';
import { builtinScenarios } from '../../src/scenarios.js';

const plan = (params: string, limits = ''): string => `lake: { sandbox: true }
${limits}experiments:
  - name: E
    tests:
      - name: big
        scenario: replication
        params: { source: SANDBOX-FAST, files: 10, size: 200GB, rules: [{ expression: QOS=SAFE }], ${params} }
`;

describe('rule timeouts against the volume they wait for', () => {
  let dir = '';
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'lakeprobe-transfer-needs-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const problems = async (yaml: string): Promise<string> => {
    const planFile = join(dir, `p${Math.random().toString(16).slice(2)}.yaml`);
    await writeFile(planFile, yaml);
    try {
      await loadPlanOrThrow({ planFile, env: {}, uid: 4_000_000, registry: builtinScenarios() });
      return '';
    } catch (e) {
      if (!(e instanceof JobError)) throw e;
      expect(e.exitCode).toBe(2);
      return e.message;
    }
  };

  it('refuses a timeout and a source lifetime shorter than 2 TB needs over 10 Gb/s (1600 s), naming the field', async () => {
    const message = await problems(plan('timeout_seconds: 600, lifetime: 1000'));
    // 10 × 200 GB = 2e12 bytes = 1.6e13 bits; at 1e10 bit/s: 1600 s.
    expect(message).toMatch(/:7:\d+: error: experiments\[0\]\.tests\[0\]\.params\.timeout_seconds: 600 s is shorter than the 1600 s/);
    expect(message).toMatch(/params\.lifetime: 1000 s is shorter than the 1600 s .*10 Gb\/s link/);
  });

  it('accepts bounds the volume fits in, and counts on the plan\'s own link rate', async () => {
    expect(await problems(plan('timeout_seconds: 1600, lifetime: 3600'))).toBe('');
    // 100 Gb/s: 160 s suffice.
    expect(await problems(plan('timeout_seconds: 600, lifetime: 600', 'limits: { link_gbit: 100 }\n'))).toBe('');
    expect(await problems(plan('timeout_seconds: 600, lifetime: 600', 'limits: { link_gbit: 1 }\n'))).toMatch(/16000 s/);
  });

  it('the DAC21 plan validates at full scale with no bound shorter than its own volume needs', async () => {
    const { warnings } = await loadPlanOrThrow({ planFile: resolve('probes/dac21.yaml'), env: {}, uid: 4_000_000, registry: builtinScenarios() });
    expect(warnings.filter((w) => /shorter than/.test(w))).toEqual([]);
  });
});
