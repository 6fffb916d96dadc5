// Transfers in flight per link and recovered failures, recorded while the replicate scenario
// waits for its rules, against the sandbox. Rucio 41: every account reads a file's live request
// (lib/rucio/core/permission/generic.py perm_get_request_by_did → True); only root and admin
// accounts read the request history and list a link's requests (perm_get_request_history_by_did,
// perm_list_requests); a failed attempt is archived and retried with retry_count + 1
// (lib/rucio/core/request.py requeue_and_archive). The figures are recounted here from the raw
// results and checked against what the sandbox's transfer tool and catalogue did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { DEFAULT_SANDBOX_CONFIG } from '../../src/sandbox/sandbox-config.js';
import { buildChallengeReport } from '../../src/report/challenge.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { MetricsSink } from '../../src/metrics/registry.js';
import { openLakeSession } from '../../src/engine/lake-session.js';
import { loadTestPlan, runTestPlan, startTestLake, type TestLake } from './lake-fixture.js';

const SRC = 'SANDBOX-FAST';
const DST = 'SANDBOX-SAFE';
/** FTS's link limit on the sandbox link. */
const LINK_LIMIT = 2;
const FILES = 6;

const plan = (files: number): string => `
lake: { sandbox: true }
rses: { names: [${SRC}, ${DST}] }
experiments:
  - name: T
    tests:
      - name: rep
        scenario: replicate
        auth: [token]
        concurrency: ${files}
        params: { size: 1000000, files: ${files}, pairs: [{ from: ${SRC}, to: ${DST} }], timeout_seconds: 120, poll_seconds: 0.2 }
`;

const transfersOf = (results: OpResult[]): OpResult[] =>
  results.filter((r) => r.operation === 'replicate' && r.transfer && r.srcRse === SRC && r.dstRse === DST);

/** The recount: at each moment something starts, how many intervals [from, to) hold it. */
function mostAtOnce(spans: [number, number][]): number {
  return Math.max(0, ...spans.map(([t]) => spans.filter(([a, b]) => a <= t && t < b).length));
}

function spansOf(rs: OpResult[]): { queued: [number, number][]; active: [number, number][] } {
  const queued: [number, number][] = [];
  const active: [number, number][] = [];
  for (const r of rs) {
    const t = r.transfer!;
    const start = t.startedAt ? Date.parse(t.startedAt) : Date.parse(t.endedAt);
    queued.push([Date.parse(t.queuedAt), start]);
    active.push([start, Date.parse(t.endedAt)]);
  }
  return { queued, active };
}

/** Polls the sandbox transfer tool: the most copies it ran at once (its own count, not the catalogue's). */
function watchEngine(lake: TestLake['lake']): { stop(): number } {
  let most = 0;
  const timer = setInterval(() => { most = Math.max(most, lake.transfers.stats().running); }, 20);
  return { stop: () => { clearInterval(timer); return most; } };
}

describe.each(['root', 'probe'] as const)('transfers in flight (%s account)', (account) => {
  let env: TestLake;
  beforeAll(async () => {
    env = await startTestLake('builtin', {
      // 1 MB over 4 Mb/s: each copy lasts about 2 s, so copies overlap and the link limit binds.
      links: [{ from: SRC, to: DST, rtt_ms: 0, bandwidth_mbit: 4, max_active: LINK_LIMIT }],
      catalogue: { ...DEFAULT_SANDBOX_CONFIG.catalogue, account },
    });
  }, 60_000);
  afterAll(() => env?.stop());

  it(`a link limited to ${LINK_LIMIT} copies: active per link reaches ${LINK_LIMIT} and never exceeds it`, async () => {
    const engine = watchEngine(env.lake);
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(FILES)));
    const ranAtOnce = engine.stop();
    const transfers = transfersOf(results);
    expect(transfers.filter((r) => r.outcome === 'ok')).toHaveLength(FILES);
    const seenIn = account === 'root' ? 'history' : 'live';
    expect(transfers.every((r) => r.transfer?.seenIn === seenIn)).toBe(true);

    const { queued, active } = spansOf(transfers);
    const activeMost = mostAtOnce(active);
    const queuedMost = mostAtOnce(queued);
    const sink = new MetricsSink();
    for (const r of results) sink.onResult(r);
    const text = await sink.metrics();
    const report = buildChallengeReport({ results, runs: [], plans: new Map(), name: 'in-flight' });
    const figure = report.experiments[0]!.inFlight.find((f) => f.src === SRC && f.dst === DST);
    console.log(`${account}: engine ran at most ${ranAtOnce} copies; recount active max ${activeMost}, queued max ${queuedMost}; `
      + `figure ${JSON.stringify(figure)}`);
    expect(ranAtOnce).toBe(LINK_LIMIT);
    expect(activeMost).toBe(LINK_LIMIT);
    expect(queuedMost).toBeGreaterThanOrEqual(1);
    expect(figure).toMatchObject({ transfers: FILES, activeMax: activeMost, queuedMax: queuedMost, recovered: 0 });
    expect(figure!.activeMean).toBeGreaterThan(0);
    expect(figure!.activeMean).toBeLessThanOrEqual(LINK_LIMIT);
    expect(text).toContain(`lakeprobe_link_transfers_in_flight_max{src_rse="${SRC}",dst_rse="${DST}",state="active"} ${activeMost}`);
    expect(text).toContain(`lakeprobe_link_transfers_in_flight_max{src_rse="${SRC}",dst_rse="${DST}",state="queued"} ${queuedMost}`);
    const md = renderMarkdown(report, report.experiments[0]!);
    expect(md).toContain('## Transfers in flight');
    expect(md).toMatch(new RegExp(`\\| ${SRC} \\| ${DST} \\| ${FILES} \\| ${queuedMost} \\| [0-9.]+ \\| ${activeMost} \\|`));
  }, 180_000);

  it(`what the ${account} account may read: the live request always; the history and a link's list only as root or admin`, async () => {
    const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(1)));
    const done = transfersOf(results)[0]!;
    expect(done.outcome).toBe('ok');
    const session = await openLakeSession(await loadTestPlan(env.lake, env.dir, plan(1)), 'token');
    const outcome = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'read', (e: { status?: number; exceptionClass?: string }) => `${e.status} ${e.exceptionClass}`);
    try {
      // The transfer is over: no live request (404 for anyone, never a refusal), the history for admins only.
      const did = await session.rucio.getRule(done.ruleId);
      expect(await outcome(session.rucio.getLiveRequest(did.scope, did.name, DST))).toBe('404 RequestNotFound');
      const admin = account === 'root';
      // getRequest reads the history when no live request is left.
      expect(await outcome(session.rucio.getRequest(did.scope, did.name, DST))).toBe(admin ? 'read' : '500 AccessDenied');
      expect(await outcome(session.rucio.listRequests({ srcRse: SRC, dstRse: DST, states: ['Q', 'S'] }))).toBe(admin ? 'read' : '500 AccessDenied');
    } finally {
      session.close?.();
    }
  }, 180_000);

  it('a transfer that fails its first attempt and succeeds on retry is one recovered failure', async () => {
    const before = env.lake.catalogue.admin.listRequests().filter((q) => q.state === 'FAILED').length;
    env.lake.faults.add({ kind: 'transfer_failure', rse: DST, reason: 'source_error', attempts: 1 });
    try {
      const { results } = await runTestPlan(await loadTestPlan(env.lake, env.dir, plan(2)));
      const transfers = transfersOf(results);
      // The catalogue's own record: one FAILED attempt in the history per file.
      const failedAttempts = env.lake.catalogue.admin.listRequests().filter((q) => q.state === 'FAILED').length - before;
      const recovered = transfers.filter((r) => r.outcome === 'ok' && (r.transfer?.failedAttempts ?? 0) > 0).length;
      const report = buildChallengeReport({ results, runs: [], plans: new Map(), name: 'in-flight' });
      const figure = report.experiments[0]!.inFlight.find((f) => f.src === SRC && f.dst === DST);
      const sink = new MetricsSink();
      for (const r of results) sink.onResult(r);
      const text = await sink.metrics();
      console.log(`${account}: catalogue history FAILED attempts ${failedAttempts}; recount recovered ${recovered}; figure ${JSON.stringify(figure)}`);
      expect(transfers.map((r) => r.outcome)).toEqual(['ok', 'ok']);
      expect(failedAttempts).toBe(2);
      expect(recovered).toBe(2);
      expect(figure).toMatchObject({ transfers: 2, recovered: 2, recoveredAttempts: 2 });
      expect(text).toContain(`lakeprobe_link_recovered_transfer_failures_total{src_rse="${SRC}",dst_rse="${DST}"} 2`);
    } finally {
      env.lake.faults.clear();
    }
  }, 180_000);
});
