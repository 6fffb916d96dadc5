import { DashboardBuilder, DatasourceVariableBuilder, QueryVariableBuilder, VariableRefresh, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import { LegendDisplayMode, LegendPlacement, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import type { DashboardSpec, PanelSpec } from './spec.js';

// The SDK leaves targets without refId, panels without datasource and legends
// hidden unless told: every panel here gets all three, and the datasource is the
// dashboard's `$datasource` variable so the JSON imports into any Grafana.

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

function panelBuilder(p: PanelSpec) {
  switch (p.kind) {
    case 'timeseries':
      return new TimeseriesPanel().legend(new VizLegendOptionsBuilder()
        .showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom));
    case 'stat': return new StatPanel();
    case 'bargauge': return new BarGaugePanel();
    case 'table': return new TablePanel();
  }
}

function panel(p: PanelSpec, id: number, x: number, y: number) {
  const builder = panelBuilder(p)
    .id(id).title(p.title).datasource(DATASOURCE).unit(p.unit ?? 'short')
    .gridPos({ x, y, w: p.w ?? 12, h: p.h ?? 8 });
  if (p.description) builder.description(p.description);
  p.queries.forEach((q, i) => {
    const target = new DataqueryBuilder().expr(q.expr).refId(String.fromCharCode(65 + i)).datasource(DATASOURCE);
    if (q.legend) target.legendFormat(q.legend);
    if (q.instant) target.instant().format(PromQueryFormat.Table);
    builder.withTarget(target);
  });
  if (p.kind === 'table' && p.queries.length > 1) builder.withTransformation({ id: 'merge', options: {} });
  if (p.matrix) {
    builder.withTransformation({ id: 'groupingToMatrix', options: { rowField: 'src_rse', columnField: 'dst_rse', valueField: 'Value' } });
  }
  return builder;
}

export function buildDashboard(spec: DashboardSpec): Dashboard {
  const d = new DashboardBuilder(spec.title)
    .uid(spec.uid).description(spec.description).tags(spec.tags)
    .refresh('1m').time({ from: 'now-6h', to: 'now' }).timezone('utc').editable()
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'));
  for (const v of spec.variables) {
    d.withVariable(new QueryVariableBuilder(v.name).label(v.label).query(v.query).datasource(DATASOURCE)
      .multi(v.multi ?? true).includeAll(true).allValue('.*').refresh(VariableRefresh.OnTimeRangeChanged));
  }
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  spec.panels.forEach((p, i) => {
    const w = p.w ?? 12;
    if (x + w > 24) { x = 0; y += rowHeight; rowHeight = 0; }
    d.withPanel(panel(p, i + 1, x, y));
    x += w;
    rowHeight = Math.max(rowHeight, p.h ?? 8);
  });
  return d.build();
}

/** File name → JSON text (stable: 2-space indent, trailing newline). */
export function renderDashboards(specs: readonly DashboardSpec[]): Map<string, string> {
  return new Map(specs.map((s) => [`${s.file}.json`, `${JSON.stringify(buildDashboard(s), null, 2)}\n`]));
}
