import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALERT_RULES, DASHBOARDS, PUSH_TIME_METRIC, buildDashboard, generatedFiles, knownSeries, seriesIn } from '../../src/dashboards/index.js';
import { sel } from '../../src/dashboards/promql.js';

interface Target { expr: string; refId?: string; datasource?: { uid: string } }
interface Panel { title: string; datasource?: { uid: string }; targets?: Target[]; options?: { legend?: { showLegend: boolean } }; type: string }

describe('generated dashboards and alert rules', () => {
  it('match the committed files in dashboards/ (run `lakeprobe dashboards --out dashboards/` after a change)', async () => {
    const dir = resolve('dashboards');
    const committed = (await readdir(dir)).filter((f) => !f.startsWith('.')).sort();
    const files = generatedFiles();
    expect(committed).toEqual([...files.keys()].sort());
    for (const [name, text] of files) expect(await readFile(join(dir, name), 'utf8'), name).toBe(text);
  });

  it('ship the seven dashboards', () => {
    expect(DASHBOARDS.map((d) => d.uid)).toEqual([
      'lakeprobe-overview', 'lakeprobe-rse', 'lakeprobe-links', 'lakeprobe-long-haul', 'lakeprobe-auth', 'lakeprobe-embargo', 'lakeprobe-experiment',
    ]);
  });

  it('give every panel and target the $datasource variable, every target a refId, every time series a visible legend', () => {
    for (const spec of DASHBOARDS) {
      const d = buildDashboard(spec) as unknown as { panels: Panel[]; templating: { list: { name: string; type: string }[] } };
      expect(d.templating.list[0]).toMatchObject({ name: 'datasource', type: 'datasource' });
      for (const p of d.panels) {
        expect(p.datasource?.uid, p.title).toBe('${datasource}');
        const refIds = (p.targets ?? []).map((t) => t.refId);
        expect(refIds.length, p.title).toBeGreaterThan(0);
        expect(new Set(refIds).size, p.title).toBe(refIds.length);
        for (const t of p.targets ?? []) expect(t.datasource?.uid).toBe('${datasource}');
        if (p.type === 'timeseries') expect(p.options?.legend?.showLegend, p.title).toBe(true);
      }
    }
  });

  it('query only metrics the catalogue declares', () => {
    const known = knownSeries();
    const used = new Set<string>();
    for (const spec of DASHBOARDS) for (const p of spec.panels) for (const q of p.queries) for (const s of seriesIn(q.expr)) used.add(s);
    for (const r of ALERT_RULES) for (const s of seriesIn(r.expr)) used.add(s);
    for (const s of used) expect(known.has(s), s).toBe(true);
    expect(used.size).toBeGreaterThan(15);
    expect(ALERT_RULES.some((r) => r.expr.includes(PUSH_TIME_METRIC))).toBe(true);
  });

  it('let every dashboard pick agents: an $agent variable from the series, and every operations query filtered by it', () => {
    for (const spec of DASHBOARDS) {
      const d = buildDashboard(spec) as unknown as { templating: { list: { name: string; query?: unknown }[] } };
      const agent = d.templating.list.find((v) => v.name === 'agent');
      expect(agent, spec.uid).toBeDefined();
      expect(JSON.stringify(agent?.query)).toContain('label_values(lakeprobe_operations_total, agent)');
      for (const p of spec.panels) {
        for (const q of p.queries) {
          for (const use of q.expr.match(/lakeprobe_(?:operations_total|link_transfers_total)\{[^}]*\}/g) ?? []) expect(use, p.title).toContain('agent=~"$agent"');
        }
      }
    }
  });

  it('refuse at build time a label a metric does not have', () => {
    expect(() => sel('testSuccess', { rse: 'X' })).toThrow(/lakeprobe_test_success has no label rse/);
  });
});
