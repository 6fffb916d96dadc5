// An independent check of every figure: random but known result sets (seeded), whose files, bytes,
// links, times and failures the generator tallies as it makes them; the report model, its JSON and
// its CSV must state exactly those tallies. Nothing here calls the report's own helpers to count.
import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/engine/op-result.js';
import { ERROR_CLASS_NAMES, failureSeverity, type ErrorClass } from '../../src/engine/taxonomy.js';
import type { ResolvedPlan } from '../../src/plan/index.js';
import { buildChallengeReport } from '../../src/report/challenge.js';
import { challengeReportSchema, type ExperimentReport } from '../../src/report/schema.js';
import { renderReportFiles } from '../../src/report/write.js';
import { snapshotPlan } from '../../src/results/plan-snapshot.js';
import { csvRows } from '../helpers/csv-rows.js';
import { opResult } from '../helpers/op-result.js';

/** mulberry32: a small seeded PRNG, so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RSES = ['SITE_A', 'SITE_B', 'SITE_C', 'SITE_D'];
const T0 = Date.parse('2026-05-04T08:00:00.000Z');
const iso = (s: number): string => new Date(T0 + s * 1000).toISOString();
/** The size class as documented: the byte count rounded down to a power of two, binary units. */
const sizeLabel = (b: number): string => {
  const p = 2 ** Math.floor(Math.log2(b));
  return p >= 1024 ** 2 ? `${p / 1024 ** 2}MiB` : p >= 1024 ? `${p / 1024}KiB` : `${p}B`;
};

interface LinkTruth { attempts: number; ok: number; bytes: number; seconds: Set<number>; okTimes: number[]; sizes: Set<string>; rules: number; rulesOk: number; ruleTimes: number[] }
interface Truth {
  files: Map<string, number>; bytes: Map<string, number>;
  links: Map<string, LinkTruth>;
  /** Per (class, message template): count, places (operation × auth × RSE), first start and last end. */
  causes: Map<string, { count: number; places: Set<string>; first: number; last: number }>;
  failed: number;
}

const link = (t: Truth, key: string): LinkTruth => {
  let l = t.links.get(key);
  if (!l) t.links.set(key, l = { attempts: 0, ok: 0, bytes: 0, seconds: new Set(), okTimes: [], sizes: new Set(), rules: 0, rulesOk: 0, ruleTimes: [] });
  return l;
};

/** Two message templates per class; the variable parts (ids, files, RSEs, addresses, numbers) change every time. */
const TEMPLATES: ((v: { id: string; did: string; rse: string; n: number; ip: string }) => string)[] = [
  (v) => `transfer ${v.id} of ${v.did} to ${v.rse} failed after ${v.n} s: the outsider's x509 credential was refused by ${v.ip}`,
  (v) => `PUT https://${v.ip}/store/${v.did.replace(':', '/')}: ${v.n} bytes written, adler32 check refused on ${v.rse}`,
];

function generate(seed: number): { results: OpResult[]; truth: Truth; runs: string[] } {
  const rnd = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)] as T;
  const truth: Truth = { files: new Map([['up', 0], ['rep', 0]]), bytes: new Map([['up', 0], ['rep', 0]]), links: new Map(), causes: new Map(), failed: 0 };
  const results: OpResult[] = [];
  const runs = Array.from({ length: int(2, 4) }, (_, i) => `run-${seed}-${i}`);
  let request = 0;
  for (const [ri, runId] of runs.entries()) {
    const base = ri * 20_000;
    const r = (o: Partial<OpResult>): OpResult => opResult({ runId, experiment: 'EXP', ...o });
    // Uploads: each ok one with content is one file.
    for (let i = 0; i < int(5, 30); i++) {
      const bytes = int(1, 5) === 1 ? 0 : int(100, 3_000_000);
      const ok = rnd() < 0.8;
      results.push(r({ test: 'up', scenario: 'upload', operation: 'upload', rse: pick(RSES), protocol: 'davs', bytes, sizeClass: bytes ? sizeLabel(bytes) : '0B',
        start: iso(base + int(0, 3000)), durationMs: int(1, 20) * 100, outcome: ok ? 'ok' : 'failed', ...(ok ? {} : { errorClass: 'server_error', severity: 'error', errorMessage: 'HTTP 500' }) }));
      if (!ok) { truth.failed++; countCause(truth, 'server_error', 'HTTP <n>', 'upload', results.at(-1)!); }
      if (ok && bytes > 0) { truth.files.set('up', truth.files.get('up')! + 1); truth.bytes.set('up', truth.bytes.get('up')! + bytes); }
    }
    // Replication: rules on datasets; a rule-level result per destination, one per file transfer,
    // some transfers read twice (a second rule on the same destination): still one copy.
    for (let k = 0; k < int(1, 4); k++) {
      const src = pick(RSES);
      const dsts = RSES.filter((x) => x !== src).filter(() => rnd() < 0.6);
      const nFiles = int(1, 12);
      const sizes = Array.from({ length: nFiles }, () => int(500, 40_000_000));
      const created = base + 5000 + int(0, 5000);
      const ruleId = `rule-${runId}-${k}`;
      for (const dst of dsts) {
        const l = link(truth, `${src}→${dst}`);
        let allOk = true;
        let lastOk = 0;
        for (const [f, bytes] of sizes.entries()) {
          const ok = rnd() < 0.85;
          allOk &&= ok;
          const took = int(0, 90);
          const id = (++request).toString(16).padStart(32, '0');
          const transfer = r({ test: 'rep', scenario: 'replication', operation: 'replicate', rse: dst, srcRse: src, dstRse: dst, protocol: 'https-tpc',
            bytes, sizeClass: sizeLabel(bytes), start: iso(created), durationMs: took * 1000, ruleId, requestId: id,
            outcome: ok ? 'ok' : 'failed', ...(ok ? {} : { errorClass: 'rule_stuck', severity: 'error', errorMessage: `transfer ${id} of user.p:f${f} to ${dst} is FAILED` }) });
          const seen = rnd() < 0.2 ? [transfer, { ...transfer, start: iso(created + 100) }] : [transfer]; // read again by a later rule
          results.push(...seen);
          l.attempts++;
          if (!ok) {
            for (const x of seen) { truth.failed++; countCause(truth, 'rule_stuck', 'transfer <id> of <did> to <rse> is FAILED', 'replicate', x); }
            continue;
          }
          lastOk = Math.max(lastOk, took);
          l.ok++; l.bytes += bytes; l.okTimes.push(took * 1000); l.sizes.add(sizeLabel(bytes));
          for (let s = created; s < created + took; s++) l.seconds.add(s);
          truth.files.set('rep', truth.files.get('rep')! + 1); truth.bytes.set('rep', truth.bytes.get('rep')! + bytes);
        }
        const ruleMs = (lastOk + int(0, 3)) * 1000 + int(0, 999);
        l.rules++;
        if (allOk) { l.rulesOk++; l.ruleTimes.push(ruleMs); }
        const rule = r({ test: 'rep', scenario: 'replication', operation: 'replicate', rse: dst, srcRse: src, dstRse: dst, protocol: 'rucio',
          bytes: sizes.reduce((a, b) => a + b, 0), sizeClass: '64KiB', start: iso(created), durationMs: ruleMs, ruleId,
          outcome: allOk ? 'ok' : 'failed', ...(allOk ? {} : { errorClass: 'rule_stuck', severity: 'error', errorMessage: `rule ${ruleId} is STUCK` }) });
        results.push(rule);
        if (!allOk) { truth.failed++; countCause(truth, 'rule_stuck', 'rule <name> is STUCK', 'replicate', rule); }
      }
    }
    // Failures of every class, two message shapes each, in several places.
    for (const cls of ERROR_CLASS_NAMES) {
      for (let i = 0; i < int(1, 3); i++) {
        const t = int(0, 1);
        const rse = pick(RSES);
        const msg = TEMPLATES[t]!({ id: `${int(1e7, 9e7).toString(16)}abcdef${int(1e7, 9e7).toString(16)}`, did: `user.p:lakeprobe.${runId}.f${int(0, 999)}`, rse, n: int(1, 1e6), ip: `10.0.${int(0, 9)}.${int(1, 250)}:${int(1024, 65000)}` });
        const op = pick(['upload', 'download', 'delete', 'access'] as const);
        const res = r({ test: 'fail', scenario: 'upload', operation: op, rse, protocol: 'davs', start: iso(base + 12_000 + int(0, 5000)), durationMs: int(1, 900),
          outcome: 'failed', errorClass: cls, severity: failureSeverity(cls), errorMessage: msg, authMethod: pick(['x509', 'token'] as const) });
        results.push(res);
        truth.failed++;
        countCause(truth, cls, `template ${t}`, op, res);
      }
    }
  }
  return { results, truth, runs };
}

function countCause(truth: Truth, cls: ErrorClass, shape: string, op: string, r: OpResult): void {
  const key = `${cls}\u0000${shape}`;
  const c = truth.causes.get(key) ?? { count: 0, places: new Set<string>(), first: Infinity, last: -Infinity };
  // A transfer read twice is counted twice here: failure sections count the results that failed.
  c.count++;
  c.places.add(`${op}\u0000${r.authMethod}\u0000${r.rse}`);
  c.first = Math.min(c.first, Date.parse(r.start));
  c.last = Math.max(c.last, Date.parse(r.start) + r.durationMs);
  truth.causes.set(key, c);
}

/** Nearest rank, written out: the value at rank ceil(p/100 · n) of the sorted list. */
const rank = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1]! : 0;
};

function plan(): ResolvedPlan {
  return {
    name: 'recount', file: '/plans/recount.yaml', sandbox: true, lake: { vo: 'def', insecure: false }, credentials: {}, rses: { names: RSES }, sources: [],
    experiments: [{ name: 'EXP', description: '', tests: [
      { name: 'up', scenario: 'upload', auth: ['x509'], params: {}, success: {} },
      { name: 'rep', scenario: 'replication', auth: ['x509'], params: {}, success: {} },
      { name: 'fail', scenario: 'upload', auth: ['x509', 'token'], params: {}, success: {} },
    ] }],
  };
}

describe.each([1, 7, 42, 2026, 31337])('every figure recounted from a known random result set (seed %i)', (seed) => {
  const { results, truth, runs } = generate(seed);
  // The results are shuffled (seeded): order must not matter.
  const rnd = prng(seed + 1);
  const shuffled = results.map((r) => ({ r, k: rnd() })).sort((a, b) => a.k - b.k).map((x) => x.r);
  const snapshot = snapshotPlan(plan());
  const report = buildChallengeReport({
    name: 'recount', results: shuffled, slotSeconds: 300, plans: new Map(runs.map((id) => [id, snapshot])),
    runs: runs.map((runId) => ({ runId, planName: 'recount', planHash: '', startedAt: '', finishedAt: '', state: 'finished' as const })),
  });
  const e = report.experiments[0] as ExperimentReport;
  const files = renderReportFiles(report, ['json', 'csv']);
  const json = challengeReportSchema.parse(JSON.parse(files.get('report.json')!));

  it('files and bytes per test: each copy once, rule-level results never', () => {
    for (const test of ['up', 'rep']) {
      const t = e.tests.find((x) => x.test === test)!;
      expect([t.files, t.bytes]).toEqual([truth.files.get(test), truth.bytes.get(test)]);
      expect(json.experiments[0]!.tests.find((x) => x.test === test)).toMatchObject({ files: truth.files.get(test), bytes: truth.bytes.get(test) });
      const row = csvRows(files.get('EXP.tests.csv')!).find((x) => x.test === test)!;
      expect([Number(row.files), Number(row.bytes)]).toEqual([truth.files.get(test), truth.bytes.get(test)]);
      const summary = csvRows(files.get('summary.csv')!).find((x) => x.test === test)!;
      expect([Number(summary.files), Number(summary.bytes)]).toEqual([truth.files.get(test), truth.bytes.get(test)]);
    }
  });

  it('links: file copies tried and arrived, bytes, rate over the wall time of their transfers', () => {
    const expected = [...truth.links.entries()].filter(([, l]) => l.attempts > 0).sort(([a], [b]) => a.localeCompare(b)).map(([k, l]) => {
      const [src, dst] = k.split('→');
      return { src, dst, attempts: l.attempts, successes: l.ok, bytes: l.bytes, mbPerS: l.seconds.size ? l.bytes / l.seconds.size / 1e6 : 0,
        p50Ms: rank(l.okTimes, 50), p95Ms: rank(l.okTimes, 95) };
    });
    const got = e.links.map((l) => ({ src: l.src, dst: l.dst, attempts: l.attempts, successes: l.successes, bytes: l.bytes, mbPerS: l.mbPerS, p50Ms: l.p50Ms, p95Ms: l.p95Ms }));
    expect(got.map((g) => ({ ...g, mbPerS: Number(g.mbPerS.toFixed(9)) }))).toEqual(expected.map((x) => ({ ...x, mbPerS: Number(x.mbPerS.toFixed(9)) })));
    const csv = csvRows(files.get('EXP.links.csv')!);
    expect(csv.map((r) => [r.src_rse, r.dst_rse, Number(r.attempts), Number(r.successes), Number(r.bytes)]))
      .toEqual(expected.map((x) => [x.src, x.dst, x.attempts, x.successes, x.bytes]));
  });

  it('size classes come from the files alone: no phantom class from a rule-level result', () => {
    const got = new Map<string, Set<string>>();
    for (const s of e.linkSizes) got.set(`${s.src}→${s.dst}`, (got.get(`${s.src}→${s.dst}`) ?? new Set()).add(s.sizeClass));
    for (const [k, l] of truth.links) {
      if (!l.attempts) continue;
      // Every class shown is a class of some file tried on the link; "64KiB" (the rule rows') only if a file was that size.
      for (const c of got.get(k) ?? []) expect(results.some((r) => r.protocol === 'https-tpc' && `${r.srcRse}→${r.dstRse}` === k && r.sizeClass === c)).toBe(true);
      for (const c of l.sizes) expect(got.get(k)?.has(c)).toBe(true);
    }
  });

  it('time to replicate per file and per rule, as separate figures', () => {
    const perFile = [...truth.links.entries()].filter(([, l]) => l.ok > 0).sort(([a], [b]) => a.localeCompare(b)).map(([k, l]) => {
      const [src, dst] = k.split('→');
      return { src, dst, attempts: l.attempts, count: l.ok, p50Ms: rank(l.okTimes, 50), p90Ms: rank(l.okTimes, 90), p95Ms: rank(l.okTimes, 95), p99Ms: rank(l.okTimes, 99), maxMs: Math.max(...l.okTimes) };
    });
    expect(e.replication).toEqual(perFile);
    const perRule = [...truth.links.entries()].filter(([, l]) => l.rulesOk > 0).sort(([a], [b]) => a.localeCompare(b)).map(([k, l]) => {
      const [src, dst] = k.split('→');
      return { src, dst, attempts: l.rules, count: l.rulesOk, p50Ms: rank(l.ruleTimes, 50), p90Ms: rank(l.ruleTimes, 90), p95Ms: rank(l.ruleTimes, 95), p99Ms: rank(l.ruleTimes, 99), maxMs: Math.max(...l.ruleTimes) };
    });
    expect(e.replicationPerRule).toEqual(perRule);
    expect(json.experiments[0]!.replicationPerRule).toEqual(perRule);
    const csv = csvRows(files.get('EXP.time-to-replicate.csv')!);
    expect(csv.map((r) => [r.src_rse, r.dst_rse, Number(r.count), Number(r.p50_ms), Number(r.max_ms)])).toEqual(perFile.map((x) => [x.src, x.dst, x.count, x.p50Ms, x.maxMs]));
  });

  it('per RSE × operation: counts, failures and bytes of the files among them', () => {
    const total = e.rows.reduce((n, r) => n + r.count, 0);
    expect(total).toBe(results.length);
    expect(e.rows.reduce((n, r) => n + r.failures, 0)).toBe(truth.failed);
    const movedBytes = e.rows.filter((r) => r.operation === 'upload' || r.operation === 'replicate').reduce((n, r) => n + r.bytes, 0);
    expect(movedBytes).toBe(truth.bytes.get('up')! + truth.bytes.get('rep')!);
    const csv = csvRows(files.get('EXP.csv')!);
    expect(csv.reduce((n, r) => n + Number(r.count), 0)).toBe(results.length);
    expect(csv.reduce((n, r) => n + Number(r.bytes), 0)).toBe(movedBytes);
  });

  it('failures: one section per root cause with its count, every place and its time span', () => {
    const expected = [...truth.causes.entries()].map(([k, c]) => ({ cls: k.split('\u0000')[0], ...c }));
    // The report keeps the 30 largest causes (critical first); every cause it keeps is whole.
    expect(e.failures.length).toBe(Math.min(30, expected.length));
    for (const g of e.failures) {
      const mine = expected.filter((x) => x.cls === g.errorClass && x.count === g.count && x.places.size === g.places
        && new Date(x.first).toISOString() === g.firstAt && new Date(x.last).toISOString() === g.lastAt);
      expect(mine.length, `${g.errorClass} ${g.message}`).toBeGreaterThan(0);
      expect(g.message).not.toMatch(/x<n>|adler<n>|<n>\.<n>/);
    }
    const csv = csvRows(files.get('EXP.failures.csv')!);
    expect(csv.map((r) => Number(r.count))).toEqual(e.failures.map((g) => g.count));
    // Observation titles count every place of their class.
    for (const o of e.observations.filter((x) => x.kind === 'error_class')) {
      const places = new Set(results.filter((r) => r.errorClass === o.errorClass && r.outcome === 'failed').map((r) => `${r.operation}\u0000${r.authMethod}\u0000${r.rse}`));
      const listed = [...o.title.matchAll(/(\d+)× \w+ \[/g)].length;
      const more = Number(/and (\d+) more place/.exec(o.title)?.[1] ?? 0);
      expect(listed + more, o.title).toBe(places.size);
    }
  });
});
