// The tables of a report: links, sizes per link, time to replicate, auth and embargo matrices, cache reads.
import type { OpResult } from '../engine/op-result.js';
import { fileCopies, fileReplicationTimes, moved, percentile, ruleResults } from './figures.js';
import { groupBy } from './model.js';
import type { AgentLinkCell, AuthCell, AuthFailure, CacheCell, EmbargoCell, LinkCell, LinkSize, ReplicationPercentiles } from './schema.js';

const REPLICATE: ReadonlySet<string> = new Set(['replicate']);
const onLink = (r: OpResult): boolean => !!(r.srcRse && r.dstRse);
/** The file copies replicated over a link (rule-level results aside: they are rules, not files). */
const transfers = (rs: OpResult[]): OpResult[] => fileCopies(rs, REPLICATE).filter(onLink);
const linkKey = (r: OpResult): string => `${r.srcRse}\u0000${r.dstRse}`;
const mbPerS = (rs: OpResult[]): number => moved(rs, REPLICATE).bytesPerSecond / 1e6;
const bySrcDst = (a: { src: string; dst: string }, b: { src: string; dst: string }): number =>
  a.src.localeCompare(b.src) || a.dst.localeCompare(b.dst);

/** Source × destination over file copies: success share, p50/p95 of the successful ones, MB/s. */
export function linkMatrix(results: OpResult[]): LinkCell[] {
  return [...groupBy(transfers(results), linkKey).values()].map((rs) => {
    const ok = rs.filter((r) => r.outcome === 'ok');
    const times = ok.map((r) => r.durationMs);
    return {
      src: rs[0]!.srcRse, dst: rs[0]!.dstRse, attempts: rs.length, successes: ok.length, successRate: ok.length / rs.length,
      p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), bytes: moved(rs, REPLICATE).bytes, mbPerS: mbPerS(rs),
    };
  }).sort(bySrcDst);
}

/**
 * The link matrix per agent that ran the copies (the source of the traffic as each site sees it),
 * over the results that name an agent: empty when none does (a single process without --agent).
 */
export function linksByAgent(results: OpResult[]): AgentLinkCell[] {
  const byAgent = groupBy(results.filter((r) => r.agent), (r) => r.agent as string);
  return [...byAgent].sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([agent, rs]) => linkMatrix(rs).map((cell) => ({ agent, ...cell })));
}

/** MB/s per link and file size class, marking the size that moves fastest on each link. */
export function linkSizes(results: OpResult[]): LinkSize[] {
  const cells = [...groupBy(transfers(results), (r) => `${linkKey(r)}\u0000${r.sizeClass}`).values()].map((rs) => ({
    src: rs[0]!.srcRse, dst: rs[0]!.dstRse, sizeClass: rs[0]!.sizeClass, bytesPerFile: rs[0]!.bytes, attempts: rs.length,
    successes: rs.filter((r) => r.outcome === 'ok').length, mbPerS: mbPerS(rs), best: false,
  }));
  for (const link of groupBy(cells, (c) => `${c.src}\u0000${c.dst}`).values()) {
    const best = link.filter((c) => c.mbPerS > 0).sort((a, b) => b.mbPerS - a.mbPerS)[0];
    if (best) best.best = true;
  }
  return cells.sort((a, b) => bySrcDst(a, b) || a.bytesPerFile - b.bytesPerFile).map(({ bytesPerFile: _, ...c }) => c);
}

function percentilesPerLink(rs: OpResult[], attempts: OpResult[]): ReplicationPercentiles[] {
  const tried = groupBy(attempts, linkKey);
  return [...groupBy(rs, linkKey).values()].map((mine) => {
    const t = mine.map((r) => r.durationMs);
    return {
      src: mine[0]!.srcRse, dst: mine[0]!.dstRse, attempts: tried.get(linkKey(mine[0]!))?.length ?? mine.length, count: mine.length,
      p50Ms: percentile(t, 50), p90Ms: percentile(t, 90), p95Ms: percentile(t, 95), p99Ms: percentile(t, 99), maxMs: percentile(t, 100),
    };
  }).sort(bySrcDst);
}

/** Time to replicate per file (rule creation → that file's lock OK), per link, over the files that arrived. */
export function replicationPercentiles(results: OpResult[]): ReplicationPercentiles[] {
  return percentilesPerLink(fileReplicationTimes(results).filter(onLink), transfers(results));
}

/** Time to replicate per rule (rule creation → every lock on the destination OK), per link, over the rules that got there. */
export function ruleReplicationPercentiles(results: OpResult[]): ReplicationPercentiles[] {
  const rules = ruleResults(results).filter(onLink);
  return percentilesPerLink(rules.filter((r) => r.outcome === 'ok'), rules);
}

const classes = (rs: OpResult[]): string[] => [...new Set(rs.map((r) => r.errorClass).filter((c): c is NonNullable<typeof c> => !!c))].sort();

/** Test × auth method × RSE × operation, for everything that acted on an RSE. */
export function authMatrix(results: OpResult[]): AuthCell[] {
  const onRse = results.filter((r) => r.rse);
  return [...groupBy(onRse, (r) => [r.test, r.authMethod, r.rse, r.operation].join('\u0000')).values()].map((rs) => ({
    test: rs[0]!.test, authMethod: rs[0]!.authMethod, rse: rs[0]!.rse, operation: rs[0]!.operation,
    attempts: rs.length, failures: rs.filter((r) => r.outcome === 'failed').length, errorClasses: classes(rs),
  })).sort((a, b) => a.test.localeCompare(b.test) || a.authMethod.localeCompare(b.authMethod)
    || a.rse.localeCompare(b.rse) || a.operation.localeCompare(b.operation));
}

/** Logins per test and method: how often they failed, and whether any succeeded at all. */
export function authFailures(results: OpResult[]): AuthFailure[] {
  // The test's own logins; another identity's (an embargo outsider's) are its own observation.
  const logins = results.filter((r) => r.operation === 'auth' && r.identityRole === 'default');
  return [...groupBy(logins, (r) => `${r.test}\u0000${r.authMethod}`).values()].map((rs) => {
    const failed = rs.filter((r) => r.outcome === 'failed');
    return {
      test: rs[0]!.test, authMethod: rs[0]!.authMethod, attempts: rs.length, failures: failed.length,
      errorClasses: classes(failed), loggedIn: failed.length < rs.length,
    };
  }).sort((a, b) => a.test.localeCompare(b.test) || a.authMethod.localeCompare(b.authMethod));
}

/** Identity × operation × access path (protocol) per RSE, for tests that act under more than one identity. */
export function embargoMatrix(results: OpResult[]): EmbargoCell[] {
  const roles = new Set(results.map((r) => r.identityRole));
  const tests = new Set(results.filter((r) => r.identityRole !== 'default').map((r) => r.test));
  if (roles.size < 2 && !results.some((r) => r.errorClass === 'embargo_violation')) return [];
  const mine = results.filter((r) => (tests.has(r.test) || r.errorClass === 'embargo_violation') && r.rse && r.operation !== 'list');
  return [...groupBy(mine, (r) => [r.identityRole, r.operation, r.protocol, r.rse].join('\u0000')).values()].map((rs) => {
    const violations = rs.filter((r) => r.errorClass === 'embargo_violation').length;
    const failures = rs.filter((r) => r.outcome === 'failed').length;
    return {
      identity: rs[0]!.identityRole, operation: rs[0]!.operation, accessPath: rs[0]!.protocol, rse: rs[0]!.rse,
      attempts: rs.length, ok: rs.length - failures, violations, otherFailures: failures - violations,
    };
  }).sort((a, b) => a.identity.localeCompare(b.identity) || a.operation.localeCompare(b.operation)
    || a.accessPath.localeCompare(b.accessPath) || a.rse.localeCompare(b.rse));
}

/** Reads through each cache RSE per test, hits and misses as the cache's own count decided them (the `cache` facts). */
export function cacheTable(results: OpResult[]): CacheCell[] {
  const reads = results.filter((r) => r.outcome === 'ok' && r.check?.kind === 'cache' && r.check.cache);
  return [...groupBy(reads, (r) => `${r.test}\u0000${r.rse}`).values()].map((rs) => {
    const hits = rs.filter((r) => r.check?.cache === 'hit').length;
    return { test: (rs[0] as OpResult).test, rse: (rs[0] as OpResult).rse, reads: rs.length, hits, misses: rs.length - hits };
  }).sort((a, b) => a.test.localeCompare(b.test) || a.rse.localeCompare(b.rse));
}
