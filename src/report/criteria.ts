// A test's success criteria measured against its recorded operations: each says its target, what
// was measured, and whether it was met, missed, or could not be judged (nothing recorded to judge it).
// Under --scale each also gives its full-scale target.
import type { CheckKind, OpResult } from '../engine/op-result.js';
import { formatBytes } from '../engine/sizes.js';
import type { SuccessSnapshot } from '../results/plan-snapshot.js';
import { availabilityByRse } from './availability.js';
import { filesMoved } from './figures.js';
import { mbps, percent } from './format.js';
import { DATA_OPS, endOf, groupBy, minMax, percentile } from './model.js';
import type { Criterion } from './schema.js';

const files = (n: number): string => `${n} file${n === 1 ? '' : 's'}`;
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const trimPct = (x: number): string => `${Number((x * 100).toFixed(2))} %`;
const secs = (s: number): string => `${Number(s.toFixed(1))} s`;
const rate = (bytesPerSecond: number): string => mbps(bytesPerSecond / 1e6);

/** A test that replicates is judged by its replications (its uploads only feed them); any other by its uploads. */
export const isReplication = (rs: OpResult[], scenario: string): boolean => scenario === 'replicate' || rs.some((r) => r.operation === 'replicate');

/**
 * Files and bytes that reached their destination (replicated, or uploaded by a test that does not replicate),
 * counting only what landed within `withinSeconds` of each run's first operation of the test.
 */
export function volume(rs: OpResult[], scenario: string, withinSeconds?: number): { files: number; bytes: number } {
  const kind = isReplication(rs, scenario) ? 'replicate' : 'upload';
  let n = 0;
  let bytes = 0;
  for (const run of groupBy(rs, (r) => r.runId).values()) {
    const t0 = minMax(run.map((r) => Date.parse(r.start))).min;
    // One definition of a moved file (figures.ts): a copy counts once, a rule-level result never.
    for (const r of filesMoved(run, new Set([kind]))) {
      if (withinSeconds !== undefined && Date.parse(endOf(r)) - t0 > withinSeconds * 1000) continue;
      n++;
      bytes += r.bytes;
    }
  }
  return { files: n, bytes };
}

/** Bytes over the wall time of each run's part of the test (summed over runs), in MB/s. */
export function dataRate(rs: OpResult[], bytes: number): number {
  let ms = 0;
  for (const run of groupBy(rs, (r) => r.runId).values()) {
    ms += minMax(run.map((r) => Date.parse(endOf(r)))).max - minMax(run.map((r) => Date.parse(r.start))).min;
  }
  return ms > 0 ? bytes / (ms / 1000) / 1e6 : 0;
}

type Status = Criterion['status'];
const criterion = (text: string, status: Status, actual: string, fullScale = '', implicit = false): Criterion =>
  ({ text, met: status === 'met', status, actual, implicit, fullScale });
const judged = (ok: boolean): Status => (ok ? 'met' : 'missed');

const checksOf = (rs: OpResult[], kind: CheckKind): OpResult[] => rs.filter((r) => r.check?.kind === kind);

function volumeText(s: SuccessSnapshot, verb: string): string {
  const wanted = [s.minFiles !== undefined ? files(s.minFiles) : '', s.minBytes !== undefined ? formatBytes(s.minBytes) : ''].filter(Boolean).join(' / ');
  return `${wanted} ${verb}${s.withinSeconds !== undefined ? ` within ${s.withinSeconds} s` : ''}`;
}

/** A fact every check of its kind must have established (at least one check recorded). */
function factCriterion(rs: OpResult[], kind: CheckKind, text: string): Criterion {
  const checks = checksOf(rs, kind);
  if (checks.length === 0) return criterion(text, 'inconclusive', `no ${kind.replace(/_/g, ' ')} check recorded`);
  const bad = checks.filter((r) => r.outcome !== 'ok');
  const where = [...new Set(bad.map((r) => r.check?.target ?? ''))].filter(Boolean).slice(0, 3).join(', ');
  return criterion(text, judged(bad.length === 0), `${checks.length - bad.length} of ${checks.length} checks held${where ? ` (not on ${where}${bad[0]?.errorMessage ? `: ${bad[0].errorMessage}` : ''})` : ''}`);
}

/** Per asked expression: every rule made for it has the asked copies OK (one rule-level result per RSE it placed on). */
function replicaCriterion(rs: OpResult[], ask: { expression: string; copies: number }): Criterion {
  const text = `${ask.copies} cop${ask.copies === 1 ? 'y' : 'ies'} on ${ask.expression}`;
  const mine = checksOf(rs, 'placement').filter((r) => r.check?.target === ask.expression);
  if (mine.length === 0) return criterion(text, 'inconclusive', `no rule on ${ask.expression} recorded`);
  const rules = [...groupBy(mine, (r) => r.ruleId || `${r.runId}:${r.dstRse}`).values()];
  const placed = rules.map((list) => new Set(list.filter((r) => r.outcome === 'ok').map((r) => r.dstRse)));
  const short = placed.filter((p) => p.size < ask.copies).length;
  const on = [...new Set(placed.flatMap((p) => [...p]))].sort().slice(0, 5).join(', ');
  return criterion(text, judged(short === 0), `${rules.length - short} of ${rules.length} rule${rules.length === 1 ? '' : 's'} with ${ask.copies} OK cop${ask.copies === 1 ? 'y' : 'ies'}${on ? ` (on ${on})` : ''}`);
}

export interface CriteriaOptions {
  /** The criteria as the plan writes them, when the run was scaled. */
  fullScale?: SuccessSnapshot;
  /** Slot length of availability (the report's). */
  slotSeconds: number;
}

export function evaluateCriteria(rs: OpResult[], s: SuccessSnapshot, scenario = '', opts: CriteriaOptions = { slotSeconds: 300 }): Criterion[] {
  const out: Criterion[] = [];
  const full = opts.fullScale;
  const failures = rs.filter((r) => r.outcome === 'failed').length;
  const failureRate = rs.length ? failures / rs.length : 0;
  const transfers = rs.filter((r) => DATA_OPS.has(r.operation));
  const okTransfers = transfers.filter((r) => r.outcome === 'ok').length;
  // The failure rate is always judged (no failure allowed unless the plan says otherwise), except
  // when the plan states the success rate of transfers instead.
  if (s.maxFailureRate !== undefined || s.minSuccessRate === undefined) {
    const max = s.maxFailureRate ?? 0;
    out.push(criterion(max === 0 ? 'no operation failed' : `≤ ${trimPct(max)} of operations failed`, judged(failureRate <= max),
      `${failures} of ${rs.length} failed (${pct(failureRate)})`, '', s.maxFailureRate === undefined));
  }
  if (s.minSuccessRate !== undefined) {
    const share = transfers.length ? okTransfers / transfers.length : 0;
    out.push(criterion(`≥ ${trimPct(s.minSuccessRate)} of transfers succeeded`, transfers.length ? judged(share >= s.minSuccessRate) : 'inconclusive',
      `${okTransfers} of ${transfers.length} succeeded (${pct(share)})`));
  }
  if (s.maxP95Ms !== undefined) {
    const p95 = percentile(rs.map((r) => r.durationMs), 95);
    out.push(criterion(`p95 ≤ ${s.maxP95Ms} ms`, judged(p95 <= s.maxP95Ms), `p95 ${p95.toFixed(0)} ms`));
  }
  const verb = isReplication(rs, scenario) ? 'replicated' : 'uploaded';
  if (s.minFiles !== undefined || s.minBytes !== undefined) {
    const v = volume(rs, scenario, s.withinSeconds);
    const text = volumeText(s, verb);
    const fullText = full ? volumeText(full, verb) : '';
    out.push(criterion(text, judged(v.files >= (s.minFiles ?? 0) && v.bytes >= (s.minBytes ?? 0)),
      `${files(v.files)} / ${formatBytes(v.bytes)}${s.withinSeconds !== undefined ? ` within ${s.withinSeconds} s` : ''}`, fullText === text ? '' : fullText));
  }
  if (s.minRate !== undefined) {
    const v = volume(rs, scenario);
    const measured = dataRate(rs, v.bytes) * 1e6;
    out.push(criterion(`≥ ${rate(s.minRate)} sustained`, v.bytes > 0 ? judged(measured >= s.minRate) : 'inconclusive',
      `${mbps(measured / 1e6)} (${formatBytes(v.bytes)} ${verb})`));
  }
  if (s.replicationTime) {
    const { percentile: p, maxSeconds } = s.replicationTime;
    const ok = checksOf(rs, 'placement').filter((r) => r.outcome === 'ok' && r.srcRse && r.dstRse);
    const links = [...groupBy(ok, (r) => `${r.srcRse}→${r.dstRse}`).entries()]
      .map(([link, list]) => ({ link, s: percentile(list.map((r) => r.durationMs), p) / 1000 })).sort((a, b) => b.s - a.s);
    const text = `time to replicate p${p} ≤ ${secs(maxSeconds)} on every link`;
    out.push(links.length
      ? criterion(text, judged(links.every((l) => l.s <= maxSeconds)), links.slice(0, 5).map((l) => `${l.link} p${p} ${secs(l.s)}`).join(', ') + (links.length > 5 ? ` (+${links.length - 5} links)` : ''))
      : criterion(text, 'inconclusive', 'no replication reached OK'));
  }
  if (s.maxRuleSeconds !== undefined) {
    const rules = checksOf(rs, 'placement');
    const text = `no rule stuck or replicating beyond ${secs(s.maxRuleSeconds)}`;
    const fullText = full?.maxRuleSeconds !== undefined && full.maxRuleSeconds !== s.maxRuleSeconds ? `no rule stuck or replicating beyond ${secs(full.maxRuleSeconds)}` : '';
    const notOk = rules.filter((r) => r.outcome !== 'ok');
    const slowest = minMax(rules.map((r) => r.durationMs / 1000)).max;
    out.push(rules.length
      ? criterion(text, judged(notOk.length === 0 && slowest <= s.maxRuleSeconds),
        `${rules.length} rule placements, slowest ${secs(slowest)}${notOk.length ? `, ${notOk.length} not OK (${[...new Set(notOk.map((r) => r.errorClass))].join(', ')})` : ''}`, fullText)
      : criterion(text, 'inconclusive', 'no rule recorded', fullText));
  }
  if (s.deletedAtOrigin) out.push(factCriterion(rs, 'deleted_at_origin', 'deleted at the origin'));
  for (const ask of s.replicas ?? []) out.push(replicaCriterion(rs, ask));
  if (s.discoverable) out.push(factCriterion(rs, 'discoverable', 'discoverable by the client\'s listing'));
  if (s.metadata) out.push(factCriterion(rs, 'metadata', 'metadata set and read back'));
  if (s.minAvailability !== undefined) {
    const rses = availabilityByRse(rs, opts.slotSeconds).sort((a, b) => a.availability - b.availability);
    const text = `availability ≥ ${trimPct(s.minAvailability)} on every RSE`;
    const low = rses[0];
    out.push(low
      ? criterion(text, judged(low.availability >= s.minAvailability), `lowest ${low.key} ${percent(low.availability)} (${low.upSlots} of ${low.slots} slots of ${opts.slotSeconds} s)`)
      : criterion(text, 'inconclusive', 'no RSE exercised'));
  }
  return out;
}

const MARKS: Record<Criterion['status'], string> = { met: '✓', missed: '✗', inconclusive: '?' };

/** A criterion in one line, as every format writes it: mark, target (and the full-scale one), measured value. */
export function criterionLine(c: Criterion): string {
  return `${MARKS[c.status]} ${c.text}${c.fullScale ? ` [full scale: ${c.fullScale}]` : ''} (${c.actual})`;
}
