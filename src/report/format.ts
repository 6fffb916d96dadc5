// The one formatter of sizes, rates and durations for every writer (Markdown, HTML, titles,
// summaries), and the tables the writers share. CSV and JSON keep the raw numbers.
import { formatBytes } from '../engine/sizes.js';
import { CATALOGUE_RESOLUTION_MS } from './figures.js';
import { clockOffsetText } from '../agents/view.js';
import type {
  AgentAvailability, AgentLinkCell, AgentReport, AuthCell, AuthFailure, ExperimentReport, InFlight, OperationRow, ReplicationPercentiles,
} from './schema.js';

export { formatBytes };

const RATE_UNITS = ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s'];

/** A rate in bytes per second, in decimal units as transfer rates are quoted ("12.5 MB/s"); "–" when nothing moved. */
export function formatRate(bytesPerSecond: number): string {
  if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) return '–';
  let value = bytesPerSecond;
  let i = 0;
  while (value >= 1000 && i < RATE_UNITS.length - 1) { value /= 1000; i++; }
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value)} ${RATE_UNITS[i]}`;
}

/** A rate given in MB (10^6 bytes) per second, as the report model holds it. */
export const mbps = (mbPerS: number): string => formatRate(mbPerS * 1e6);

/**
 * A duration: "850 ms", "4.20 s", "3 min 05 s", "2 h 07 min". With a resolution of whole seconds
 * (times read from the catalogue), whole seconds, and "< 1 s" for what took less than one.
 */
export function formatDuration(ms: number, resolutionMs = 0): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (resolutionMs >= 1000) {
    const s = Math.round(ms / 1000);
    if (s === 0) return '< 1 s';
    if (s < 60) return `${s} s`;
  } else if (ms < 1000) return `${ms < 10 ? Number(ms.toFixed(1)) : Math.round(ms)} ms`;
  else if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const total = Math.round(ms / 1000);
  if (total < 3600) return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
  const minutes = Math.round(total / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;

/** A time to replicate: whole seconds, the catalogue's resolution. */
export const replicationTime = (ms: number): string => formatDuration(ms, CATALOGUE_RESOLUTION_MS);

export const TIME_TO_REPLICATE = {
  header: ['source', 'destination', 'tried', 'reached OK', 'p50', 'p90', 'p95', 'p99', 'max'],
  perFile: 'Per file: from the rule\'s creation until that file\'s lock is OK, over the files that arrived. '
    + 'Read from the catalogue\'s timestamps (rule created_at → the transfer\'s transferred_at), which Rucio gives to the second: '
    + 'each time is exact to ±1 s, and "< 1 s" means within the same second. A scenario with one file per rule (replicate) '
    + 'polls its rule instead: exact to one poll interval.',
  perRule: 'Per rule: from the rule\'s creation until every lock on the destination is OK, as lakeprobe polled the rule '
    + '(exact to one poll interval). Rules are not files: they add nothing to the file counts and volumes.',
  rows: (rs: ReplicationPercentiles[]): (string | number)[][] => rs.map((r) => [r.src, r.dst, r.attempts, r.count,
    replicationTime(r.p50Ms), replicationTime(r.p90Ms), replicationTime(r.p95Ms), replicationTime(r.p99Ms), replicationTime(r.maxMs)]),
};

/** Transfers in flight per link: one formatter for the report's table. */
export const IN_FLIGHT = {
  header: ['source', 'destination', 'transfers', 'queued max', 'queued mean', 'active max', 'active mean', 'over', 'recovered failures'],
  about: 'Per link, from the file transfers\' requests: queued from the request\'s creation until its copy started, active until it ended; '
    + 'the most at once and the time-weighted mean over the link\'s busy span. Recovered failures: transfers that failed, were retried '
    + 'and arrived (failed attempts in brackets).',
  rows: (rs: InFlight[]): (string | number)[][] => rs.map((r) => [r.src, r.dst, r.transfers, r.queuedMax, r.queuedMean.toFixed(1),
    r.activeMax, r.activeMean.toFixed(1), formatDuration(r.seconds * 1000), r.recovered ? `${r.recovered} (${r.recoveredAttempts})` : '0']),
};

/** The per RSE × operation table: one formatter for its durations and rates. */
export const OPERATION_ROWS = {
  header: ['RSE', 'operation', 'auth', 'protocol', 'count', 'failures', 'failures by class', 'p50', 'p95', 'throughput'],
  rows: (rs: OperationRow[]): (string | number)[][] => rs.map((r) => [r.rse, r.operation, r.authMethod, r.protocol, r.count, r.failures,
    Object.entries(r.failuresByClass).map(([c, n]) => `${c}×${n}`).join(', ') || '–', formatDuration(r.p50Ms), formatDuration(r.p95Ms),
    formatRate(r.throughputBps)]),
};

export interface AuthGrid {
  test: string;
  methods: string[];
  rses: string[];
  /** cell text by `${rse}\0${method}` */
  cells: Map<string, { text: string; bad: boolean }>;
}

/**
 * Per test, RSE × auth method: "ok (N ops)", "f/N failed", "auth failed (class)" when the
 * method never logged in, "not run" when it logged in but never acted on that RSE.
 */
export function authGrids(e: ExperimentReport): AuthGrid[] {
  const tests = [...new Set([...e.authMatrix.map((c) => c.test), ...e.authFailures.map((a) => a.test)])].sort();
  return tests.map((test) => {
    const cells = e.authMatrix.filter((c) => c.test === test);
    const logins = e.authFailures.filter((a) => a.test === test);
    const methods = [...new Set([...cells.map((c) => c.authMethod), ...logins.map((a) => a.authMethod)])].sort();
    const rses = [...new Set(cells.map((c) => c.rse))].sort();
    const grid = new Map<string, { text: string; bad: boolean }>();
    for (const rse of rses) {
      for (const m of methods) grid.set(`${rse}\u0000${m}`, cellText(cells.filter((c) => c.rse === rse && c.authMethod === m), logins.find((a) => a.authMethod === m)));
    }
    return { test, methods, rses, cells: grid };
  });
}

function cellText(mine: AuthCell[], login: AuthFailure | undefined): { text: string; bad: boolean } {
  const count = mine.reduce((n, c) => n + c.attempts, 0);
  const failures = mine.reduce((n, c) => n + c.failures, 0);
  if (count === 0) {
    if (login && !login.loggedIn) return { text: `auth failed (${login.errorClasses.join(', ') || 'unknown'})`, bad: true };
    return { text: 'not run', bad: false };
  }
  if (failures === 0) return { text: `ok (${count} ops)`, bad: false };
  const which = mine.filter((c) => c.failures > 0).map((c) => `${c.operation} ${c.failures}/${c.attempts} (${c.errorClasses.join(', ')})`);
  return { text: `${failures}/${count} failed: ${which.join('; ')}`, bad: true };
}

/** The daily table as sites post it: one row per RSE, one column per UTC day (the last `maxDays`), "ok/all (share)". */
export function dailyPivot(e: ExperimentReport, maxDays = 31): { days: string[]; rows: { rse: string; cells: string[] }[] } {
  const days = [...new Set(e.daily.map((d) => d.day))].sort().slice(-maxDays);
  const rses = [...new Set(e.daily.map((d) => d.rse))].sort();
  return {
    days,
    rows: rses.map((rse) => ({
      rse,
      cells: days.map((day) => {
        const c = e.daily.find((d) => d.day === day && d.rse === rse);
        return c ? `${c.successes}/${c.attempts} (${percent(c.successRate)})` : '–';
      }),
    })),
  };
}

/** The link matrix proper: sources down, destinations across, "success · MB/s · p50/p95" per cell. */
export function linkGrid(e: ExperimentReport): { dsts: string[]; rows: { src: string; cells: string[] }[] } {
  const srcs = [...new Set(e.links.map((l) => l.src))].sort();
  const dsts = [...new Set(e.links.map((l) => l.dst))].sort();
  return {
    dsts,
    rows: srcs.map((src) => ({
      src,
      cells: dsts.map((dst) => {
        const l = e.links.find((x) => x.src === src && x.dst === dst);
        return l ? `${percent(l.successRate)} ok · ${mbps(l.mbPerS)} · p50 ${replicationTime(l.p50Ms)} / p95 ${replicationTime(l.p95Ms)}` : '–';
      }),
    })),
  };
}

/** The link table per agent: one formatter for Markdown and HTML. */
export const LINKS_BY_AGENT = {
  header: ['agent', 'source', 'destination', 'files tried', 'success', 'p50', 'p95', 'volume', 'rate'],
  about: 'The links as each agent\'s copies went over them, from the results that name the agent that ran them.',
  rows: (cells: AgentLinkCell[]): (string | number)[][] => cells.map((l) => [l.agent, l.src, l.dst, l.attempts, percent(l.successRate),
    replicationTime(l.p50Ms), replicationTime(l.p95Ms), formatBytes(l.bytes), mbps(l.mbPerS)]),
};

/** Availability per agent and RSE: one formatter for Markdown and HTML. */
export const AVAILABILITY_BY_AGENT = {
  header: ['agent', 'RSE', 'slots exercised', 'slots up', 'availability'],
  about: 'Each RSE as reached from each agent\'s site, and each agent over all its RSEs: the share of slots the agent exercised in which one of its storage operations succeeded.',
  rows: (rows: AgentAvailability[]): (string | number)[][] => rows.map((a) => [a.agent, a.rse || 'all its RSEs', a.slots, a.upSlots, percent(a.availability)]),
};

/** A verdict and why no agent runs its test (the status text has parentheses of its own, so a dash sets it apart). */
export const withAgentStatus = (verdict: string, agentStatus: string): string => (agentStatus ? `${verdict} — ${agentStatus}` : verdict);

/** The agents of a challenge run from many sites: one formatter for Markdown and HTML. */
export const AGENTS = {
  header: ['agent', 'state', 'last heartbeat', 'clock offset', 'tests'],
  rows: (agents: AgentReport[]): string[][] => agents.map((a) => [a.agent, a.status, a.lastHeartbeat, clockOffsetText(a.clockOffsetMs), a.tests.join(', ') || '–']),
};
