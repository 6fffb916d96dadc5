import { stringify } from 'yaml';
import { JOB_NAME } from '../metrics/catalogue.js';
import { m, sel } from './promql.js';

// Prometheus alert rules generated from the catalogue (via m()/sel()), written to
// dashboards/lakeprobe-alerts.yaml. Thresholds are the defaults a site starts from.

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: 'critical' | 'warning' };
  annotations: { summary: string; description: string };
}

/** Set by the Pushgateway on every group it holds (not a lakeprobe metric). */
export const PUSH_TIME_METRIC = 'push_time_seconds';

/** Storage operations, the ones an auth method's failure rate on an RSE is computed over. */
const STORAGE_OPERATIONS = 'upload|download';
const RSE_FAILURE_RATIO = 0.2;
/** A credential warns when less than this is left (well under a 12 h proxy)... */
export const CREDENTIAL_RENEW_BEFORE_SECONDS = 2 * 3600;
/** ...and less than this fraction of its own lifetime (short tokens renewed on time stay quiet). */
export const CREDENTIAL_RENEW_FRACTION = 0.25;

/**
 * Fires on any increase of a failure counter in the last hour, including the counter's birth:
 * a series that appears at 1 has no earlier sample for increase(), so a series with no sample
 * an hour ago counts by its own value.
 */
function firstOrIncrease(selector: string, by: string): string {
  return `sum by (${by}) (increase(${selector}[1h])) > 0`
    + ` or sum by (${by}) (${selector} unless ${selector} offset 1h) > 0`;
}

export const ALERT_RULES: readonly AlertRule[] = [
  {
    // Per auth method over the storage operations only: catalogue, delete and token calls that
    // succeed must not dilute a method that fails every write on this RSE.
    alert: 'LakeprobeRseFailureRate',
    expr: `sum by (rse, auth_method) (rate(${sel('operations', { operation: `=~${STORAGE_OPERATIONS}`, outcome: 'failed' })}[15m]))`
      + ` / sum by (rse, auth_method) (rate(${sel('operations', { operation: `=~${STORAGE_OPERATIONS}` })}[15m])) > ${RSE_FAILURE_RATIO}`,
    for: '10m', labels: { severity: 'warning' },
    annotations: { summary: 'More than 20% of {{ $labels.auth_method }} storage operations on {{ $labels.rse }} fail', description: 'See the per-RSE dashboard for the failure classes and their remedies.' },
  },
  {
    alert: 'LakeprobeRuleStuck',
    expr: firstOrIncrease(sel('failures', { error_class: '=~rule_stuck|rule_timeout' }), 'experiment, test, rse'),
    labels: { severity: 'warning' },
    annotations: { summary: 'A replication rule of {{ $labels.experiment }}/{{ $labels.test }} went STUCK or did not reach OK in time', description: 'Look at the rule and its transfer requests; check the source and the link.' },
  },
  {
    // Every class a failed transfer can get (rule_stuck / rule_timeout have their own alert above).
    alert: 'LakeprobeTransferFailing',
    expr: firstOrIncrease(sel('failures', { operation: 'replicate', error_class: '!~rule_stuck|rule_timeout' }), 'experiment, test, rse, error_class'),
    labels: { severity: 'warning' },
    annotations: { summary: 'Replications of {{ $labels.experiment }}/{{ $labels.test }} to {{ $labels.rse }} fail with {{ $labels.error_class }}', description: 'The class names the cause (checksum, source, third-party copy, space, authentication, timeout): see its remedy on the status page.' },
  },
  {
    alert: 'LakeprobeReplicationTooLong',
    expr: `histogram_quantile(0.95, sum by (dst_rse, le) (rate(${m('ruleTimeToOk', '_bucket')}[6h]))) > 3600`,
    labels: { severity: 'warning' },
    annotations: { summary: 'Replication to {{ $labels.dst_rse }} takes over an hour (p95)', description: 'Rule time to OK p95 over 6 h is above 1 h: check the links into it and the transfer queue.' },
  },
  {
    alert: 'LakeprobeCredentialExpiring',
    // Within the renewal margin, unless the credential is known to have a quarter of its own
    // lifetime left: a 12 h proxy warns at 2 h, a 1 h token renewed at half-life never does.
    // Quiet while lakeprobe's own renewal of it works: it fires when renewal failed or none is configured.
    expr: `(${m('credentialExpiry')} - time() < ${CREDENTIAL_RENEW_BEFORE_SECONDS})`
      + ` unless on (auth_method) (${m('credentialExpiry')} - time() >= ${CREDENTIAL_RENEW_FRACTION} * ${m('credentialLifetime')})`
      + ` unless on (auth_method) (${m('credentialRenewalOk')} == 1)`,
    labels: { severity: 'warning' },
    annotations: { summary: 'The {{ $labels.auth_method }} credential is about to expire and has not been renewed', description: 'Renew the proxy (voms-proxy-init) or the token before the probes start failing with auth_expired.' },
  },
  {
    alert: 'LakeprobeEmbargoViolation',
    expr: `sum by (experiment, test, rse) (increase(${m('embargoViolations')}[1h])) > 0`,
    labels: { severity: 'critical' },
    annotations: { summary: 'Embargoed data on {{ $labels.rse }} was readable by an outsider', description: 'The storage ACL of the embargoed area admits identities outside the group: fix it now.' },
  },
  {
    alert: 'LakeprobeTestOverdue',
    expr: `time() - ${m('nextRun')} > 600`,
    labels: { severity: 'warning' },
    annotations: { summary: '{{ $labels.experiment }}/{{ $labels.test }} has not run on schedule for 10 minutes', description: 'Its planned time passed without the daemon moving on: the scheduler is stuck or the test never finishes.' },
  },
  {
    alert: 'LakeprobeRunsMissed',
    expr: `sum by (experiment, test) (increase(${m('missedRuns')}[1h])) + sum by (experiment, test) (increase(${sel('skippedRuns', { reason: 'overlap' })}[1h])) > 2`,
    labels: { severity: 'warning' },
    annotations: { summary: '{{ $labels.experiment }}/{{ $labels.test }} missed or skipped more than 2 runs in an hour', description: 'The test takes longer than its period or the daemon was late: lengthen the period or shorten the test.' },
  },
  {
    alert: 'LakeprobeDaemonDown',
    expr: `up{job="${JOB_NAME}"} == 0 or absent(up{job="${JOB_NAME}"})`,
    for: '5m', labels: { severity: 'critical' },
    annotations: { summary: 'The lakeprobe daemon is not reporting', description: 'Prometheus cannot scrape the daemon: it crashed, stopped or its host is unreachable.' },
  },
  {
    alert: 'LakeprobeDaemonStalled',
    expr: `time() - ${m('heartbeat')} > 300`,
    labels: { severity: 'critical' },
    annotations: { summary: 'The lakeprobe scheduler loop has not ticked for 5 minutes', description: 'The daemon answers scrapes but schedules nothing: restart it and report the log.' },
  },
  {
    alert: 'LakeprobePlanReloadFailed',
    expr: `${m('reloadOk')} == 0`,
    for: '10m', labels: { severity: 'warning' },
    annotations: { summary: 'The edited plan does not load; the previous plan keeps running', description: 'Run lakeprobe validate on the plan file to see every problem with its line.' },
  },
  {
    alert: 'LakeprobeAgentDown',
    expr: `${m('agentUp')} == 0`,
    labels: { severity: 'critical' },
    annotations: { summary: 'lakeprobe agent {{ $labels.agent }} is down (no heartbeat into the shared store)', description: 'Its unfinished runs are marked interrupted and its tests run nowhere: restart the agent at its site (systemctl status lakeprobe-agent@{{ $labels.agent }}) or assign its tests to another agent and publish the plan.' },
  },
  {
    alert: 'LakeprobePushStale',
    expr: `time() - ${PUSH_TIME_METRIC}{job="${JOB_NAME}"} > 93600`,
    labels: { severity: 'warning' },
    annotations: { summary: 'No push from {{ $labels.agent }} for {{ $labels.plan }}/{{ $labels.test }} in 26 h', description: 'The scheduled one-shot run (cron, CI) stopped running or cannot reach the Pushgateway.' },
  },
];

export function renderAlertRules(rules: readonly AlertRule[] = ALERT_RULES): string {
  const header = '# Generated by `lakeprobe dashboards` from the metric catalogue: do not edit by hand.\n';
  return header + stringify({ groups: [{ name: 'lakeprobe', rules }] }, { lineWidth: 0 });
}
