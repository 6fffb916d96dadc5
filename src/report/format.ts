// Small formatting helpers shared by the Markdown and HTML writers.
import { formatBytes } from '../engine/sizes.js';
import type { AuthCell, AuthFailure, ExperimentReport } from './schema.js';

export function formatThroughput(bps: number): string {
  return bps > 0 ? `${formatBytes(bps)}/s` : '–';
}

export const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
export const mbps = (v: number): string => (v > 0 ? `${v.toFixed(v < 0.1 ? 4 : 2)} MB/s` : '–');

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
        return l ? `${percent(l.successRate)} ok · ${mbps(l.mbPerS)} · p50 ${seconds(l.p50Ms)} / p95 ${seconds(l.p95Ms)}` : '–';
      }),
    })),
  };
}
