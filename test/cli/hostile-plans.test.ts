// Hostile plans through every command that reads a plan: validate, run, schedule and
// daemon each refuse the same plan with exit 2 and the plan's file:line and field (and,
// for compiler errors, the scenario file's own line), never exit 70 or a stack trace.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

async function capture(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { stderr += String(chunk); return true; });
  try {
    return { code: await main(argv), stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const SCENARIO = (body: string): string => [
  "import { z } from 'zod';",
  `import { defineScenario } from '${resolve('src/engine/scenario.js')}';`,
  body,
  '',
].join('\n');
const VALID = SCENARIO("export default defineScenario({ name: 'ok', description: 'lists RSEs', params: z.strictObject({}), async run(ctx) { await ctx.op({ operation: 'list' }, () => ctx.rucio.listRses()); } });");

/**
 * A one-test plan: the test's `scenario` key is on line 6, then `params` and `schedule`
 * (each on the next line when given).
 */
function plan(scenario: string, extra: { params?: string; schedule?: string; lake?: string } = {}): string {
  return [
    `lake: ${extra.lake ?? '{ sandbox: true }'}`,
    'experiments:',
    '  - name: E',
    '    tests:',
    '      - name: t',
    `        scenario: ${scenario}`,
    ...(extra.params ? [`        params: ${extra.params}`] : []),
    ...(extra.schedule ? [`        schedule: ${extra.schedule}`] : []),
    // Every test's RSEs are named (a plan-level default, last so the lines above keep their numbers).
    'rses: { expression: "*" }',
    '',
  ].join('\n');
}

interface Case {
  name: string;
  /** The plan file's text, and other files beside it (name → text; a `->` value makes a symbolic link). */
  text: string;
  files?: Record<string, string>;
  /** Lines the error output must contain, with {plan} and {dir} standing for the plan file and its folder. */
  expect: RegExp[];
  /** Commands that read this part of the plan (default: all four). */
  commands?: Command[];
}

type Command = 'validate' | 'run' | 'schedule' | 'daemon';
const COMMANDS: Command[] = ['validate', 'run', 'schedule', 'daemon'];
const FIELD = String.raw`experiments\[0\]\.tests\[0\]`;
const at = (line: number, field: string, message: string): RegExp => new RegExp(String.raw`^{plan}:${line}:\d+: error: ${FIELD}${field}: ${message}`, 'm');
const refused = (message: string): RegExp => at(6, String.raw`\.scenario`, `cannot use user scenario: ${message}`);

const nested = (depth: number): string => `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
const bomb = ['a: &a [x,x,x,x,x,x,x,x,x]', ...['b', 'c', 'd', 'e'].map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcd'[i]}`).join(',')}]`)];

const CASES: Case[] = [
  {
    name: '2,000 nested mappings in a plan with a user scenario',
    text: plan('./ok.ts', { params: nested(2000) }), files: { 'ok.ts': VALID },
    expect: [/^{plan}:7:\d+: error: YAML: nested too deeply \(more than 64 levels/m],
  },
  {
    name: 'an alias bomb in a plan with a user scenario',
    text: `${bomb.join('\n')}\n${plan('./ok.ts')}`, files: { 'ok.ts': VALID },
    expect: [/^{plan}:1:1: error: YAML: aliases expand too far/m],
  },
  {
    name: 'a cron day no month has (Feb 30)',
    text: plan('upload', { schedule: '{ cron: "0 0 30 2 *" }' }),
    expect: [at(7, String.raw`\.schedule\.cron`, String.raw`"0 0 30 2 \*" names a date that never comes`)],
  },
  {
    name: 'a cron step on a single value node-cron refuses',
    text: plan('upload', { schedule: '{ cron: "5/15 * * * *" }' }),
    expect: [at(7, String.raw`\.schedule\.cron`, String.raw`the scheduler \(node-cron\) refuses "5/15 \* \* \* \*"`)],
  },
  {
    name: 'a sweep size of 0 bytes',
    text: plan('longhaul-sweep', { params: '{ sizes: [0] }' }),
    expect: [at(7, String.raw`\.params\.sizes\[0\]`, 'must be more than 0 bytes')],
  },
  {
    name: 'a sweep volume of 0 bytes',
    text: plan('longhaul-sweep', { params: '{ volume: 0 }' }),
    expect: [at(7, String.raw`\.params\.volume`, 'must be more than 0 bytes')],
  },
  {
    name: 'a broken rule expression inside scenario params',
    text: plan('replication', { params: '{ rules: [{ expression: "QOS=SAFE|(" }] }' }),
    expect: [at(7, String.raw`\.params\.rules\[0\]\.expression`, 'unbalanced parentheses')],
  },
  {
    name: 'a broken QoS transition expression inside scenario params',
    text: plan('replication', { params: '{ transitions: [{ to: { expression: "QOS=FAST&&" } }] }' }),
    expect: [at(7, String.raw`\.params\.transitions\[0\]\.to\.expression`, 'not an RSE expression')],
  },
  {
    name: 'a sandbox config with a duplicate RSE',
    text: plan('upload', { lake: '{ sandbox: true, sandbox_config: lake.yaml }' }),
    files: { 'lake.yaml': 'rses:\n  - name: SITE-A\n  - name: SITE-A\n' },
    expect: [/^{dir}\/lake\.yaml:3:\d+: rses\[1\]\.name: duplicate RSE "SITE-A" \(first at rses\[0\]\)/m],
    commands: ['validate', 'run', 'daemon'],
  },
  { name: 'a missing user scenario', text: plan('./gone.ts'), expect: [refused(String.raw`{dir}/gone\.ts: file not found`)] },
  {
    name: 'a user scenario that is a directory', text: plan('./folder.ts'), files: { 'folder.ts/x': '' },
    expect: [refused(String.raw`{dir}/folder\.ts: is a directory`)],
  },
  {
    name: 'a dangling link as user scenario', text: plan('./dangling.ts'), files: { 'dangling.ts': '-> ./nowhere.ts' },
    expect: [refused(String.raw`{dir}/dangling\.ts: a symbolic link to \./nowhere\.ts, which does not exist`)],
  },
  {
    name: 'a user scenario with a syntax error', text: plan('./syntax.ts'),
    files: { 'syntax.ts': SCENARIO("export default defineScenario({ name: 'x', description: 'hostile', params: z.strictObject({}), async run() { const a = ; } });") },
    expect: [at(6, String.raw`\.scenario`, String.raw`user scenario {dir}/syntax\.ts does not compile: 1 error`), /^{dir}\/syntax\.ts:3:\d+: error: TS1109: Expression expected/m],
  },
  {
    name: 'a user scenario without a default export', text: plan('./nodefault.ts'),
    files: { 'nodefault.ts': SCENARIO("export const scenario = defineScenario({ name: 'x', description: 'hostile', params: z.strictObject({}), async run() {} });") },
    expect: [refused(String.raw`{dir}/nodefault\.ts: the default export must be defineScenario\(\{ name, params, run \}\); missing: no default export`)],
  },
  {
    name: 'a user scenario that throws when imported', text: plan('./throws.ts'),
    files: { 'throws.ts': SCENARIO("throw new Error('not today');\nexport default defineScenario({ name: 'x', description: 'hostile', params: z.strictObject({}), async run() {} });") },
    expect: [refused(String.raw`{dir}/throws\.ts: cannot load the scenario module: not today`)],
  },
  {
    name: 'a user scenario with a type error', text: plan('./typed.ts'),
    files: { 'typed.ts': SCENARIO("export default defineScenario({ name: 'x', description: 'hostile', params: z.strictObject({}), async run(ctx) { await ctx.op({ operation: 'teleport' }, async () => 1); } });") },
    expect: [at(6, String.raw`\.scenario`, String.raw`user scenario {dir}/typed\.ts does not compile`), /^{dir}\/typed\.ts:3:\d+: error: TS2322: Type '"teleport"'/m],
  },
  {
    name: 'a user scenario outside the plan folder by ../', text: plan('../outside.ts'),
    expect: [refused(String.raw`{outside} is outside the plan's folder {dir}: keep user scenarios beside the plan, or list their folder in scenario_dirs`)],
  },
  {
    name: 'a user scenario outside the plan folder by absolute path', text: plan('{outside}'),
    expect: [refused(String.raw`{outside} is outside the plan's folder`)],
  },
  {
    name: 'a user scenario linked from outside the plan folder', text: plan('./linked.ts'), files: { 'linked.ts': '-> ../outside.ts' },
    expect: [refused(String.raw`{dir}/linked\.ts \(a link to {outside}\) is outside the plan's folder`)],
  },
];

describe('hostile plans: validate, run, schedule and daemon exit 2 with file:line and field, never 70', () => {
  let root: string;
  let scratch: string;
  beforeAll(async () => {
    // Inside the project, so that a scenario's imports resolve as a user's would against an installed lakeprobe.
    root = await mkdtemp(join(resolve('test/fixtures/user-scenarios'), '.scratch-hostile-'));
    scratch = await mkdtemp(join(tmpdir(), 'lakeprobe-hostile-'));
    await writeFile(join(root, 'outside.ts'), VALID);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  const args = (command: Command, planFile: string): string[] => {
    const store = ['--db', join(scratch, 'results.db'), '--sandbox-dir', join(scratch, 'sandbox')];
    if (command === 'run') return ['run', planFile, ...store, '--out', join(scratch, 'reports')];
    if (command === 'daemon') return ['daemon', planFile, ...store, '--port', '0'];
    return [command, planFile];
  };

  CASES.forEach((c, n) => {
    it(c.name, async () => {
      const dir = join(root, `case${n}`);
      await mkdir(dir, { recursive: true });
      const outside = join(root, 'outside.ts');
      for (const [name, text] of Object.entries(c.files ?? {})) {
        await mkdir(join(dir, name, '..'), { recursive: true });
        if (text.startsWith('-> ')) await symlink(text.slice(3), join(dir, name));
        else await writeFile(join(dir, name), text);
      }
      const planFile = join(dir, 'plan.yaml');
      await writeFile(planFile, c.text.replace('{outside}', outside));
      const fill = (re: RegExp): RegExp => new RegExp(re.source.replace(/\{plan\}/g, escape(planFile)).replace(/\{dir\}/g, escape(dir))
        .replace(/\{outside\}/g, escape(outside)), re.flags);
      for (const command of c.commands ?? COMMANDS) {
        const r = await capture(args(command, planFile));
        expect(r.stderr, `${command}: ${r.stderr}`).not.toMatch(/internal error|^\s+at /m);
        expect({ command, code: r.code }).toEqual({ command, code: 2 });
        for (const re of c.expect) expect(r.stderr, command).toMatch(fill(re));
      }
    }, 120_000);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
