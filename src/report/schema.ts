// The report model, as a zod schema: the types the builders fill in, the JSON writer's output
// and its documented JSON Schema (docs/report.schema.json: generated from this file, checked for
// drift by test/report/json-schema.test.ts, which rewrites it with LAKEPROBE_WRITE_SCHEMA=1) come from here.
import { z } from 'zod';
import { SEVERITIES } from '../engine/op-result.js';

const count = z.int().min(0);
const share = z.number().min(0).max(1);
const time = z.string().describe('ISO-8601 time, or "" when nothing was recorded');

export const VERDICTS = ['Completed', 'Partially', 'Failed', 'Not verified', 'Interrupted', 'Not run'] as const;
export const verdictSchema = z.enum(VERDICTS).describe(
  'Completed: every success criterion met and no critical result. Partially: a criterion missed, but data moved. '
  + 'Failed: a critical result, or operations failed and nothing succeeded beyond logins and listings (a replication test: no replication succeeded). '
  + 'Not verified: nothing could be checked (every check inconclusive, or no data moved where data was the point, with nothing failing). '
  + 'Interrupted: a run of the test was killed before it finished. Not run: nothing recorded.');

export const criterionSchema = z.object({
  text: z.string().describe('the criterion as the plan states it, e.g. "≥ 99 % of transfers succeeded"'),
  met: z.boolean(),
  status: z.enum(['met', 'missed', 'inconclusive']).describe('inconclusive: nothing was recorded that could judge it'),
  actual: z.string().describe('what was measured'),
  implicit: z.boolean().describe('true for the default criterion of a test without one (no operation failed)'),
  fullScale: z.string().describe('under --scale, the criterion as the plan states it at full scale; "" when the run was not scaled or the criterion does not scale'),
});

export const testReportSchema = z.object({
  experiment: z.string(), test: z.string(), scenario: z.string(), description: z.string(),
  auth: z.array(z.string()), params: z.string().describe('the scenario params as JSON'),
  qos: z.string().describe('the rules the test makes (expression, copies, lifetime), and its RSE expression when it has one; "" when neither'),
  rules: z.array(z.object({ expression: z.string(), copies: count, lifetimeSeconds: count.describe('0 when the params give none') }))
    .describe('the rules the test\'s params ask for'),
  rseSelection: z.string().describe('the RSE names of the test (comma-separated), or its RSE expression'),
  runs: z.array(z.string()), operations: count, failures: count, criticals: count,
  transfers: count.describe('upload, replicate and download operations'), transfersOk: count,
  files: count.describe('file copies that reached their destination, each once (README "How figures are counted"): replicated, once per destination (a test that replicates), or uploaded; a rule-level result is never a file'), bytes: count,
  dataRateMBps: z.number().min(0).describe('the data rate achieved: bytes of those files / wall time from the test\'s first to its last operation, in MB (10^6 bytes) per second; summed over runs'),
  rses: z.array(z.string()), links: z.array(z.string()).describe('source→destination pairs replicated over'),
  firstAt: time, lastAt: time, p95Ms: z.number().min(0),
  criteria: z.array(criterionSchema), verdict: verdictSchema, reasons: z.array(z.string()),
  agentStatus: z.string().describe('when agents ran the challenge and none that runs this test is running: "<agent>: agent down since <time>" for each one down, else "no running agent (…)"; "" otherwise'),
  topErrors: z.array(z.object({
    errorClass: z.string(), count, example: z.string(),
    where: z.string().describe('the RSEs (or source→destination links) the class hit, comma-separated; "" for catalogue-only failures'),
  })).describe('the test\'s most frequent error classes (at most 3)'),
});

export const OBSERVATION_KINDS = [
  'embargo_violation', 'error_class', 'stuck_rule', 'credential', 'interrupted', 'slowest_link', 'fastest_link',
] as const;

export const observationSchema = z.object({
  severity: z.enum(SEVERITIES), kind: z.enum(OBSERVATION_KINDS),
  title: z.string(), detail: z.string().describe('already redacted'),
  errorClass: z.string().nullable(), count, firstAt: time, lastAt: time,
});

export const failureGroupSchema = z.object({
  errorClass: z.string(), severity: z.enum(SEVERITIES),
  message: z.string().describe('the message\'s shape, the grouping key: whole tokens naming one occurrence (URL, address, time, id, number, DID, probe name, the RSE acted on) become <url>, <address>, <time>, <id>, <n>, <did>, <name>, <rse>; words and names are kept'),
  example: z.string().describe('one real (redacted) message of the group'),
  count, firstAt: time, lastAt: time,
  where: z.array(z.object({ operation: z.string(), authMethod: z.string(), rse: z.string(), count })).describe('the places, most failures first (at most 12)'),
  places: count.describe('how many places (operation × auth method × RSE) the group struck, listed or not'),
});

export const operationRowSchema = z.object({
  rse: z.string(), operation: z.string(), authMethod: z.string(), protocol: z.string(), count, failures: count,
  failuresByClass: z.record(z.string(), count), p50Ms: z.number(), p95Ms: z.number(), bytes: count,
  throughputBps: z.number().min(0),
});

export const linkCellSchema = z.object({
  src: z.string(), dst: z.string(), attempts: count.describe('file copies tried over the link (a rule\'s own result is not a file)'), successes: count, successRate: share,
  p50Ms: z.number(), p95Ms: z.number(), bytes: count, mbPerS: z.number().min(0).describe('MB (10^6 bytes) per second: bytes of the copies that arrived over the wall time of their transfers'),
});

export const agentLinkCellSchema = z.object({ agent: z.string().describe('the agent that ran the copies') }).extend(linkCellSchema.shape);

export const linkSizeSchema = z.object({
  src: z.string(), dst: z.string(), sizeClass: z.string(), attempts: count, successes: count,
  mbPerS: z.number().min(0), best: z.boolean().describe('the size class with the highest MB/s on this link'),
});

export const replicationSchema = z.object({
  src: z.string(), dst: z.string(), attempts: count.describe('file copies (per file) or rules (per rule) tried on the link'),
  count: count.describe('those that reached OK: the percentiles are over them'), p50Ms: z.number(), p90Ms: z.number(), p95Ms: z.number(), p99Ms: z.number(), maxMs: z.number(),
});

export const inFlightSchema = z.object({
  src: z.string(), dst: z.string(), transfers: count.describe('file transfers whose request was seen on the link'),
  queuedMax: count.describe('most transfers queued at once (request created, copy not started)'),
  queuedMean: z.number().min(0).describe('transfers queued, time-weighted mean over `seconds`'),
  activeMax: count.describe('most transfers active at once (copy started, not ended)'),
  activeMean: z.number().min(0).describe('transfers active, time-weighted mean over `seconds`'),
  seconds: z.number().min(0).describe('from the link\'s first queued transfer to its last end'),
  recovered: count.describe('transfers that failed, were retried and reached their place'),
  recoveredAttempts: count.describe('the failed attempts of the recovered transfers'),
});

export const timeBucketSchema = z.object({ start: time, attempts: count, successes: count, successRate: share });

export const dailySchema = z.object({
  day: z.string().describe('UTC date, YYYY-MM-DD'), rse: z.string(), attempts: count, successes: count, successRate: share,
});

export const availabilitySchema = z.object({
  key: z.string(), slots: count.describe('time slots in which the RSE (its storage) or test was exercised, logins and listings aside'),
  upSlots: count.describe('of those, slots with at least one success'), availability: share,
});

export const agentAvailabilitySchema = z.object({
  agent: z.string(), rse: z.string().describe('the RSE as reached from the agent\'s site; "" for the agent\'s row over all its RSEs'),
  slots: count.describe('time slots in which the agent exercised the RSE\'s storage (any RSE\'s for its row over all), logins and listings aside'),
  upSlots: count.describe('of those, slots with at least one success'), availability: share,
});

export const authCellSchema = z.object({
  test: z.string(), authMethod: z.string(), rse: z.string(), operation: z.string(), attempts: count, failures: count,
  errorClasses: z.array(z.string()),
});

export const authFailureSchema = z.object({
  test: z.string(), authMethod: z.string(), attempts: count, failures: count, errorClasses: z.array(z.string()),
  loggedIn: z.boolean().describe('false when no login of this method succeeded in the test'),
});

export const embargoCellSchema = z.object({
  identity: z.string(), operation: z.string(), accessPath: z.string(), rse: z.string(),
  attempts: count, ok: count, violations: count, otherFailures: count,
});

export const cacheCellSchema = z.object({
  test: z.string(), rse: z.string().describe('the cache RSE read through'),
  reads: count, hits: count.describe('reads the cache served from its disk (it opened nothing at its origin)'),
  misses: count.describe('reads the cache fetched from its origin (it opened the file there)'),
});

export const experimentReportSchema = z.object({
  name: z.string(), description: z.string(), verdict: verdictSchema, runs: z.array(z.string()),
  scale: z.string().describe('how this experiment\'s runs were scaled (see the report\'s scale); "" at full scale'),
  tests: z.array(testReportSchema), observations: z.array(observationSchema), failures: z.array(failureGroupSchema),
  rows: z.array(operationRowSchema).describe('one row per RSE × operation × auth method × protocol'), links: z.array(linkCellSchema), linkSizes: z.array(linkSizeSchema),
  replication: z.array(replicationSchema).describe('time to replicate per file: rule creation → the file\'s lock OK, from the catalogue\'s timestamps (1 s resolution) where the scenario reads them'),
  replicationPerRule: z.array(replicationSchema).describe('time to replicate per rule: rule creation → every lock on the destination OK, as lakeprobe polled it'),
  inFlight: z.array(inFlightSchema).describe('transfers queued and active at once per link, and the failures retried to success (README "Transfers in flight")'),
  successOverTime: z.array(timeBucketSchema),
  availabilityByRse: z.array(availabilitySchema), availabilityByTest: z.array(availabilitySchema),
  linksByAgent: z.array(agentLinkCellSchema).describe('the link matrix per agent that ran the copies, over results that name an agent; empty when none does'),
  availabilityByAgent: z.array(agentAvailabilitySchema).describe('availability per agent and RSE, and per agent over all its RSEs, over results that name an agent; empty when none does'),
  daily: z.array(dailySchema).describe('storage operations per RSE and UTC day: the daily table sites post'),
  authMatrix: z.array(authCellSchema), authFailures: z.array(authFailureSchema), embargo: z.array(embargoCellSchema),
  cache: z.array(cacheCellSchema).describe('reads through cache RSEs (XCache) per test and cache: hits and misses as the cache counts them'),
});

export const summaryRowSchema = z.object({
  experiment: z.string(), test: z.string(), description: z.string(), successMetric: z.string(),
  volume: z.string(), dataRate: z.string().describe('the data rate achieved, e.g. "12.5 MB/s"'), qos: z.string(), rses: z.string(),
  scale: z.string().describe('the --scale factor(s) of the test\'s runs, "1" at full scale'), completed: verdictSchema,
});

export const runRefSchema = z.object({
  runId: z.string(), planName: z.string(), planHash: z.string().describe('"" when the run predates stored plans'),
  startedAt: time, finishedAt: time, state: z.enum(['running', 'finished', 'interrupted']),
  scale: z.number().gt(0).max(1).optional().describe('the run\'s --scale factor; absent: full scale'),
});

export const agentReportSchema = z.object({
  agent: z.string(), state: z.enum(['running', 'stopped', 'down']),
  status: z.string().describe('"up", "stopped (last heartbeat T)" or "agent down since T"'),
  lastHeartbeat: time.describe('ISO-8601, by the database\'s clock'),
  clockOffsetMs: z.number().describe('the database\'s clock minus the agent\'s, in ms'),
  tests: z.array(z.string()).describe('the "experiment/test" keys the agent runs'),
});

export const challengeReportSchema = z.object({
  schemaVersion: z.literal(1), name: z.string(),
  verdict: verdictSchema.describe('over every test of the report, as the run\'s console line and exit code state it'),
  scale: z.string().describe('how the runs were scaled, e.g. "--scale 0.0001: …"; "" when every run was full scale'),
  selection: z.object({ runs: z.array(runRefSchema), from: time, to: time }),
  slotSeconds: z.int().positive().describe('length of the time slots of availability and success over time'),
  notes: z.array(z.string()).describe('how the report was made: plan used for runs without a stored plan, …'),
  experiments: z.array(experimentReportSchema),
  summary: z.array(summaryRowSchema).describe('the challenge table: one row per experiment and test'),
  agents: z.array(agentReportSchema).describe('the agents that heartbeat into the shared store, as the report was written; empty for a report of one machine\'s store'),
}).describe('lakeprobe challenge report');

export type Verdict = z.output<typeof verdictSchema>;
export type Criterion = z.output<typeof criterionSchema>;
export type TestReport = z.output<typeof testReportSchema>;
export type Observation = z.output<typeof observationSchema>;
export type FailureGroup = z.output<typeof failureGroupSchema>;
export type OperationRow = z.output<typeof operationRowSchema>;
export type LinkCell = z.output<typeof linkCellSchema>;
export type LinkSize = z.output<typeof linkSizeSchema>;
export type ReplicationPercentiles = z.output<typeof replicationSchema>;
export type InFlight = z.output<typeof inFlightSchema>;
export type TimeBucket = z.output<typeof timeBucketSchema>;
export type Availability = z.output<typeof availabilitySchema>;
export type DailyCell = z.output<typeof dailySchema>;
export type AgentLinkCell = z.output<typeof agentLinkCellSchema>;
export type AgentAvailability = z.output<typeof agentAvailabilitySchema>;
export type AgentReport = z.output<typeof agentReportSchema>;
export type AuthCell = z.output<typeof authCellSchema>;
export type AuthFailure = z.output<typeof authFailureSchema>;
export type EmbargoCell = z.output<typeof embargoCellSchema>;
export type CacheCell = z.output<typeof cacheCellSchema>;
export type ExperimentReport = z.output<typeof experimentReportSchema>;
export type SummaryRow = z.output<typeof summaryRowSchema>;
export type RunRef = z.output<typeof runRefSchema>;
export type ChallengeReport = z.output<typeof challengeReportSchema>;

/** The JSON Schema (draft 2020-12) of report.json. */
export function reportJsonSchema(): unknown {
  return z.toJSONSchema(challengeReportSchema, { target: 'draft-2020-12' });
}
