// Which tests an agent runs. Every agent reads the same plan; a test names its agents
// (`agent:`, or its experiment's default). A process started without --agent is the whole
// challenge and runs every test; one started with --agent NAME runs only the tests
// assigned to NAME, so a test that names no agent runs only in a process without --agent.
import { parse } from 'yaml';
import type { ResolvedPlan } from '../plan/index.js';
import { agentsSchema } from '../plan/agent-schema.js';
import { MAX_EXPERIMENTS, MAX_TESTS_PER_EXPERIMENT } from '../plan/bounds.js';

export interface TestAssignment {
  experiment: string;
  test: string;
  /** Empty: the test names no agent. */
  agents: string[];
}

export function assignments(plan: ResolvedPlan): TestAssignment[] {
  return plan.experiments.flatMap((e) => e.tests.map((t) => ({ experiment: e.name, test: t.name, agents: t.agents ?? [] })));
}

/**
 * The plan reduced to the tests `agent` runs: every test when no agent is given, or when the
 * plan names no agent at all (then --agent only names the process).
 */
export function planForAgent(plan: ResolvedPlan, agent: string | undefined): ResolvedPlan {
  if (agent === undefined || agentNames(plan).length === 0) return plan;
  return {
    ...plan,
    experiments: plan.experiments
      .map((e) => ({ ...e, tests: e.tests.filter((t) => t.agents?.includes(agent)) }))
      .filter((e) => e.tests.length > 0),
  };
}

/** Every agent name the plan assigns a test to, sorted. */
export function agentNames(plan: ResolvedPlan): string[] {
  return [...new Set(assignments(plan).flatMap((a) => a.agents))].sort();
}

/** Why `agent` has nothing to run in this plan, or null when it has tests. */
export function nothingAssigned(plan: ResolvedPlan, agent: string): string | null {
  const named = agentNames(plan);
  if (named.length === 0 || named.includes(agent)) return null;
  return `no test of plan ${plan.name} is assigned to agent ${agent} (agents named: ${named.slice(0, 20).join(', ')})`;
}

/**
 * Where each test stands given the agents that are up: run by a live agent, assigned only to
 * agents that are down (or never started), or assigned to no agent at all.
 */
export type Coverage = 'covered' | 'no_running_agent' | 'unassigned';

export function coverage(a: TestAssignment, liveAgents: ReadonlySet<string>): Coverage {
  if (a.agents.length === 0) return 'unassigned';
  return a.agents.some((n) => liveAgents.has(n)) ? 'covered' : 'no_running_agent';
}

/**
 * Assignments read straight from a plan's YAML source (the coordinator's view of a published
 * plan: it need not hold the agents' credentials to know who runs what). Malformed parts are left out.
 */
export function assignmentsFromSource(source: string): { name: string; assignments: TestAssignment[] } {
  const doc = (parse(source, { maxAliasCount: 100 }) ?? {}) as { name?: unknown; experiments?: unknown };
  const out: TestAssignment[] = [];
  const agentsOf = (v: unknown): string[] | undefined => {
    const parsed = agentsSchema.safeParse(v);
    return parsed.success ? parsed.data : undefined;
  };
  for (const e of Array.isArray(doc.experiments) ? (doc.experiments as Record<string, unknown>[]).slice(0, MAX_EXPERIMENTS) : []) {
    const tests = Array.isArray(e?.tests) ? (e.tests as Record<string, unknown>[]).slice(0, MAX_TESTS_PER_EXPERIMENT) : [];
    for (const t of tests) {
      if (typeof e.name !== 'string' || typeof t?.name !== 'string') continue;
      out.push({ experiment: e.name, test: t.name, agents: agentsOf(t.agent) ?? agentsOf(e.agent) ?? [] });
    }
  }
  return { name: typeof doc.name === 'string' ? doc.name : 'plan', assignments: out };
}
