import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenarioRegistry } from '../../src/engine/scenario.js';
import { formatDiagnostic, loadPlanFile } from '../../src/plan/index.js';
import { loadUserScenario, normaliseScenario, userScenarioRefs, UserScenarioError } from '../../src/plan/user-scenarios.js';
import { builtinScenarios } from '../../src/scenarios.js';

const FIXTURES = resolve('test/fixtures/user-scenarios');
const planNaming = (ref: string, dirs = ''): string => `lake: { sandbox: true }\n${dirs}experiments:\n  - name: E\n    tests:\n      - { name: t, scenario: ${ref} }\n      - { name: u, scenario: upload }\n`;

/** Loads a plan with its user scenarios registered into `registry`. */
function load(plan: string, registry: ScenarioRegistry) {
  return loadPlanFile(plan, {
    env: {}, uid: 4_000_003, knownScenarios: registry.names(),
    scenarioParams: (name) => registry.get(name)?.params, registerScenario: (s) => registry.register(s),
  });
}

describe('user scenarios', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-user-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds the TypeScript modules a parsed plan names, each once at its first place, and nothing else', () => {
    const test = (name: string, scenario: string): object => ({ name, scenario });
    expect(userScenarioRefs({ experiments: [{ tests: [test('t', './a.ts'), test('u', 'upload')] }, { tests: [test('v', './a.ts')] }] }))
      .toEqual([{ ref: './a.ts', path: ['experiments', 0, 'tests', 0, 'scenario'] }]);
    expect(userScenarioRefs({ experiments: 3 })).toEqual([]);
  });

  it('loads the worked example from a folder the plan lists and registers it under the name the plan uses', async () => {
    const plan = join(dir, 'plan.yaml');
    const example = resolve('scenarios/examples/rse-roundtrip.ts');
    await writeFile(plan, planNaming(example, `scenario_dirs: [${resolve('scenarios/examples')}]\n`));
    const registry = builtinScenarios();
    const result = await load(plan, registry);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    const scenario = registry.get(example);
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
    const bad = join(scratch, 'bad.yaml');
    await writeFile(bad, planNaming('./type-error.ts'));
    const clean = await load(resolve('scenarios/examples/roundtrip.yaml'), builtinScenarios());
    expect(clean.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const problems = (await load(bad, builtinScenarios())).diagnostics.map(formatDiagnostic);
    await rm(scratch, { recursive: true, force: true });
    expect(problems).toEqual([
      `${bad}:5:20: error: experiments[0].tests[0].scenario: user scenario ${broken} does not compile: 1 error, at its line in ${broken}`,
      expect.stringMatching(new RegExp(`^${broken}:10:20: error: TS2322: Type '"teleport"' is not assignable`)),
    ]);
  }, 60_000);
});
