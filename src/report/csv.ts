import { stringify } from 'csv-stringify/sync';
import { ERROR_CLASS_NAMES } from '../engine/taxonomy.js';
import type { ChallengeReport, ExperimentReport } from './schema.js';

type Cell = string | number;
const csv = (header: string[], rows: Cell[][]): string => stringify([header, ...rows]);

/** One CSV row per RSE × operation × auth × protocol, with a column per error class. */
export function renderCsv(report: ChallengeReport, e: ExperimentReport): string {
  const runs = e.runs.join(' ');
  return csv([
    'run_id', 'experiment', 'rse', 'operation', 'auth_method', 'protocol', 'count', 'failures',
    'p50_ms', 'p95_ms', 'bytes', 'throughput_bytes_per_second', ...ERROR_CLASS_NAMES.map((c) => `failures_${c}`),
  ], e.rows.map((r) => [
    runs || report.name, e.name, r.rse, r.operation, r.authMethod, r.protocol, r.count, r.failures,
    r.p50Ms.toFixed(3), r.p95Ms.toFixed(3), r.bytes, r.throughputBps.toFixed(0),
    ...ERROR_CLASS_NAMES.map((c) => r.failuresByClass[c] ?? 0),
  ]));
}

const ttr = (rs: ExperimentReport['replication']): string => csv(['src_rse', 'dst_rse', 'attempts', 'count', 'p50_ms', 'p90_ms', 'p95_ms', 'p99_ms', 'max_ms'],
  rs.map((r) => [r.src, r.dst, r.attempts, r.count, r.p50Ms, r.p90Ms, r.p95Ms, r.p99Ms, r.maxMs]));

/** Every other table of an experiment, by file suffix (`<experiment>.<suffix>.csv`). */
export function renderCsvTables(e: ExperimentReport): Record<string, string> {
  return {
    tests: csv(['experiment', 'test', 'scenario', 'description', 'verdict', 'operations', 'failures', 'criticals', 'transfers', 'transfers_ok', 'files', 'bytes', 'rses', 'links', 'first_at', 'last_at', 'criteria', 'reasons', 'agent_status'],
      e.tests.map((t) => [e.name, t.test, t.scenario, t.description, t.verdict, t.operations, t.failures, t.criticals, t.transfers, t.transfersOk, t.files, t.bytes, t.rses.join(' '), t.links.join(' '), t.firstAt, t.lastAt,
        t.criteria.map((c) => `${c.status}: ${c.text}${c.fullScale ? ` [full scale: ${c.fullScale}]` : ''} (${c.actual})`).join('; '), t.reasons.join('; '), t.agentStatus])),
    observations: csv(['severity', 'kind', 'error_class', 'count', 'first_at', 'last_at', 'title', 'detail'],
      e.observations.map((o) => [o.severity, o.kind, o.errorClass ?? '', o.count, o.firstAt, o.lastAt, o.title, o.detail])),
    failures: csv(['error_class', 'severity', 'count', 'first_at', 'last_at', 'message', 'example', 'where'],
      e.failures.map((g) => [g.errorClass, g.severity, g.count, g.firstAt, g.lastAt, g.message, g.example, g.where.map((w) => `${w.count}x ${w.operation} [${w.authMethod}] ${w.rse}`).join('; ')])),
    links: csv(['src_rse', 'dst_rse', 'attempts', 'successes', 'success_rate', 'p50_ms', 'p95_ms', 'bytes', 'mb_per_s'],
      e.links.map((l) => [l.src, l.dst, l.attempts, l.successes, l.successRate.toFixed(4), l.p50Ms, l.p95Ms, l.bytes, l.mbPerS.toFixed(3)])),
    'link-sizes': csv(['src_rse', 'dst_rse', 'size_class', 'attempts', 'successes', 'mb_per_s', 'best'],
      e.linkSizes.map((s) => [s.src, s.dst, s.sizeClass, s.attempts, s.successes, s.mbPerS.toFixed(3), String(s.best)])),
    'time-to-replicate': ttr(e.replication),
    'time-to-replicate-per-rule': ttr(e.replicationPerRule),
    'in-flight': csv(['src_rse', 'dst_rse', 'transfers', 'queued_max', 'queued_mean', 'active_max', 'active_mean', 'seconds', 'recovered', 'recovered_attempts'],
      e.inFlight.map((r) => [r.src, r.dst, r.transfers, r.queuedMax, r.queuedMean.toFixed(3), r.activeMax, r.activeMean.toFixed(3), r.seconds.toFixed(3), r.recovered, r.recoveredAttempts])),
    'success-over-time': csv(['slot_start', 'operations', 'successes', 'success_rate'],
      e.successOverTime.map((b) => [b.start, b.attempts, b.successes, b.successRate.toFixed(4)])),
    'availability-rse': csv(['rse', 'slots', 'up_slots', 'availability'],
      e.availabilityByRse.map((a) => [a.key, a.slots, a.upSlots, a.availability.toFixed(4)])),
    'availability-test': csv(['test', 'slots', 'up_slots', 'availability'],
      e.availabilityByTest.map((a) => [a.key, a.slots, a.upSlots, a.availability.toFixed(4)])),
    daily: csv(['day', 'rse', 'attempts', 'successes', 'success_rate'],
      e.daily.map((d) => [d.day, d.rse, d.attempts, d.successes, d.successRate.toFixed(4)])),
    auth: csv(['test', 'auth_method', 'rse', 'operation', 'attempts', 'failures', 'error_classes'],
      [...e.authMatrix.map((c): Cell[] => [c.test, c.authMethod, c.rse, c.operation, c.attempts, c.failures, c.errorClasses.join(' ')]),
        ...e.authFailures.map((a): Cell[] => [a.test, a.authMethod, '', 'auth', a.attempts, a.failures, a.errorClasses.join(' ')])]),
    embargo: csv(['identity', 'operation', 'access_path', 'rse', 'attempts', 'ok', 'violations', 'other_failures'],
      e.embargo.map((c) => [c.identity, c.operation, c.accessPath, c.rse, c.attempts, c.ok, c.violations, c.otherFailures])),
    // Per agent only when results name their agents (a challenge run from many sites).
    ...(e.linksByAgent.length ? {
      'links-by-agent': csv(['agent', 'src_rse', 'dst_rse', 'attempts', 'successes', 'success_rate', 'p50_ms', 'p95_ms', 'bytes', 'mb_per_s'],
        e.linksByAgent.map((l) => [l.agent, l.src, l.dst, l.attempts, l.successes, l.successRate.toFixed(4), l.p50Ms, l.p95Ms, l.bytes, l.mbPerS.toFixed(3)])),
    } : {}),
    ...(e.availabilityByAgent.length ? {
      'availability-agent': csv(['agent', 'rse', 'slots', 'up_slots', 'availability'],
        e.availabilityByAgent.map((a) => [a.agent, a.rse, a.slots, a.upSlots, a.availability.toFixed(4)])),
    } : {}),
  };
}

/** The agents of a challenge run from many sites, as the report was written. */
export function renderAgentsCsv(report: ChallengeReport): string {
  return csv(['agent', 'state', 'status', 'last_heartbeat', 'clock_offset_ms', 'tests'],
    report.agents.map((a) => [a.agent, a.state, a.status, a.lastHeartbeat, a.clockOffsetMs.toFixed(0), a.tests.join(' ')]));
}

/** The challenge table across experiments. */
export function renderSummaryCsv(report: ChallengeReport): string {
  const tests = new Map(report.experiments.flatMap((e) => e.tests.map((t) => [`${t.experiment}\u0000${t.test}`, t] as const)));
  return csv(['experiment', 'test', 'description', 'success_metric', 'volume', 'data_rate', 'qos', 'rses', 'scale', 'completed', 'files', 'bytes', 'data_rate_bytes_per_second'],
    report.summary.map((s) => {
      const t = tests.get(`${s.experiment}\u0000${s.test}`);
      return [s.experiment, s.test, s.description, s.successMetric, s.volume, s.dataRate, s.qos, s.rses, s.scale, s.completed,
        t?.files ?? '', t?.bytes ?? '', t ? Math.round(t.dataRateMBps * 1e6) : ''];
    }));
}
