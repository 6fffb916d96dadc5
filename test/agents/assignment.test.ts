import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanText } from '../../src/plan/index.js';
import { assignmentsFromSource, nothingAssigned, planForAgent } from '../../src/agents/assignment.js';
import { planContext } from '../plan/context.js';
import { agentPlanOrThrow } from '../../src/job.js';
import { EXIT, JobError } from '../../src/jobs/errors.js';

const PLAN = (experimentAgent: string, testAgent: string): string => [
  'lake: { sandbox: true }',
  'experiments:',
  '  - name: e',
  ...(experimentAgent ? [`    agent: ${experimentAgent}`] : []),
  '    tests:',
  '      - name: t1',
  '        scenario: replicate',
  ...(testAgent ? [`        agent: ${testAgent}`] : []),
  '      - name: t2',
  '        scenario: replicate',
  '  - name: f',
  '    tests:',
  '      - name: free',
  '        scenario: replicate',
  '',
].join('\n');

const load = async (text: string) => {
  const result = await loadPlanText(text, 'p.yaml', planContext());
  if (!result.ok) throw new Error(result.diagnostics.map(formatDiagnostic).join('\n'));
  return result.plan;
};
const keys = (plan: Awaited<ReturnType<typeof load>>): string[] => plan.experiments.flatMap((e) => e.tests.map((t) => `${e.name}/${t.name}`));

describe('agents in the plan', () => {
  it("gives a test its own agents, else its experiment's, and none otherwise", async () => {
    const plan = await load(PLAN('site-a', '[site-b, site-c]'));
    expect(plan.experiments[0]?.tests.map((t) => t.agents)).toEqual([['site-b', 'site-c'], ['site-a']]);
    expect(plan.experiments[1]?.tests[0]?.agents).toBeUndefined();
  });

  it('runs only the tests assigned to the agent; a test that names no agent runs only without --agent', async () => {
    const plan = await load(PLAN('site-a', 'site-b'));
    expect(keys(planForAgent(plan, 'site-a'))).toEqual(['e/t2']);
    expect(keys(planForAgent(plan, 'site-b'))).toEqual(['e/t1']);
    expect(keys(planForAgent(plan, undefined))).toEqual(['e/t1', 'e/t2', 'f/free']);
    expect(nothingAssigned(plan, 'site-a')).toBeNull();
    expect(nothingAssigned(plan, 'site-x')).toBe('no test of plan p is assigned to agent site-x (agents named: site-a, site-b)');
  });

  it('a plan that names no agent runs whole under any --agent (the name only labels the process)', async () => {
    const plan = await load(PLAN('', ''));
    expect(keys(planForAgent(plan, 'anyone'))).toEqual(['e/t1', 'e/t2', 'f/free']);
    expect(nothingAssigned(plan, 'anyone')).toBeNull();
  });

  it('refuses malformed, overlong and repeated agent names, naming line and field', async () => {
    const long = 'a'.repeat(64);
    const result = await loadPlanText(PLAN('"-bad"', `[ok, ok, "${long}", "sp ace"]`), 'p.yaml', planContext());
    expect(result.ok).toBe(false);
    const lines = result.diagnostics.map(formatDiagnostic).join('\n');
    expect(lines).toMatch(/p\.yaml:4:\d+: error: experiments\[0\]\.agent(\[0\])?: an agent name starts with a letter or digit/);
    expect(lines).toMatch(/p\.yaml:8:\d+: error: experiments\[0\]\.tests\[0\]\.agent/);
    expect(lines).toContain('at most 63 characters');
    expect(lines).toContain('lists an agent twice');
  });

  it('run and probe refuse an --agent that is malformed or assigned nothing (exit 2), and keep its tests otherwise', async () => {
    const plan = await load(PLAN('site-a', 'site-b'));
    expect(keys(agentPlanOrThrow(plan, 'site-b'))).toEqual(['e/t1']);
    for (const [agent, message] of [['site-x', 'no test of plan p is assigned to agent site-x'], ['bad name', '--agent "bad name": an agent name starts with']]) {
      let error: unknown;
      try { agentPlanOrThrow(plan, agent as string); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(JobError);
      expect((error as JobError).message).toContain(message);
      expect((error as JobError).exitCode).toBe(EXIT.invalidInput);
    }
  });

  it('reads assignments from a published plan without resolving it', () => {
    const { name, assignments } = assignmentsFromSource(`name: x\n${PLAN('site-a', 'site-b').replace('lake: { sandbox: true }\n', '')}`);
    expect(name).toBe('x');
    expect(assignments).toEqual([
      { experiment: 'e', test: 't1', agents: ['site-b'] },
      { experiment: 'e', test: 't2', agents: ['site-a'] },
      { experiment: 'f', test: 'free', agents: [] },
    ]);
  });
});
