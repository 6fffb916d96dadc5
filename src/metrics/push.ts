import type { Exposition } from './registry.js';
import { JOB_NAME } from './catalogue.js';

// One-shot runs push to a Pushgateway. Each test of the plan is its own group
// (job, plan, experiment, test, agent — never the run id, or every run would
// leave a group behind for ever); series without a test label go to the plan's
// group (experiment and test "_plan", which no plan name can be). A group is
// replaced as a whole (PUT): the final state of the run, nothing stale.
// Groups of this plan and agent whose test no longer exists are deleted.
// Prometheus must scrape the gateway with `honor_labels: true`.

export const PLAN_GROUP = '_plan';

export interface PushTarget {
  /** Pushgateway base URL; userinfo (user:password@) is sent as basic auth and never printed. */
  url: string;
  plan: string;
  agent: string;
}

export interface PushOutcome {
  pushed: string[];
  deleted: string[];
}

/** The URL with any user:password@ replaced, safe to print. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '***';
    u.password = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, '//***@');
  }
}

/** Pushes every test's series as its own group, then deletes the plan's groups of tests that are gone. */
export async function pushRunMetrics(
  registry: Exposition, target: PushTarget, tests: readonly { experiment: string; test: string }[],
): Promise<PushOutcome> {
  const { base, headers } = endpoint(target.url);
  const text = await registry.metrics();
  const groups = new Map<string, { experiment: string; test: string }>();
  groups.set(`${PLAN_GROUP}\u0000${PLAN_GROUP}`, { experiment: PLAN_GROUP, test: PLAN_GROUP });
  for (const t of tests) groups.set(`${t.experiment}\u0000${t.test}`, t);
  const outcome: PushOutcome = { pushed: [], deleted: [] };
  try {
    for (const g of groups.values()) {
      const body = groupText(text, g.experiment === PLAN_GROUP ? null : g);
      await call('PUT', groupUrl(base, target, g), headers, body);
      outcome.pushed.push(`${g.experiment}/${g.test}`);
    }
    for (const g of await listGroups(base, headers)) {
      if (g.job !== JOB_NAME || g.plan !== target.plan || g.agent !== target.agent) continue;
      if (groups.has(`${g.experiment}\u0000${g.test}`)) continue;
      await call('DELETE', groupUrl(base, target, { experiment: g.experiment ?? '', test: g.test ?? '' }), headers);
      outcome.deleted.push(`${g.experiment}/${g.test}`);
    }
  } catch (e) {
    // fetch messages may echo the URL: keep the userinfo out of them.
    throw new Error(scrub((e as Error).message, target.url));
  }
  return outcome;
}

function endpoint(url: string): { base: string; headers: Record<string, string> } {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (u.username || u.password) {
    const user = decodeURIComponent(u.username);
    const password = decodeURIComponent(u.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  return { base: u.toString().replace(/\/+$/, ''), headers };
}

function groupUrl(base: string, target: PushTarget, g: { experiment: string; test: string }): string {
  const parts = [['job', JOB_NAME], ['plan', target.plan], ['experiment', g.experiment], ['test', g.test], ['agent', target.agent]];
  return `${base}/metrics/${parts.map(([k, v]) => `${k}@base64/${Buffer.from(v ?? '').toString('base64url') || '='}`).join('/')}`;
}

async function call(method: string, url: string, headers: Record<string, string>, body?: string): Promise<void> {
  const res = await fetch(url, {
    method, headers: { ...headers, 'content-type': 'text/plain; version=0.0.4' }, body, signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`${method} ${new URL(url).pathname} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
}

interface GroupLabels { job?: string; plan?: string; experiment?: string; test?: string; agent?: string }

async function listGroups(base: string, headers: Record<string, string>): Promise<GroupLabels[]> {
  const res = await fetch(`${base}/api/v1/metrics`, { headers, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET /api/v1/metrics answered ${res.status}`);
  const body = (await res.json()) as { data?: { labels?: GroupLabels }[] };
  return (body.data ?? []).map((d) => d.labels ?? {});
}

/**
 * The exposition text restricted to one test's samples (or, for null, to samples
 * without a test label). Families without a sample are left out.
 */
export function groupText(text: string, only: { experiment: string; test: string } | null): string {
  const out: string[] = [];
  let header: string[] = [];
  const wanted = only && [`experiment="${only.experiment}"`, `test="${only.test}"`];
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP')) { header = [line]; continue; }
    if (line.startsWith('#')) { header.push(line); continue; }
    if (!line) continue;
    const open = line.indexOf('{');
    const labels = open >= 0 && open < line.indexOf(' ') ? line.slice(open + 1, line.lastIndexOf('}')) : '';
    const keep = wanted ? hasLabel(labels, wanted[0]!) && hasLabel(labels, wanted[1]!) : !/(^|,)test="/.test(labels);
    if (!keep) continue;
    out.push(...header, line);
    header = [];
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

function hasLabel(labels: string, pair: string): boolean {
  return labels.startsWith(pair) || labels.includes(`,${pair}`);
}

function scrub(message: string, url: string): string {
  let out = message;
  try {
    const u = new URL(url);
    for (const secret of [u.password, decodeURIComponent(u.password), u.username].filter((s) => s.length > 0)) {
      out = out.split(secret).join('***');
    }
  } catch { /* not a URL: nothing of it to scrub */ }
  return out;
}

/** Pushes and logs the outcome; a failed push is a warning that never shows the URL's userinfo. */
export async function pushOrWarn(
  registry: Exposition, target: PushTarget, tests: readonly { experiment: string; test: string }[], log: (line: string) => void,
): Promise<boolean> {
  try {
    const outcome = await pushRunMetrics(registry, target, tests);
    if (outcome.deleted.length) log(`pushgateway: deleted the groups of tests no longer in the plan: ${outcome.deleted.join(', ')}`);
    return true;
  } catch (e) {
    log(`warning: push to ${redactUrl(target.url)} failed: ${scrub((e as Error).message, target.url)}`);
    return false;
  }
}
