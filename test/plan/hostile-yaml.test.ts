import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanText } from '../../src/plan/index.js';
import { planContext } from './context.js';

const LAKE = 'lake: { sandbox: true }\n';
const TESTS = 'experiments: [{ name: e, tests: [{ name: t, scenario: replicate }] }]\n';

async function problems(text: string): Promise<string[]> {
  const result = await loadPlanText(text, 'p.yaml', planContext());
  expect(result.ok).toBe(false);
  return result.diagnostics.map(formatDiagnostic);
}

describe('hostile plan YAML: one clear error at file:line, no stack trace, no library wording', () => {
  it('2,000 nested flow mappings in params', async () => {
    const params = `${'{a: '.repeat(2000)}1${'}'.repeat(2000)}`;
    const found = await problems(`${LAKE}experiments: [{ name: e, tests: [{ name: t, scenario: replicate, params: ${params} }] }]\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^p\.yaml:2:\d+: error: YAML: nested too deeply \(more than 64 levels/);
  });

  it('100 nested block mappings in params, at the path where the limit is passed', async () => {
    const nested = Array.from({ length: 100 }, (_, i) => `${'  '.repeat(i + 5)}k${i}:`).join('\n');
    const text = `${LAKE}experiments:\n  - name: e\n    tests:\n      - name: t\n        scenario: replicate\n        params:\n${nested} 1\n`;
    const found = await problems(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^p\.yaml:\d+:\d+: error: experiments\[0\]\.tests\[0\]\.params\.k0\.k1\..*: nested too deeply/);
  });

  it('a .nan where a number belongs, in plain words', async () => {
    const found = await problems(`${LAKE}experiments: [{ name: e, tests: [{ name: t, scenario: replicate, success: { max_failure_rate: .nan } }] }]\n`);
    expect(found).toEqual([expect.stringMatching(/^p\.yaml:2:\d+: error: experiments\[0\]\.tests\[0\]\.success\.max_failure_rate: expected number, got \.nan \(not a number\)$/)]);
  });

  it('an alias bomb', async () => {
    const rows = ['a: &a [x,x,x,x,x,x,x,x,x]'];
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd']]) rows.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    const found = await problems(`${LAKE}${rows.join('\n')}\n${TESTS}`);
    expect(found).toEqual(['p.yaml:1:1: error: YAML: aliases expand too far (more than 100 alias uses): write the values out']);
  });

  it('a duplicate key, named', async () => {
    expect(await problems(`${LAKE}name: a\nname: b\n${TESTS}`)).toEqual([
      'p.yaml:3:1: error: YAML: duplicate key "name": each key may appear once in a mapping',
    ]);
  });

  it('an unclosed quote, where it opens and alone', async () => {
    expect(await problems(`${LAKE}name: "abc\n${TESTS}`)).toEqual(['p.yaml:2:7: error: YAML: quoted string never closed: add the closing quote']);
  });

  it('a tab in the indentation, first and alone', async () => {
    expect(await problems(`lake:\n\tsandbox: true\n${TESTS}`)).toEqual(['p.yaml:2:1: error: YAML: tab used for indentation: indent with spaces']);
  });

  it('a second document, without naming library calls', async () => {
    const found = await problems(`${LAKE}${TESTS}---\nx: 1\n`);
    expect(found).toEqual(['p.yaml:3:1: error: YAML: a plan is one YAML document: remove the "---" and what follows, or make it a second plan file']);
    expect(found.join('\n')).not.toMatch(/parseAllDocuments|YAML\.\w+\(/);
  });

  it('cron expressions the scheduler (node-cron) refuses, at the cron field', async () => {
    const cron = async (expression: string): Promise<string[]> =>
      problems(`${LAKE}experiments: [{ name: e, tests: [{ name: t, scenario: replicate, schedule: { cron: "${expression}" } }] }]\n`);
    expect(await cron('0 0 30 2 *')).toEqual([
      'p.yaml:2:78: error: experiments[0].tests[0].schedule.cron: "0 0 30 2 *" names a date that never comes, so the test would never run (node-cron: 30 2 is an impossible day of month for the given month)',
    ]);
    expect(await cron('5/15 * * * *')).toEqual([
      'p.yaml:2:78: error: experiments[0].tests[0].schedule.cron: the scheduler (node-cron) refuses "5/15 * * * *": 5/15 is a invalid expression for minute',
    ]);
  });
});
