// Which agent runs a test: a test's `agent:` (one name or a list) or its experiment's
// default. Agent names become metric labels, advisory-lock owners and unit names, so
// they are short and plain.
import { z } from 'zod';

/** An agent name: a letter or digit, then letters, digits, "_", "." or "-". */
export const AGENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const MAX_AGENT_NAME_LENGTH = 63;
/** Agents one test may be assigned to. */
export const MAX_AGENTS_PER_TEST = 50;

export const agentNameSchema = z.string()
  .max(MAX_AGENT_NAME_LENGTH, { error: `an agent name has at most ${MAX_AGENT_NAME_LENGTH} characters` })
  .regex(AGENT_NAME_PATTERN, { error: 'an agent name starts with a letter or digit and holds only letters, digits, "_", "." and "-"' });

/** `agent: site-a` or `agent: [site-a, site-b]`, resolved to a list of distinct names. */
export const agentsSchema = z.preprocess(
  // One name is a list of one, so a bad name gets the name's own message.
  (v) => (typeof v === 'string' ? [v] : v),
  z.array(agentNameSchema).min(1).max(MAX_AGENTS_PER_TEST, { error: `at most ${MAX_AGENTS_PER_TEST} agents` })
    .refine((list) => new Set(list).size === list.length, { error: 'lists an agent twice' }),
);

/** The problem with an agent name given on the command line, or null. */
export function agentNameProblem(name: string): string | null {
  const parsed = agentNameSchema.safeParse(name);
  return parsed.success ? null : `--agent "${name.slice(0, 80)}": ${parsed.error.issues[0]?.message ?? 'invalid'}`;
}
