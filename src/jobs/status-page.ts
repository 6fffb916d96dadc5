import type { CredentialLifetime } from '../schedule/credential-lifetimes.js';
import type { FailureRecord, RunRecord } from '../schedule/history.js';
import type { CurrentStatus, SubjectState } from '../schedule/current-state.js';
import type { ReplicaState } from '../results/replicator.js';

export interface StatusView {
  plan: string;
  planFile: string;
  startedAt: Date;
  now: Date;
  reload: { ok: boolean; at: Date | null; message: string };
  next: { test: string; at: Date; cycle?: string }[];
  runs: readonly RunRecord[];
  failures: readonly FailureRecord[];
  credentials: readonly CredentialLifetime[];
  stopping: boolean;
  refreshSeconds: number;
  /** What is failing now per RSE and auth method; the page opens with it. */
  current?: CurrentStatus;
  /** The agents of the shared store, when the daemon is one (pre-rendered HTML). */
  agentsHtml?: string;
  /** The shared results store (PostgreSQL); absent for a SQLite store. */
  store?: ReplicaState;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** "1 d 3 h", "2 h 30 min", "5 min" (down to the minute). */
function span(ms: number): string {
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86_400_000);
  const h = Math.floor((abs % 86_400_000) / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  return d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : `${m} min`;
}

/** "3 h 12 min", "expired 5 min ago". */
export function remaining(until: Date, now: Date): string {
  const ms = until.getTime() - now.getTime();
  return ms >= 0 ? span(ms) : `expired ${span(ms)} ago`;
}

const NOW_HEAD = ['state', 'since', 'class', 'service', 'remedy', 'failing operations', 'latest failure', 'last result'];

/** One row per subject, failing first, each saying since when. */
function stateTable(id: string, subject: string, rows: readonly SubjectState[], now: Date, empty: string): string {
  if (!rows.length) return `<p id="${id}" class="empty">${esc(empty)}</p>`;
  const cells = (r: SubjectState): string[] => [
    r.subject, r.state === 'failing' ? 'FAILING' : 'OK', `${r.since} (${span(now.getTime() - Date.parse(r.since))} ago)`,
    r.errorClass ?? '', r.service ?? '', r.remedy ?? '',
    r.failing.map((f) => `${f.what}: ${f.errorClass}`).join('; '), r.message ?? '', r.lastSeen,
  ];
  return `<table id="${id}"><thead><tr>${[subject, ...NOW_HEAD].map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${
    rows.map((r) => `<tr class="${r.state === 'failing' ? 'failed' : 'passed'}" data-subject="${esc(r.subject)}" data-state="${r.state}" data-since="${esc(r.since)}">${
      cells(r).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** The page's top: what is failing now, per RSE and per auth method, before any detail. */
function nowSection(current: CurrentStatus, now: Date): string {
  const failing = [...current.rses, ...current.authMethods].filter((s) => s.state === 'failing');
  const headline = failing.length
    ? `Failing now: ${failing.map((s) => `${s.subject} (${s.errorClass} since ${s.since})`).join(', ')}`
    : `Nothing is failing now: ${current.rses.length} RSEs and ${current.authMethods.length} auth methods OK`;
  return `<h2>Now</h2>
<p id="now-summary" class="${failing.length ? 'failed' : 'passed'}">${esc(headline)}</p>
${stateTable('now-rses', 'RSE', current.rses, now, 'no RSE seen yet')}
${stateTable('now-auth', 'auth method', current.authMethods, now, 'no login yet')}`;
}

function table(id: string, head: string[], rows: string[][], empty: string): string {
  if (!rows.length) return `<p id="${id}" class="empty">${esc(empty)}</p>`;
  return `<table id="${id}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** Where the results go: reachable, or away since when with how much kept locally. */
function storeLine(s: ReplicaState, now: Date): string {
  if (!s.unreachableSince) return `<p id="store" class="passed">results store ${esc(s.target)}: reachable, ${s.backlog} journal entries to ship</p>`;
  const since = new Date(s.unreachableSince);
  const away = Math.max(0, Math.round((now.getTime() - since.getTime()) / 1000));
  return `<p id="store" class="failed">results store ${esc(s.target)}: UNREACHABLE since ${esc(s.unreachableSince)} (${away} s); ${
    s.backlog} journal entries kept locally, shipped when it returns — ${esc(s.lastError)}</p>`;
}

/** The daemon's status page: a site admin can leave it open, it reloads itself. */
export function renderStatusPage(v: StatusView): string {
  const credentialRows = v.credentials.map((c) => [
    c.authMethod, c.source ?? '-', c.audience ?? '-', c.scope ?? '-', c.expiresAt ? c.expiresAt.toISOString() : '-',
    c.problem ? `${c.renewed === false ? '' : 'unreadable: '}${c.problem}` : c.expiresAt ? remaining(c.expiresAt, v.now) : 'no expiry',
    c.renewed === undefined ? 'not renewed by lakeprobe' : c.lastRenewal ? c.lastRenewal.toISOString() : 'not yet',
  ]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${v.refreshSeconds}">
<title>lakeprobe daemon — ${esc(v.plan)}</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}.failed,.abandoned{color:#b00}.passed{color:#070}
.empty{color:#777}</style></head><body>
<h1>lakeprobe daemon: ${esc(v.plan)}</h1>
<p id="summary">plan ${esc(v.planFile)} · up since ${esc(v.startedAt.toISOString())} · page generated ${esc(v.now.toISOString())}${v.stopping ? ' · <strong>stopping</strong>' : ''}</p>
<p id="reload" class="${v.reload.ok ? 'passed' : 'failed'}">last plan load: ${v.reload.ok ? 'ok' : 'FAILED (the previous plan keeps running)'}${
  v.reload.at ? ` at ${esc(v.reload.at.toISOString())}` : ''}${v.reload.message ? ` — ${esc(v.reload.message)}` : ''}</p>
${nowSection(v.current ?? { rses: [], authMethods: [] }, v.now)}
${v.store ? storeLine(v.store, v.now) : ''}
${v.agentsHtml ?? ''}<h2>Credentials</h2>
${table('credentials', ['method', 'source', 'audience', 'scope', 'expires', 'remaining', 'last renewal'], credentialRows, 'no x509 or token credentials configured')}
<h2>Next runs</h2>
${table('next', ['test', 'at', 'cycle'], v.next.map((n) => [n.test, n.at.toISOString(), n.cycle ?? '']), 'no scheduled tests')}
<h2>Recent runs</h2>
${table('runs', ['test', 'started', 'finished', 'outcome', 'operations', 'failed', 'cycle', 'run'], v.runs.map((r) => [
    `${r.experiment}/${r.test}`, r.startedAt, r.finishedAt ?? '', r.outcome, String(r.operations), String(r.failed), r.cycle ?? '', r.runId,
  ]), 'no run yet')}
<h2>Recent failures</h2>
${table('failures', ['at', 'test', 'operation', 'rse', 'class', 'severity', 'remedy', 'message'], v.failures.map((f) => [
    f.at, `${f.experiment}/${f.test}`, f.operation, f.rse, f.errorClass, f.severity, f.remedy, f.message,
  ]), 'no failure recorded')}
</body></html>
`;
}
