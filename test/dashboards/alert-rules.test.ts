import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_RULES, renderAlertRules } from '../../src/dashboards/index.js';
import { PROMTOOL } from '../metrics/prom-tools.js';

const run = promisify(execFile);
const T = 'experiment="E",test="t"';

// Synthetic series: one minute per step. "bad" values fire each alert; "good" ones must not.
interface Case { alert: string; at: string; bad: { series: string; values: string }[]; good: { series: string; values: string }[]; labels: Record<string, string> }

const CASES: Case[] = [
  {
    alert: 'LakeprobeRseFailureRate', at: '40m', labels: { rse: 'A', auth_method: 'x509' },
    bad: [{ series: `lakeprobe_operations_total{${T},rse="A",operation="upload",protocol="davs",auth_method="x509",outcome="ok",error_class="none"}`, values: '0+1x60' },
      { series: `lakeprobe_operations_total{${T},rse="A",operation="upload",protocol="davs",auth_method="x509",outcome="failed",error_class="tls"}`, values: '0+1x60' }],
    good: [{ series: `lakeprobe_operations_total{${T},rse="A",operation="upload",protocol="davs",auth_method="x509",outcome="ok",error_class="none"}`, values: '0+10x60' },
      { series: `lakeprobe_operations_total{${T},rse="A",operation="upload",protocol="davs",auth_method="x509",outcome="failed",error_class="tls"}`, values: '0+0x60' }],
  },
  {
    alert: 'LakeprobeRuleStuck', at: '20m', labels: { experiment: 'E', test: 't', rse: 'B' },
    bad: [{ series: `lakeprobe_failures_total{${T},rse="B",operation="replicate",error_class="rule_stuck",severity="error"}`, values: '0 0 0 0 0 0 0 0 0 0 1 1 1 1 1 1 1 1 1 1 1 1' }],
    good: [{ series: `lakeprobe_failures_total{${T},rse="B",operation="replicate",error_class="rule_stuck",severity="error"}`, values: '0+0x30' }],
  },
  {
    alert: 'LakeprobeTransferFailing', at: '20m', labels: { experiment: 'E', test: 't', rse: 'B', error_class: 'destination_checksum_missing' },
    bad: [{ series: `lakeprobe_failures_total{${T},rse="B",operation="replicate",error_class="destination_checksum_missing",severity="error"}`, values: '0 0 0 0 0 0 0 0 0 0 1 1 1 1 1 1 1 1 1 1 1 1' }],
    good: [{ series: `lakeprobe_failures_total{${T},rse="B",operation="replicate",error_class="destination_checksum_missing",severity="error"}`, values: '0+0x30' }],
  },
  {
    alert: 'LakeprobeReplicationTooLong', at: '60m', labels: { dst_rse: 'B' },
    bad: [{ series: 'lakeprobe_rule_time_to_ok_seconds_bucket{dst_rse="B",size_class="4GiB",le="3600"}', values: '0+0x90' },
      { series: 'lakeprobe_rule_time_to_ok_seconds_bucket{dst_rse="B",size_class="4GiB",le="14400"}', values: '0+1x90' },
      { series: 'lakeprobe_rule_time_to_ok_seconds_bucket{dst_rse="B",size_class="4GiB",le="+Inf"}', values: '0+1x90' }],
    good: [{ series: 'lakeprobe_rule_time_to_ok_seconds_bucket{dst_rse="B",size_class="4GiB",le="3600"}', values: '0+1x90' },
      { series: 'lakeprobe_rule_time_to_ok_seconds_bucket{dst_rse="B",size_class="4GiB",le="14400"}', values: '0+1x90' },
      { series: 'lakeprobe_rule_time_to_ok_seconds_bucket{dst_rse="B",size_class="4GiB",le="+Inf"}', values: '0+1x90' }],
  },
  {
    alert: 'LakeprobeCredentialExpiring', at: '10m', labels: { auth_method: 'x509' },
    bad: [{ series: 'lakeprobe_credential_expiry_timestamp_seconds{auth_method="x509"}', values: '3600+0x20' }],
    good: [{ series: 'lakeprobe_credential_expiry_timestamp_seconds{auth_method="x509"}', values: '200000+0x20' }],
  },
  {
    alert: 'LakeprobeEmbargoViolation', at: '10m', labels: { experiment: 'E', test: 't', rse: 'A' },
    bad: [{ series: `lakeprobe_embargo_violations_total{${T},rse="A"}`, values: '0 0 0 0 0 1 1 1 1 1 1 1' }],
    good: [{ series: `lakeprobe_embargo_violations_total{${T},rse="A"}`, values: '0+0x12' }],
  },
  {
    alert: 'LakeprobeTestOverdue', at: '30m', labels: { experiment: 'E', test: 't' },
    bad: [{ series: `lakeprobe_schedule_next_run_timestamp_seconds{${T}}`, values: '600+0x40' }],
    // Healthy: the next run is always ahead of now (it moves on every 5 minutes).
    good: [{ series: `lakeprobe_schedule_next_run_timestamp_seconds{${T}}`, values: '300+60x40' }],
  },
  {
    alert: 'LakeprobeRunsMissed', at: '30m', labels: { experiment: 'E', test: 't' },
    bad: [{ series: `lakeprobe_schedule_missed_runs_total{${T}}`, values: '0+1x40' },
      { series: `lakeprobe_schedule_skipped_runs_total{${T},reason="overlap"}`, values: '0+0x40' }],
    good: [{ series: `lakeprobe_schedule_missed_runs_total{${T}}`, values: '0+0x40' },
      { series: `lakeprobe_schedule_skipped_runs_total{${T},reason="overlap"}`, values: '0+0x40' }],
  },
  {
    alert: 'LakeprobeDaemonDown', at: '10m', labels: { job: 'lakeprobe', instance: 'h:9464' },
    bad: [{ series: 'up{job="lakeprobe",instance="h:9464"}', values: '0+0x20' }],
    good: [{ series: 'up{job="lakeprobe",instance="h:9464"}', values: '1+0x20' }],
  },
  {
    alert: 'LakeprobeDaemonStalled', at: '20m', labels: {},
    bad: [{ series: 'lakeprobe_daemon_heartbeat_timestamp_seconds', values: '0+0x30' }],
    good: [{ series: 'lakeprobe_daemon_heartbeat_timestamp_seconds', values: '0+60x30' }],
  },
  {
    alert: 'LakeprobePlanReloadFailed', at: '20m', labels: {},
    bad: [{ series: 'lakeprobe_config_last_reload_successful', values: '1 1 0+0x30' }],
    good: [{ series: 'lakeprobe_config_last_reload_successful', values: '1+0x30' }],
  },
  {
    // The coordinator exports 0 once the agent's heartbeat is stale; a live agent stays at 1.
    alert: 'LakeprobeAgentDown', at: '10m', labels: { agent: 'site-c' },
    bad: [{ series: 'lakeprobe_agent_up{agent="site-c"}', values: '1 1 1 0+0x20' }],
    good: [{ series: 'lakeprobe_agent_up{agent="site-c"}', values: '1+0x20' }],
  },
  {
    alert: 'LakeprobePushStale', at: '1d3h', labels: { job: 'lakeprobe', plan: 'p', experiment: 'E', test: 't', agent: 'a' },
    bad: [{ series: 'push_time_seconds{job="lakeprobe",plan="p",experiment="E",test="t",agent="a"}', values: '60+0x1700' }],
    // Healthy: a push every minute.
    good: [{ series: 'push_time_seconds{job="lakeprobe",plan="p",experiment="E",test="t",agent="a"}', values: '0+60x1700' }],
  },
];

// The misfires seen on a live Prometheus scraping the daemon, each with when the rule must
// (fires: labels of every alert) or must not (fires: []) fire.
interface Misfire { why: string; alert: string; series: { series: string; values: string }[]; checks: { at: string; fires: Record<string, string>[] }[] }
const CRED = (method: string): string => `lakeprobe_credential_expiry_timestamp_seconds{auth_method="${method}"}`;
const RENEWAL_OK = (method: string): string => `lakeprobe_credential_renewal_ok{auth_method="${method}"}`;
const LIFE = (method: string): string => `lakeprobe_credential_lifetime_seconds{auth_method="${method}"}`;
const OPS = (op: string, method: string, outcome: string): string =>
  `lakeprobe_operations_total{${T},rse="A",operation="${op}",protocol="davs",auth_method="${method}",outcome="${outcome}",error_class="${outcome === 'ok' ? 'none' : 'auth_denied'}"}`;
const STUCK = `lakeprobe_failures_total{${T},rse="B",operation="replicate",error_class="rule_stuck",severity="error"}`;

const MISFIRES: Misfire[] = [
  {
    why: 'a standard 12 h proxy, just made, is not expiring; it warns 2 h before its end',
    alert: 'LakeprobeCredentialExpiring',
    series: [{ series: CRED('x509'), values: '43200+0x660' }, { series: LIFE('x509'), values: '43200+0x660' }],
    checks: [{ at: '1m', fires: [] }, { at: '9h', fires: [] }, { at: '10h30m', fires: [{ auth_method: 'x509' }] }],
  },
  {
    why: 'a 1 h token renewed every 30 minutes never warns',
    alert: 'LakeprobeCredentialExpiring',
    series: [{ series: CRED('token'), values: '3600+0x29 5400+0x29 7200+0x29 9000+0x29' }, { series: LIFE('token'), values: '3600+0x119' }],
    checks: [{ at: '1m', fires: [] }, { at: '29m', fires: [] }, { at: '100m', fires: [] }],
  },
  {
    why: 'a 1 h token nobody renews warns in its last quarter',
    alert: 'LakeprobeCredentialExpiring',
    series: [{ series: CRED('token'), values: '3600+0x60' }, { series: LIFE('token'), values: '3600+0x60' }],
    checks: [{ at: '30m', fires: [] }, { at: '50m', fires: [{ auth_method: 'token' }] }],
  },
  {
    why: 'a 15 min proxy that lakeprobe renews with its command is quiet while renewal works, and fires once it fails',
    alert: 'LakeprobeCredentialExpiring',
    series: [{ series: CRED('x509'), values: '900+0x30' }, { series: LIFE('x509'), values: '900+0x30' },
      { series: RENEWAL_OK('x509'), values: '1+0x13 0+0x16' }],
    // Two minutes left at 13 m (under a quarter of 15 min): quiet, renewal works; at 14 m it has failed.
    checks: [{ at: '5m', fires: [] }, { at: '13m', fires: [] }, { at: '14m', fires: [{ auth_method: 'x509' }] }],
  },
  {
    why: 'the same proxy with no renewal configured fires in its last quarter',
    alert: 'LakeprobeCredentialExpiring',
    series: [{ series: CRED('x509'), values: '900+0x30' }, { series: LIFE('x509'), values: '900+0x30' }],
    checks: [{ at: '5m', fires: [] }, { at: '13m', fires: [{ auth_method: 'x509' }] }],
  },
  {
    why: 'the first stuck rule fires although its failure counter is born at 1, and fires once',
    alert: 'LakeprobeRuleStuck',
    series: [{ series: STUCK, values: '_x10 1+0x150' }],
    checks: [{ at: '5m', fires: [] }, { at: '12m', fires: [{ experiment: 'E', test: 't', rse: 'B' }] }, { at: '65m', fires: [{ experiment: 'E', test: 't', rse: 'B' }] }, { at: '2h', fires: [] }],
  },
  {
    why: 'a second stuck rule a day later fires again',
    alert: 'LakeprobeRuleStuck',
    series: [{ series: STUCK, values: '_x10 1+0x1440 2+0x30' }],
    checks: [{ at: '1d', fires: [] }, { at: '1d20m', fires: [{ experiment: 'E', test: 't', rse: 'B' }] }],
  },
  {
    why: 'every userpass and x509 upload on A fails while delete and catalogue calls succeed: each method fires, token does not',
    alert: 'LakeprobeRseFailureRate',
    series: [
      { series: OPS('upload', 'x509', 'failed'), values: '0+1x60' }, { series: OPS('upload', 'userpass', 'failed'), values: '0+1x60' },
      { series: OPS('upload', 'token', 'ok'), values: '0+1x60' }, { series: OPS('download', 'token', 'ok'), values: '0+1x60' },
      { series: OPS('delete', 'x509', 'ok'), values: '0+20x60' }, { series: OPS('delete', 'userpass', 'ok'), values: '0+20x60' },
      { series: OPS('auth', 'token', 'ok'), values: '0+40x60' },
      { series: `lakeprobe_failures_total{${T},rse="A",operation="upload",error_class="auth_denied",severity="error"}`, values: '0+2x60' },
    ],
    checks: [{ at: '40m', fires: [{ rse: 'A', auth_method: 'userpass' }, { rse: 'A', auth_method: 'x509' }] }],
  },
  {
    why: 'a transfer failing with any class fires at its first failure, labelled by the class',
    alert: 'LakeprobeTransferFailing',
    series: [{ series: `lakeprobe_failures_total{${T},rse="B",operation="replicate",error_class="transfer_no_space",severity="error"}`, values: '_x5 1+0x30' },
      { series: STUCK, values: '_x5 1+0x30' }],
    checks: [{ at: '10m', fires: [{ experiment: 'E', test: 't', rse: 'B', error_class: 'transfer_no_space' }] }],
  },
];

function expected(alert: string, labels: Record<string, string>): { exp_labels: Record<string, string | undefined>; exp_annotations: Record<string, string> } {
  const rule = ALERT_RULES.find((r) => r.alert === alert);
  const fill = (text: string): string => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l: string) => labels[l] ?? '');
  return {
    exp_labels: { severity: rule?.labels.severity, alertname: alert, ...labels },
    exp_annotations: { summary: fill(rule?.annotations.summary ?? ''), description: fill(rule?.annotations.description ?? '') },
  };
}

function misfireTests(rulesFile: string): string {
  const tests = MISFIRES.map((f) => ({
    interval: '1m', input_series: f.series,
    alert_rule_test: f.checks.map((c) => ({ eval_time: c.at, alertname: f.alert, exp_alerts: c.fires.map((l) => expected(f.alert, l)) })),
  }));
  return stringify({ rule_files: [rulesFile], evaluation_interval: '1m', tests }, { lineWidth: 0 });
}

function unitTests(rulesFile: string): string {
  const tests = CASES.flatMap((c) => {
    const interval = '1m';
    const rule = ALERT_RULES.find((r) => r.alert === c.alert);
    const labels = { severity: rule?.labels.severity, alertname: c.alert, ...c.labels };
    const fill = (text: string): string => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l: string) => c.labels[l] ?? '');
    const annotations = { summary: fill(rule?.annotations.summary ?? ''), description: fill(rule?.annotations.description ?? '') };
    const bad = { interval, input_series: c.bad, alert_rule_test: [{ eval_time: c.at, alertname: c.alert, exp_alerts: [{ exp_labels: labels, exp_annotations: annotations }] }] };
    const good = { interval, input_series: c.good, alert_rule_test: [{ eval_time: c.at, alertname: c.alert, exp_alerts: [] }] };
    return [bad, good];
  });
  return stringify({ rule_files: [rulesFile], evaluation_interval: '1m', tests }, { lineWidth: 0 });
}

describe('alert rules under promtool', () => {
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} missing: run scripts/install-debian-packages.sh`);
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-alerts-'));
    await writeFile(join(dir, 'rules.yaml'), renderAlertRules());
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('pass promtool check rules', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'rules', join(dir, 'rules.yaml')]);
    expect(stdout).toContain(`SUCCESS: ${ALERT_RULES.length} rules found`);
  });

  it('have a firing and a healthy case for every rule', () => {
    expect(CASES.map((c) => c.alert).sort()).toEqual(ALERT_RULES.map((r) => r.alert).sort());
  });

  it('do not misfire: expiry relative to renewal, the first stuck rule, a broken auth method on one RSE (promtool test rules)', async () => {
    await writeFile(join(dir, 'misfires.yaml'), misfireTests('rules.yaml'));
    const result = await run(PROMTOOL, ['test', 'rules', join(dir, 'misfires.yaml')], { cwd: dir }).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
  });

  it('fire on synthetic failing series and stay quiet on healthy ones (promtool test rules)', async () => {
    await writeFile(join(dir, 'tests.yaml'), unitTests('rules.yaml'));
    const result = await run(PROMTOOL, ['test', 'rules', join(dir, 'tests.yaml')], { cwd: dir }).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
  });
});
