import { m, sel } from './promql.js';
import type { DashboardSpec, PanelSpec, VariableSpec } from './spec.js';

// The shipped dashboards. Every expression goes through m()/sel(), which refuse
// metrics and labels the catalogue does not declare.

const R = '$__rate_interval';
const RANGE = '$__range';
const any = (v: string): string => `=~$${v}`;

const v = (name: string, label: string, query: string): VariableSpec => ({ name, label, query, multi: true });
const experimentVar = v('experiment', 'Experiment', `label_values(${m('operations')}, experiment)`);
const rseVar = v('rse', 'RSE', `label_values(${m('operations')}, rse)`);
const srcVar = v('src_rse', 'Source RSE', `label_values(${m('linkTransfers')}, src_rse)`);
const dstVar = v('dst_rse', 'Destination RSE', `label_values(${m('linkTransfers')}, dst_rse)`);
// Every series of a process run with --agent carries its name; "All" also matches a process without one.
const agentVar = v('agent', 'Agent', `label_values(${m('operations')}, agent)`);
const methodVar = v('auth_method', 'Auth method', `label_values(${m('operations')}, auth_method)`);

const ts = (title: string, unit: string, queries: PanelSpec['queries'], description?: string): PanelSpec =>
  ({ title, kind: 'timeseries', unit, queries, description, w: 12, h: 8 });
const stat = (title: string, unit: string, expr: string, description?: string): PanelSpec =>
  ({ title, kind: 'stat', unit, queries: [{ expr, instant: true }], description, w: 6, h: 4 });
const table = (title: string, unit: string, queries: PanelSpec['queries'], description?: string): PanelSpec =>
  ({ title, kind: 'table', unit, queries: queries.map((q) => ({ ...q, instant: true })), description, w: 24, h: 8 });
const matrix = (title: string, unit: string, expr: string): PanelSpec =>
  ({ title, kind: 'table', unit, queries: [{ expr, instant: true }], matrix: true, w: 12, h: 8 });

const ops = (extra: Record<string, string> = {}): Record<string, string> => ({ experiment: any('experiment'), agent: any('agent'), ...extra });
const quantile = (q: number, key: 'operationDuration' | 'ruleTimeToOk' | 'transferDuration', by: string, matchers: Record<string, string>, window = R): string =>
  `histogram_quantile(${q}, sum by (${by}, le) (rate(${sel(key, matchers, '_bucket')}[${window}])))`;

const overview: DashboardSpec = {
  uid: 'lakeprobe-overview', file: 'lakeprobe-overview', title: 'lakeprobe / Overview',
  description: 'Is the lake healthy: tests passing, operations and failures, data moved, the daemon itself.',
  tags: ['lakeprobe'], variables: [experimentVar, agentVar],
  panels: [
    stat('Tests passing', 'none', `sum(${sel('testSuccess', ops())})`),
    stat('Tests failing', 'none', `sum(1 - ${sel('testSuccess', ops())})`),
    stat('Embargo violations (range)', 'none', `sum(increase(${sel('embargoViolations', ops())}[${RANGE}])) or vector(0)`),
    stat('Plan loaded', 'bool', `min(${m('reloadOk')})`, '1: the last plan (re)load succeeded.'),
    ts('Operations by outcome', 'ops', [{ expr: `sum by (outcome) (rate(${sel('operations', ops())}[${R}]))`, legend: '{{outcome}}' }]),
    ts('Failures by class and severity', 'ops', [{ expr: `sum by (error_class, severity) (rate(${sel('failures', ops())}[${R}]))`, legend: '{{error_class}} ({{severity}})' }]),
    ts('Operation duration p95', 's', [{ expr: quantile(0.95, 'operationDuration', 'operation', ops()), legend: '{{operation}}' }]),
    ts('Bytes moved', 'Bps', [{ expr: `sum by (operation) (rate(${sel('transferredBytes', ops())}[${R}]))`, legend: '{{operation}}' }]),
    table('Tests: last run', 's', [
      { expr: `time() - ${sel('testLastRun', ops())}`, legend: 'age' },
      { expr: sel('testSuccess', ops()), legend: 'success' },
      { expr: sel('testDuration', ops()), legend: 'duration' },
    ], 'Seconds since each test last finished, whether it passed, and how long it took.'),
    ts('Skipped and missed runs', 'short', [
      { expr: `sum by (test, reason) (increase(${sel('skippedRuns', ops())}[${R}]))`, legend: '{{test}} skipped: {{reason}}' },
      { expr: `sum by (test) (increase(${sel('missedRuns', ops())}[${R}]))`, legend: '{{test}} missed' },
    ]),
    ts('Daemon heartbeat age', 's', [{ expr: `time() - ${m('heartbeat')}`, legend: 'heartbeat age' }]),
    table('Agents (from the coordinator)', 's', [
      { expr: sel('agentUp', { agent: any('agent') }), legend: 'up' },
      { expr: `time() - ${sel('agentHeartbeat', { agent: any('agent') })}`, legend: 'seconds since heartbeat' },
      { expr: sel('agentClockOffset', { agent: any('agent') }), legend: 'clock offset' },
    ], 'Every agent of the shared store: up (0: its heartbeat is stale), the age of its last heartbeat, and its clock offset to the database.'),
  ],
};

const perRse: DashboardSpec = {
  uid: 'lakeprobe-rse', file: 'lakeprobe-rse', title: 'lakeprobe / RSE',
  description: 'One storage element: success, latency, throughput and why things failed.',
  tags: ['lakeprobe', 'rse'], variables: [experimentVar, rseVar, agentVar],
  panels: [
    ts('Success ratio by operation', 'percentunit', [{
      expr: `sum by (operation) (rate(${sel('operations', ops({ rse: any('rse'), outcome: 'ok' }))}[${R}])) / sum by (operation) (rate(${sel('operations', ops({ rse: any('rse') }))}[${R}]))`,
      legend: '{{operation}}',
    }]),
    ts('Duration p50 / p95 by operation', 's', [
      { expr: quantile(0.5, 'operationDuration', 'operation', ops({ rse: any('rse') })), legend: '{{operation}} p50' },
      { expr: quantile(0.95, 'operationDuration', 'operation', ops({ rse: any('rse') })), legend: '{{operation}} p95' },
    ]),
    ts('Last throughput by size class', 'Bps', [{ expr: `max by (operation, size_class) (${sel('throughput', ops({ rse: any('rse') }))})`, legend: '{{operation}} {{size_class}}' }]),
    ts('Failures by class', 'ops', [{ expr: `sum by (error_class, operation) (rate(${sel('failures', ops({ rse: any('rse') }))}[${R}]))`, legend: '{{error_class}} on {{operation}}' }]),
    ts('Bytes moved', 'Bps', [{ expr: `sum by (operation) (rate(${sel('transferredBytes', ops({ rse: any('rse') }))}[${R}]))`, legend: '{{operation}}' }]),
  ],
};

const link = { src_rse: any('src_rse'), dst_rse: any('dst_rse'), agent: any('agent') };
const linkMatrix: DashboardSpec = {
  uid: 'lakeprobe-links', file: 'lakeprobe-links', title: 'lakeprobe / Link matrix',
  description: 'Source × destination: replication success, time to OK and throughput over the dashboard range.',
  tags: ['lakeprobe', 'links'], variables: [srcVar, dstVar, agentVar],
  panels: [
    matrix('Success % (source × destination)', 'percentunit',
      `sum by (src_rse, dst_rse) (increase(${sel('linkTransfers', { ...link, outcome: 'ok' })}[${RANGE}])) / sum by (src_rse, dst_rse) (increase(${sel('linkTransfers', link)}[${RANGE}]))`),
    matrix('Transfer duration p50', 's', quantile(0.5, 'transferDuration', 'src_rse, dst_rse', link, RANGE)),
    matrix('Transfer duration p95', 's', quantile(0.95, 'transferDuration', 'src_rse, dst_rse', link, RANGE)),
    matrix('Throughput (MB/s)', 'MBs', `avg by (src_rse, dst_rse) (${sel('linkThroughput', link)}) / 1e6`),
  ],
};

const longHaul: DashboardSpec = {
  uid: 'lakeprobe-long-haul', file: 'lakeprobe-long-haul', title: 'lakeprobe / Long-haul sweep',
  description: 'File-size sweeps over long links: throughput and rule time to OK by size class over time.',
  tags: ['lakeprobe', 'long-haul'], variables: [srcVar, dstVar, agentVar],
  panels: [
    ts('Throughput by size class', 'Bps', [{ expr: `max by (src_rse, dst_rse, size_class) (${sel('linkThroughput', link)})`, legend: '{{src_rse}} → {{dst_rse}} {{size_class}}' }]),
    ts('Rule time to OK p95 by size class', 's', [{ expr: quantile(0.95, 'ruleTimeToOk', 'dst_rse, size_class', { dst_rse: any('dst_rse') }), legend: '{{dst_rse}} {{size_class}}' }]),
    ts('Bytes replicated by size class', 'Bps', [{ expr: `sum by (size_class) (rate(${sel('linkBytes', link)}[${R}]))`, legend: '{{size_class}}' }]),
    ts('Replications by outcome', 'ops', [{ expr: `sum by (size_class, outcome) (rate(${sel('linkTransfers', link)}[${R}]))`, legend: '{{size_class}} {{outcome}}' }]),
  ],
};

const auth: DashboardSpec = {
  uid: 'lakeprobe-auth', file: 'lakeprobe-auth', title: 'lakeprobe / Authentication',
  description: 'Logins per method and how long the credentials remain valid.',
  tags: ['lakeprobe', 'auth'], variables: [experimentVar, methodVar, agentVar],
  panels: [
    ts('Credential remaining lifetime', 's', [{ expr: `${sel('credentialExpiry', { auth_method: any('auth_method') })} - time()`, legend: '{{auth_method}}' }]),
    ts('Logins by method and outcome', 'ops', [{ expr: `sum by (auth_method, outcome) (rate(${sel('operations', ops({ operation: 'auth', auth_method: any('auth_method') }))}[${R}]))`, legend: '{{auth_method}} {{outcome}}' }]),
    ts('Login duration p95', 's', [{ expr: quantile(0.95, 'operationDuration', 'auth_method', ops({ operation: 'auth', auth_method: any('auth_method') })), legend: '{{auth_method}}' }]),
    ts('Operations by method and outcome', 'ops', [{ expr: `sum by (auth_method, outcome) (rate(${sel('operations', ops({ auth_method: any('auth_method') }))}[${R}]))`, legend: '{{auth_method}} {{outcome}}' }]),
  ],
};

const embargo: DashboardSpec = {
  uid: 'lakeprobe-embargo', file: 'lakeprobe-embargo', title: 'lakeprobe / Embargo',
  description: 'Embargoed areas must refuse outsiders: any violation is critical.',
  tags: ['lakeprobe', 'embargo'], variables: [experimentVar, agentVar],
  panels: [
    stat('Violations (range)', 'none', `sum(increase(${sel('embargoViolations', ops())}[${RANGE}])) or vector(0)`),
    table('Violations per test and RSE', 'none', [{ expr: `sum by (experiment, test, rse) (${sel('embargoViolations', ops())})` }]),
    ts('Critical failures', 'ops', [{ expr: `sum by (error_class) (rate(${sel('failures', ops({ severity: 'critical' }))}[${R}])) or vector(0)`, legend: '{{error_class}}' }]),
  ],
};

const experiment: DashboardSpec = {
  uid: 'lakeprobe-experiment', file: 'lakeprobe-experiment', title: 'lakeprobe / Experiment',
  description: 'One experiment: its tests, their last runs, failures and latency.',
  tags: ['lakeprobe', 'experiment'], variables: [experimentVar, agentVar],
  panels: [
    table('Tests', 'none', [
      { expr: sel('testSuccess', ops()), legend: 'success' },
      { expr: sel('runFailures', ops()), legend: 'failed operations' },
      { expr: `time() - ${sel('testLastRun', ops())}`, legend: 'seconds since last run' },
    ]),
    ts('Failures by test and class', 'ops', [{ expr: `sum by (test, error_class) (rate(${sel('failures', ops())}[${R}]))`, legend: '{{test}} {{error_class}}' }]),
    ts('Operation duration p95 by test', 's', [{ expr: quantile(0.95, 'operationDuration', 'test', ops()), legend: '{{test}}' }]),
    ts('Operations by test', 'ops', [{ expr: `sum by (test) (rate(${sel('operations', ops())}[${R}]))`, legend: '{{test}}' }]),
  ],
};

export const DASHBOARDS: readonly DashboardSpec[] = [overview, perRse, linkMatrix, longHaul, auth, embargo, experiment];
