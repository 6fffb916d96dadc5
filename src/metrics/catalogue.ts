// The one metric catalogue. The registry, the Grafana dashboards and the alert
// rules all read these declarations, so nothing can query a metric that does
// not exist. Label values are bounded: experiment and test names from the plan,
// RSE names from the lake, closed enums (operation, outcome, error class,
// severity, skip reason) and size classes (powers of two).

export type MetricType = 'counter' | 'histogram' | 'gauge';

export interface MetricSpec {
  name: string;
  type: MetricType;
  help: string;
  labels: readonly string[];
  buckets?: readonly number[];
  /** Who sets it: every run (`run`), only the long-lived daemon (`daemon`), or the coordinator of agents (`coordinator`). */
  source?: 'run' | 'daemon' | 'coordinator';
}

const OP_LABELS = ['experiment', 'test', 'operation', 'rse', 'protocol', 'auth_method'] as const;
const TEST_LABELS = ['experiment', 'test'] as const;
const LINK_LABELS = ['src_rse', 'dst_rse', 'size_class'] as const;
const SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600] as const;
// Coarser for per-link series: 2,450 links × size classes must stay cheap to render.
const LINK_BUCKETS = [5, 30, 120, 600, 3600, 14400] as const;

/**
 * Every series a process started with --agent exports carries this label with the agent's
 * name (a registry default label; the Pushgateway grouping key carries the same name).
 * The agent-health series below are the coordinator's, where `agent` names the agent watched.
 */
export const AGENT_LABEL = 'agent';
const AGENT_LABELS = [AGENT_LABEL] as const;

/** Why a scheduled run did not start (closed set). */
export const SKIP_REASONS = ['overlap', 'link_busy', 'stopping'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const METRICS = {
  operations: {
    name: 'lakeprobe_operations_total',
    type: 'counter',
    help: 'Lake operations performed, by outcome and error class (error_class is "none" on success).',
    labels: [...OP_LABELS, 'outcome', 'error_class'],
  },
  operationDuration: {
    name: 'lakeprobe_operation_duration_seconds',
    type: 'histogram',
    help: 'Duration of lake operations, successful and failed.',
    labels: [...OP_LABELS, 'size_class'],
    buckets: SECONDS_BUCKETS,
  },
  transferredBytes: {
    name: 'lakeprobe_transferred_bytes_total',
    type: 'counter',
    help: 'Bytes moved by successful upload, download and replicate operations.',
    labels: OP_LABELS,
  },
  throughput: {
    name: 'lakeprobe_last_throughput_bytes_per_second',
    type: 'gauge',
    help: 'Throughput of the most recent successful data-moving operation.',
    labels: [...OP_LABELS, 'size_class'],
  },
  lastResult: {
    name: 'lakeprobe_last_operation_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time when the most recent operation of this kind finished.',
    labels: [...OP_LABELS, 'outcome'],
  },
  failures: {
    name: 'lakeprobe_failures_total',
    type: 'counter',
    help: 'Failed operations by error class and severity (critical: embargo violation, checksum mismatch).',
    labels: [...TEST_LABELS, 'operation', 'rse', 'error_class', 'severity'],
  },
  linkTransfers: {
    name: 'lakeprobe_link_transfers_total',
    type: 'counter',
    help: 'Replications per link (source → destination RSE) and size class, by outcome.',
    labels: [...LINK_LABELS, 'outcome'],
  },
  linkBytes: {
    name: 'lakeprobe_link_transferred_bytes_total',
    type: 'counter',
    help: 'Bytes replicated per link and size class.',
    labels: LINK_LABELS,
  },
  linkThroughput: {
    name: 'lakeprobe_link_throughput_bytes_per_second',
    type: 'gauge',
    help: 'Throughput of the most recent successful replication per link and size class (bytes / rule time to OK).',
    labels: LINK_LABELS,
  },
  ruleTimeToOk: {
    name: 'lakeprobe_rule_time_to_ok_seconds',
    type: 'histogram',
    help: 'Time from rule creation until the rule reached OK, per destination RSE and size class.',
    labels: ['dst_rse', 'size_class'],
    buckets: LINK_BUCKETS,
  },
  transferDuration: {
    name: 'lakeprobe_transfer_duration_seconds',
    type: 'histogram',
    help: 'Duration of each replication that has a transfer request (requests API), per link and size class.',
    labels: LINK_LABELS,
    buckets: LINK_BUCKETS,
  },
  linkInFlightMax: {
    name: 'lakeprobe_link_transfers_in_flight_max',
    type: 'gauge',
    help: 'Most transfers queued (request created, copy not started) or active (copy started) at once on a link, in the latest run that replicated over it.',
    labels: ['src_rse', 'dst_rse', 'state'],
  },
  linkInFlightMean: {
    name: 'lakeprobe_link_transfers_in_flight_mean',
    type: 'gauge',
    help: 'Transfers queued or active on a link, time-weighted mean over its busy span in the latest run that replicated over it.',
    labels: ['src_rse', 'dst_rse', 'state'],
  },
  linkRecoveredFailures: {
    name: 'lakeprobe_link_recovered_transfer_failures_total',
    type: 'counter',
    help: 'Transfers that failed, were retried and arrived before their rule went OK, per link.',
    labels: ['src_rse', 'dst_rse'],
  },
  embargoViolations: {
    name: 'lakeprobe_embargo_violations_total',
    type: 'counter',
    help: 'Reads of embargoed data by an identity outside the embargo group (must stay 0).',
    labels: [...TEST_LABELS, 'rse'],
  },
  cacheReads: {
    name: 'lakeprobe_cache_reads_total',
    type: 'counter',
    help: 'Reads through a cache RSE (XCache), by result: hit (served from its disk) or miss (fetched from its origin), as the cache counts its origin opens.',
    labels: [...TEST_LABELS, 'rse', 'result'],
  },
  testSuccess: {
    name: 'lakeprobe_test_success',
    type: 'gauge',
    help: '1 when the most recent run of a test had no failed operation, 0 otherwise.',
    labels: TEST_LABELS,
  },
  testLastRun: {
    name: 'lakeprobe_test_last_run_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time when the most recent run of a test finished.',
    labels: TEST_LABELS,
  },
  testDuration: {
    name: 'lakeprobe_test_last_run_duration_seconds',
    type: 'gauge',
    help: 'Wall time of the most recent run of a test.',
    labels: TEST_LABELS,
  },
  runFailures: {
    name: 'lakeprobe_test_failed_operations',
    type: 'gauge',
    help: 'Failed operations in the most recent run of a test (0 when it passed); reset at each run.',
    labels: TEST_LABELS,
  },
  credentialExpiry: {
    name: 'lakeprobe_credential_expiry_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time when a configured credential expires (x509 proxy or certificate notAfter, token exp).',
    labels: ['auth_method'],
  },
  credentialLifetime: {
    name: 'lakeprobe_credential_lifetime_seconds',
    type: 'gauge',
    help: 'Full validity of a configured credential (notAfter - notBefore, token exp - iat), when known: expiry alerts scale to it.',
    labels: ['auth_method'],
  },
  credentialLastRenewal: {
    name: 'lakeprobe_credential_last_renewal_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time lakeprobe last obtained a token from the issuer, per audience (at most 64 live tokens).',
    labels: ['auth_method', 'audience'],
  },
  credentialRenewalOk: {
    name: 'lakeprobe_credential_renewal_ok',
    type: 'gauge',
    help: 'For a credential lakeprobe renews itself (tokens from an issuer, a proxy with renew_command): 1 while its renewal works, 0 after a failed one; absent when nothing renews it. The expiry alert is quiet while it is 1.',
    labels: ['auth_method'],
    source: 'daemon',
  },
  credentialRenewalFailures: {
    name: 'lakeprobe_credential_renewal_failures_total',
    type: 'counter',
    help: 'Failed renewals of a credential lakeprobe renews itself (proxy renew_command runs that failed or timed out).',
    labels: ['auth_method'],
    source: 'daemon',
  },
  scheduledRuns: {
    name: 'lakeprobe_schedule_runs_total',
    type: 'counter',
    help: 'Scheduled runs the daemon started.',
    labels: TEST_LABELS,
    source: 'daemon',
  },
  skippedRuns: {
    name: 'lakeprobe_schedule_skipped_runs_total',
    type: 'counter',
    help: 'Scheduled runs not started, by reason: overlap (the test still runs), link_busy (another sweep holds the link), stopping.',
    labels: [...TEST_LABELS, 'reason'],
    source: 'daemon',
  },
  missedRuns: {
    name: 'lakeprobe_schedule_missed_runs_total',
    type: 'counter',
    help: 'Fire times that passed without a run because the daemon was late beyond its tolerance.',
    labels: TEST_LABELS,
    source: 'daemon',
  },
  nextRun: {
    name: 'lakeprobe_schedule_next_run_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the next planned run of a test.',
    labels: TEST_LABELS,
    source: 'daemon',
  },
  runsInProgress: {
    name: 'lakeprobe_runs_in_progress',
    type: 'gauge',
    help: 'Runs of a test in progress (0 or 1: the daemon never overlaps a test).',
    labels: TEST_LABELS,
    source: 'daemon',
  },
  reloadOk: {
    name: 'lakeprobe_config_last_reload_successful',
    type: 'gauge',
    help: '1 when the last plan (re)load succeeded; 0 when it failed and the previous plan keeps running.',
    labels: [],
    source: 'daemon',
  },
  reloadTime: {
    name: 'lakeprobe_config_last_reload_success_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the last successful plan (re)load.',
    labels: [],
    source: 'daemon',
  },
  heartbeat: {
    name: 'lakeprobe_daemon_heartbeat_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the daemon scheduler loop last tick (stops moving when the loop is stuck).',
    labels: [],
    source: 'daemon',
  },
  agentUp: {
    name: 'lakeprobe_agent_up',
    type: 'gauge',
    help: '1 while the agent heartbeats into the shared store; 0 once its heartbeat is stale (agent down).',
    labels: AGENT_LABELS,
    source: 'coordinator',
  },
  agentDownSince: {
    name: 'lakeprobe_agent_down_since_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the last heartbeat of an agent seen down (0 while it is up).',
    labels: AGENT_LABELS,
    source: 'coordinator',
  },
  agentHeartbeat: {
    name: 'lakeprobe_agent_last_heartbeat_timestamp_seconds',
    type: 'gauge',
    help: "Unix time (the database's clock) of the agent's last heartbeat into the shared store.",
    labels: AGENT_LABELS,
    source: 'coordinator',
  },
  agentClockOffset: {
    name: 'lakeprobe_agent_clock_offset_seconds',
    type: 'gauge',
    help: "The database's clock minus the agent's clock, measured at its last heartbeat (mid-point of the query round trip).",
    labels: AGENT_LABELS,
    source: 'coordinator',
  },
  testWithoutAgent: {
    name: 'lakeprobe_test_without_running_agent',
    type: 'gauge',
    help: '1 when every agent a test is assigned to is down or never started, or it names no agent; 0 while a live agent runs it.',
    labels: TEST_LABELS,
    source: 'coordinator',
  },
  storeBacklog: {
    name: 'lakeprobe_store_backlog_entries',
    type: 'gauge',
    help: 'Writes in the local journal not yet in the shared PostgreSQL results store (0 with a SQLite store).',
    labels: [],
    source: 'daemon',
  },
  storeUnreachableSince: {
    name: 'lakeprobe_store_unreachable_since_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time since when the shared PostgreSQL results store is unreachable; 0 while it is reachable.',
    labels: [],
    source: 'daemon',
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;
export const DATA_OPERATIONS = new Set(['upload', 'download', 'replicate']);

/** Series every dashboard and alert may use, by name: the lookup panels and rules go through. */
export function metricName(key: MetricKey, suffix: '' | '_bucket' | '_sum' | '_count' = ''): string {
  const spec: MetricSpec = METRICS[key];
  if (suffix && spec.type !== 'histogram') throw new Error(`${spec.name} is a ${spec.type}, it has no ${suffix}`);
  return spec.name + suffix;
}

/** The job name used on the Pushgateway and expected in scrape configs. */
export const JOB_NAME = 'lakeprobe';
