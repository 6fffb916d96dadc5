import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenarioRegistry } from '../../src/engine/scenario.js';
import { loadUserScenario, normaliseScenario, registerUserScenarios, userScenarioRefs, UserScenarioError } from '../../src/plan/user-scenarios.js';
import { typecheckUserScenarios } from '../../src/plan/typecheck.js';

const FIXTURES = resolve('test/fixtures/user-scenarios');
const planNaming = (ref: string): string => `experiments:\n  - name: E\n    tests:\n      - { name: t, scenario: ${ref} }\n      - { name: u, scenario: upload }\n`;

describe('user scenarios', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-user-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds the TypeScript modules a plan names and nothing else', () => {
    expect(userScenarioRefs(planNaming('./a.ts') + '      - { name: v, scenario: ./a.ts }\n')).toEqual(['./a.ts']);
    expect(userScenarioRefs('experiments: 3')).toEqual([]);
  });

  it('loads the worked example and registers it under the name the plan uses', async () => {
    const plan = join(dir, 'plan.yaml');
    await writeFile(plan, planNaming(resolve('scenarios/examples/rse-roundtrip.ts')));
    const registry = new ScenarioRegistry();
    await registerUserScenarios(registry, plan);
    const scenario = registry.get(resolve('scenarios/examples/rse-roundtrip.ts'));
    expect(scenario?.description).toMatch(/read it back/);
    expect(scenario?.params.safeParse({}).success).toBe(true);
    expect(scenario?.params.safeParse({ size: -1 }).success).toBe(false);
  });

  it('normalises a plain default-exported object and a doubled default', async () => {
    const plain = await loadUserScenario(join(FIXTURES, 'plain-object.ts'));
    expect([plain.name, plain.description, typeof plain.run]).toEqual(['plain', '', 'function']);
    expect(normaliseScenario({ default: { default: plain } }, 'x.ts').name).toBe('plain');
  });

  it('refuses a module without run(), naming the file and what is missing', async () => {
    const error = await loadUserScenario(join(FIXTURES, 'no-run.ts')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserScenarioError);
    expect((error as Error).message).toBe(`${join(FIXTURES, 'no-run.ts')}: the default export must be defineScenario({ name, params, run }); missing: run(ctx, params)`);
  });

  it('type-checks user scenarios: the example is clean, a wrong operation is reported at its line', async () => {
    const good = join(dir, 'good.yaml');
    await writeFile(good, planNaming(resolve('scenarios/examples/rse-roundtrip.ts')));
    // Written for this test only (the project's own type-check would refuse it), inside the
    // project so that its imports resolve as a user's would against an installed lakeprobe.
    const scratch = await mkdtemp(join(FIXTURES, '.scratch-'));
    const broken = join(scratch, 'type-error.ts');
    await writeFile(broken, [
      "import { z } from 'zod';",
      `import { defineScenario } from '${resolve('src/engine/scenario.js')}';`,
      '',
      'export default defineScenario({',
      "  name: 'broken',",
      "  description: 'does not type-check',",
      '  params: z.object({}).strict(),',
      '  async run(ctx) {',
      '    // no operation is called teleport',
      "    await ctx.op({ operation: 'teleport' }, async () => undefined);",
      '  },',
      '});',
      '',
    ].join('\n'));
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, planNaming(broken));
    expect(await typecheckUserScenarios(good)).toEqual([]);
    const problems = await typecheckUserScenarios(bad);
    expect(problems).toHaveLength(1);
    await rm(scratch, { recursive: true, force: true });
    expect(problems[0]).toMatch(new RegExp(`^${broken}:10:20: error TS2322: Type '"teleport"' is not assignable`));
  }, 60_000);
});
